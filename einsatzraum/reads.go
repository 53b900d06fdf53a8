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
