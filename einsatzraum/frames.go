package einsatzraum

import (
	"encoding/json"
)

// WebSocket close codes the hub uses. 4000-4999 are ours; clients reconnect
// and resume from their last seq after any of them but CloseRevoked.
const (
	CloseNormal    = 1000 // the client asked to close
	CloseGoingAway = 1001 // the server shuts down; reconnect to another node
	ClosePolicy    = 1008 // too many bad frames in a row
	CloseTooBig    = 1009 // a frame over the configured limit
	CloseSlow      = 4001 // the connection fell behind its queue limit; resume from the last seq
	CloseRevoked   = 4003 // the device was wiped or logged out; do not reconnect with this token
)

// clientFrame is every frame a client may send (API.md, "Live events").
type clientFrame struct {
	Type  string `json:"type"`
	Room  string `json:"room"`
	Since *int64 `json:"since"`
}

type eventFrame struct {
	Type  string          `json:"type"`
	Room  string          `json:"room"`
	Seq   int64           `json:"seq"`
	Event json.RawMessage `json:"event"`
}

type errorFrame struct {
	Type  string      `json:"type"`
	Room  string      `json:"room,omitempty"`
	Error frameDetail `json:"error"`
}

type frameDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// subscribedFrame tells a client that the replay of a room is complete and
// that what follows is live. An extension of API.md.
type subscribedFrame struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Seq  int64  `json:"seq"`
}

func encodeEventFrame(e *Event) []byte {
	data := e.Data
	if !json.Valid(data) {
		data = json.RawMessage(`{}`)
	}
	b, _ := json.Marshal(eventFrame{Type: "event", Room: e.Room, Seq: e.Seq, Event: data})
	return b
}

func encodeErrorFrame(room, code, message string) []byte {
	b, _ := json.Marshal(errorFrame{Type: "error", Room: room, Error: frameDetail{Code: code, Message: message}})
	return b
}

func encodeSubscribedFrame(room string, seq int64) []byte {
	b, _ := json.Marshal(subscribedFrame{Type: "subscribed", Room: room, Seq: seq})
	return b
}

// wipeFrame is sent before a revoked device's socket is closed.
var wipeFrame = []byte(`{"type":"wipe"}`)

// membershipChange is what an event changes about who reads which chat,
// decoded once per event for all subscribers.
type membershipChange struct {
	joinChat  map[string]bool // users who now read e.Chat
	leaveChat string          // user who no longer reads e.Chat
	leaveRoom string          // user who left the room
}

// liveEvent is an event prepared for fan-out: its frame encoded once and
// its membership effect decoded once.
type liveEvent struct {
	*Event
	frame  []byte
	change membershipChange
}

func prepare(e *Event) *liveEvent {
	le := &liveEvent{Event: e, frame: encodeEventFrame(e)}
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
