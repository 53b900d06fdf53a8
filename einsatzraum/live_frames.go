package einsatzraum

import (
	"encoding/json"
	"sync"
)

// What the hub sends to a live connection. This file is the whole list;
// each transport (JSON over WebSocket in package web, CoT XML in package
// cot) owns the codec that turns these frames into bytes.
//
// After a client subscribes to a room it receives, in this order:
//  1. a PositionsFrame with every live position of the room (the snapshot);
//  2. an EventFrame for each stored event after `since` that it may see
//     (the replay; events hidden by the visible retention are passed over);
//  3. a SubscribedFrame with the seq reached: the replay is complete and
//     everything after it is live, with no gap and no duplicate;
//  4. EventFrames as events happen, and PositionsFrames (coalesced: at
//     most one per room and HubConfig.PositionInterval) as members move,
//     turn stale or leave the map.
//
// An ErrorFrame answers a bad command or a failed subscribe. A WipeFrame
// precedes the close of a revoked device. The connection ends with a
// CloseReason.

// Frame is one thing the hub hands a live connection: *EventFrame,
// *PositionsFrame, *SubscribedFrame, *ErrorFrame or *WipeFrame. One frame
// value goes to every connection that gets it; codecs encode it once
// through Encode.
type Frame interface {
	memo() *frameMemo
}

// EventFrame carries one room event.
type EventFrame struct {
	frameMemo
	Event *Event
}

// PositionsFrame carries the latest position of members of a room, and
// the members who left the room's map (expired, stopped sharing, left).
type PositionsFrame struct {
	frameMemo
	Room    string
	Items   []PositionItem
	Removed []string
}

// SubscribedFrame tells that the replay of a room is complete at Seq and
// what follows is live.
type SubscribedFrame struct {
	frameMemo
	Room string
	Seq  int64
}

// ErrorFrame answers a client's command that failed. Room is "" when the
// command named none.
type ErrorFrame struct {
	frameMemo
	Room    string
	Code    string
	Message string
}

// WipeFrame tells a revoked device to erase what it holds; the connection
// is closed with CloseRevoked right after it.
type WipeFrame struct {
	frameMemo
}

// CloseReason says why the hub (or a transport) ends a connection. Each
// transport maps it to its own signal (a WebSocket close code).
type CloseReason int

const (
	CloseNormal      CloseReason = iota + 1 // the client left, or its reader ended
	CloseGoingAway                          // the server shuts down; reconnect to another node
	CloseProtocol                           // the client broke the transport's framing
	CloseInvalidData                        // a message's bytes are not what the transport promises (UTF-8 text)
	ClosePolicy                             // too many bad frames in a row
	CloseTooBig                             // a message over the configured limit
	CloseSlow                               // the connection fell behind its queue limit; resume from the last seq
	CloseRevoked                            // the device was wiped or logged out; do not reconnect with this token
	CloseFailed                             // a write failed or the server met an internal error
)

// String is the reason as a short English text, for logs and close frames.
func (r CloseReason) String() string {
	switch r {
	case CloseNormal:
		return "closed"
	case CloseGoingAway:
		return "server shutting down"
	case CloseProtocol:
		return "protocol error"
	case CloseInvalidData:
		return "invalid message data"
	case ClosePolicy:
		return "too many bad frames"
	case CloseTooBig:
		return "message too large"
	case CloseSlow:
		return "too slow: resume from your last seq"
	case CloseRevoked:
		return "device revoked"
	case CloseFailed:
		return "connection failed"
	}
	return "closed"
}

// CodecKey names one codec's encodings in the frames' memos. A transport
// makes one with NewCodecKey and keeps it for the life of the process.
type CodecKey struct{ name string }

// NewCodecKey returns a new, distinct key; name is for debugging.
func NewCodecKey(name string) *CodecKey { return &CodecKey{name: name} }

// frameMemo keeps a frame's encodings, one per codec.
type frameMemo struct {
	mu   sync.Mutex
	encs []memoEntry
}

type memoEntry struct {
	key *CodecKey
	val any
	err error
}

func (m *frameMemo) memo() *frameMemo { return m }

// Encode returns f encoded by encode, running encode once per frame and
// key however many connections send f: the first caller encodes, later
// (and concurrent) callers get the same result.
func Encode[T any](f Frame, key *CodecKey, encode func(Frame) (T, error)) (T, error) {
	m := f.memo()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.encs {
		if e.key == key {
			v, _ := e.val.(T)
			return v, e.err
		}
	}
	v, err := encode(f)
	m.encs = append(m.encs, memoEntry{key: key, val: v, err: err})
	return v, err
}

// membershipChange is what an event changes about who reads which chat,
// decoded once per event for all subscribers.
type membershipChange struct {
	joinChat  map[string]bool // users who now read e.Chat
	leaveChat string          // user who no longer reads e.Chat
	leaveRoom string          // user who left the room
}

// liveEvent is an event prepared for fan-out: one frame for every
// subscriber, and its membership effect decoded once.
type liveEvent struct {
	*Event
	frame  *EventFrame
	change membershipChange
}

func prepare(e *Event) *liveEvent {
	le := &liveEvent{Event: e, frame: &EventFrame{Event: e}}
	switch e.Type {
	case EventChatCreated:
		var d struct {
			Members []struct {
				User struct {
					ID string `json:"id"`
				} `json:"user"`
			} `json:"members"`
		}
		if json.Unmarshal(e.Data, &d) == nil {
			le.change.joinChat = make(map[string]bool, len(d.Members))
			for _, m := range d.Members {
				le.change.joinChat[m.User.ID] = true
			}
		}
	case EventChatMemberUpdated:
		le.change.joinChat = map[string]bool{e.Subject: true}
	case EventChatMemberRemoved:
		le.change.leaveChat = e.Subject
	case EventMemberRemoved:
		le.change.leaveRoom = e.Subject
	}
	return le
}
