package einsatzraum

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/einsatzraum/einsatzraum/chat"
)

// The directory, renaming and archiving: what a messenger's users expect
// to do with their groups without an administrator.

// Events of room and chat edits.
const (
	EventRoomUpdated = "room.updated"
	EventChatUpdated = "chat.updated"
)

// SearchUsers finds colleagues by name, call sign or email so that they can
// be added to rooms and chats by name; every signed-in user may search,
// and only ID, name and call sign are answered. q needs 2 to 100
// characters. Errors: 400 invalid_query.
func (s *Service) SearchUsers(ctx context.Context, a *Actor, q string, limit int) ([]chat.UserRef, error) {
	q = strings.TrimSpace(q)
	if n := utf8.RuneCountInString(q); n < 2 || n > 100 || checkText("query", q, 0, 100) != nil {
		return nil, Errorf(KindInvalid, "invalid_query", "q: 2 to 100 characters of a name, call sign or email")
	}
	if limit <= 0 || limit > 50 {
		limit = 20
	}
	var users []User
	err := s.view(ctx, "search_users", func(tx Tx) (err error) {
		users, err = tx.SearchUsers(ctx, q, limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]chat.UserRef, len(users))
	for i := range users {
		out[i] = users[i].Ref()
	}
	return out, nil
}

// RoomPatch is what UpdateRoom changes; nil fields stay as they are.
type RoomPatch struct {
	Name        *string
	Description *string
	Archived    *bool
}

// UpdateRoom renames, describes, archives or restores a room (its leads;
// the only change an archived room takes). It emits room.updated.
// Errors: 400 for a bad name or description, 403 for non-leads.
func (s *Service) UpdateRoom(ctx context.Context, a *Actor, roomID string, p RoomPatch) (*Room, error) {
	if p.Name != nil {
		if err := chat.ValidateName("name", *p.Name); err != nil {
			return nil, err
		}
	}
	if p.Description != nil {
		if err := checkText("description", *p.Description, 0, MaxDescriptionLen); err != nil {
			return nil, err
		}
	}
	var r *Room
	err := s.update(ctx, "update_room", func(w *write) error {
		role, err := requireRoom(ctx, w, a, roomID, ActManageRoom)
		if err != nil {
			return err
		}
		if r, err = w.RoomByID(ctx, roomID); err != nil {
			return err
		}
		r.MyRole = role
		if p.Name != nil {
			r.Name = strings.TrimSpace(*p.Name)
		}
		if p.Description != nil {
			r.Description = strings.TrimSpace(*p.Description)
		}
		if p.Archived != nil {
			switch {
			case *p.Archived && r.ArchivedAt == nil:
				at := w.now
				r.ArchivedAt = &at
			case !*p.Archived:
				r.ArchivedAt = nil
			}
		}
		if err := w.UpdateRoom(ctx, r); err != nil {
			return err
		}
		r.Seq, err = w.emit(ctx, roomID, EventRoomUpdated, "", "", map[string]any{
			"room": roomID, "name": r.Name, "description": r.Description, "archived": r.ArchivedAt != nil, "archived_at": r.ArchivedAt,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// RenameChat renames a chat (members with manage). It emits chat.updated
// to the chat's members.
func (s *Service) RenameChat(ctx context.Context, a *Actor, chatID, name string) (*Chat, error) {
	if err := chat.ValidateName("name", name); err != nil {
		return nil, err
	}
	var c *Chat
	err := s.update(ctx, "rename_chat", func(w *write) (err error) {
		if c, err = requireChat(ctx, w, a, chatID, ActManageChat); err != nil {
			return err
		}
		c.Name = strings.TrimSpace(name)
		if err := w.RenameChat(ctx, chatID, c.Name); err != nil {
			return err
		}
		_, err = w.emit(ctx, c.Room, EventChatUpdated, chatID, "", map[string]any{"chat": chatID, "name": c.Name})
		return err
	})
	return c, err
}

// requireActiveRoom refuses changes to an archived room: 409 room_archived.
// Reading stays open, and its leads may still restore it (ActManageRoom).
func requireActiveRoom(ctx context.Context, tx Tx, roomID string, act Action) error {
	if allowedWhenArchived(act) {
		return nil
	}
	r, err := tx.RoomByID(ctx, roomID)
	if err != nil {
		return notFound(err, "room_not_found", "no such room")
	}
	if r.ArchivedAt != nil {
		return errRoomArchived()
	}
	return nil
}

// allowedWhenArchived: the actions an archived room still allows (reading
// it, and a lead restoring it).
func allowedWhenArchived(act Action) bool {
	return act == ActViewRoom || act == ActReadChat || act == ActManageRoom
}

func errRoomArchived() error {
	return Errorf(KindConflict, "room_archived", "the room is archived and read-only; a lead can restore it")
}

// visibleSeqs drops the messages posted while the reader was out of the
// chat (gaps of their chat membership).
func visibleSeqs(ms []chat.Message, gaps []SeqRange) []chat.Message {
	if len(gaps) == 0 {
		return ms
	}
	out := ms[:0]
	for _, m := range ms {
		if !inGaps(gaps, m.Seq) {
			out = append(out, m)
		}
	}
	return out
}

func inGaps(gaps []SeqRange, seq int64) bool {
	for _, g := range gaps {
		if g.Contains(seq) {
			return true
		}
	}
	return false
}
