package einsatzraum

import (
	"context"
	"time"
)

// Read markers: each member's marker says up to which message (seq) they
// read a chat. The chat list counts the unread ones; a sender sees how
// many members have read their message. One marker per user and chat, not
// a row per message and reader.

// EventChatRead is the room event of a moved read marker, to the chat's
// members: {chat, user, seq}.
const EventChatRead = "chat.read"

// ReadMarker is how far a user has read a chat.
type ReadMarker struct {
	User string    `json:"user"`
	Seq  int64     `json:"seq"`
	At   time.Time `json:"at"`
}

// MarkRead moves the caller's read marker of a chat forward to seq (a
// marker never moves back). Errors: 404 chat_not_found; 400 invalid_seq.
func (s *Service) MarkRead(ctx context.Context, a *Actor, chatID string, seq int64) error {
	if seq <= 0 {
		return Errorf(KindInvalid, "invalid_seq", "seq must be > 0")
	}
	return s.update(ctx, "mark_read", func(w *write) error {
		c, err := requireChat(ctx, w, a, chatID, ActReadChat)
		if err != nil {
			return err
		}
		r, err := w.RoomByID(ctx, c.Room)
		if err != nil {
			return err
		}
		if seq > r.Seq {
			return Errorf(KindInvalid, "invalid_seq", "seq %d is after the room's last seq %d", seq, r.Seq)
		}
		moved, err := w.PutReadMarker(ctx, chatID, a.User.ID, seq, w.now)
		if err != nil || !moved {
			return err
		}
		_, err = w.emit(ctx, c.Room, EventChatRead, chatID, a.User.ID, map[string]any{"chat": chatID, "user": a.User.ID, "seq": seq})
		return err
	})
}

// ReadMarkers lists how far each member has read a chat.
func (s *Service) ReadMarkers(ctx context.Context, a *Actor, chatID string) ([]ReadMarker, error) {
	var out []ReadMarker
	err := s.view(ctx, "read_markers", func(tx Tx) (err error) {
		if _, err := requireChat(ctx, tx, a, chatID, ActReadChat); err != nil {
			return err
		}
		out, err = tx.ReadMarkers(ctx, chatID)
		return err
	})
	return out, err
}

// MessageReadState says who of a chat's members (the sender left out) has
// read a message as far as their read marker tells, and when the marker
// passed it; and who has not.
type MessageReadState struct {
	Read   []MessageRead `json:"read"`
	Unread []string      `json:"unread"`
}

// MessageRead is one reader of a message.
type MessageRead struct {
	User string    `json:"user"`
	At   time.Time `json:"at"`
}

// MessageReads answers "read by whom" for a message the caller may read:
// the list behind "read by N of M". At is when the reader's marker last
// moved, at or past the message. Errors: 404 message_not_found.
func (s *Service) MessageReads(ctx context.Context, a *Actor, messageID string) (*MessageReadState, error) {
	out := &MessageReadState{Read: []MessageRead{}, Unread: []string{}}
	err := s.view(ctx, "message_reads", func(tx Tx) error {
		m, err := s.visibleMessage(ctx, tx, a, messageID)
		if err != nil {
			return err
		}
		members, err := tx.ChatMembers(ctx, m.Chat)
		if err != nil {
			return err
		}
		marks, err := tx.ReadMarkers(ctx, m.Chat)
		if err != nil {
			return err
		}
		byUser := map[string]ReadMarker{}
		for _, mk := range marks {
			byUser[mk.User] = mk
		}
		for _, cm := range members {
			if cm.User.ID == m.Sender.ID {
				continue
			}
			if mk, ok := byUser[cm.User.ID]; ok && mk.Seq >= m.Seq {
				out.Read = append(out.Read, MessageRead{User: cm.User.ID, At: mk.At})
			} else {
				out.Unread = append(out.Unread, cm.User.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
