package einsatzraum

import (
	"context"
	"strings"

	"github.com/einsatzraum/einsatzraum/chat"
)

// Editing and deleting messages. Members see the new text (marked
// edited) or that the message was deleted; auditors keep every earlier
// version for the audit retention (the audit search returns them).

// EventMessageUpdated is the room event of an edit, to the chat's
// members: {message}. A deletion is EventMessageDeleted: {message: id,
// chat}.
const EventMessageUpdated = "message.updated"

// EditMessage replaces the text of the caller's own message. Errors: 404
// message_not_found; 403 not_sender; 409 message_deleted; 400 for a text
// the message kind does not allow.
func (s *Service) EditMessage(ctx context.Context, a *Actor, messageID, text string) (*chat.Message, error) {
	var m *chat.Message
	err := s.update(ctx, "edit_message", func(w *write) error {
		var err error
		if m, err = s.visibleMessage(ctx, w, a, messageID); err != nil {
			return err
		}
		if m.Sender.ID != a.User.ID {
			return Errorf(KindForbidden, "not_sender", "only its sender edits a message")
		}
		if m.Deleted {
			return Errorf(KindConflict, "message_deleted", "the message was deleted")
		}
		d := chat.Draft{Kind: m.Kind, Text: strings.TrimSpace(text), Location: m.Location, POI: m.POI, Attachment: m.Attachment}
		if err := d.Validate(); err != nil {
			return err
		}
		if _, err := requireChat(ctx, w, a, m.Chat, ActPostMessage); err != nil {
			return err
		}
		m.Versions = append(m.Versions, chat.Version{Text: m.Text, Until: w.now})
		m.Text, m.EditedAt = d.Text, &w.now
		if err := w.UpdateMessage(ctx, m); err != nil {
			return err
		}
		_, err = w.emit(ctx, m.Room, EventMessageUpdated, m.Chat, "", map[string]any{"message": forMembers(m)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return forMembers(m), nil
}

// DeleteMessage deletes a message for its chat's members: its sender or a
// member with manage in the chat may. Its content stays for auditors.
// Errors: 404 message_not_found; 403 not_sender; deleting twice is one
// deletion.
func (s *Service) DeleteMessage(ctx context.Context, a *Actor, messageID string) error {
	return s.update(ctx, "delete_message", func(w *write) error {
		m, err := s.visibleMessage(ctx, w, a, messageID)
		if err != nil {
			return err
		}
		if m.Sender.ID != a.User.ID {
			if _, err := requireChat(ctx, w, a, m.Chat, ActManageChat); err != nil {
				return Errorf(KindForbidden, "not_sender", "only its sender or a manager of the chat deletes a message")
			}
		}
		if m.Deleted {
			return nil
		}
		m.Versions = append(m.Versions, chat.Version{Text: m.Text, Attachment: m.Attachment, Location: m.Location, Until: w.now})
		m.Text, m.Attachment, m.Location, m.POI, m.Deleted = "", nil, nil, nil, true
		if err := w.UpdateMessage(ctx, m); err != nil {
			return err
		}
		if err := w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: a.User.ID, Action: "delete_message", Target: m.ID, Detail: "chat " + m.Chat}); err != nil {
			return err
		}
		_, err = w.emit(ctx, m.Room, EventMessageDeleted, m.Chat, "", map[string]any{"message": m.ID, "chat": m.Chat})
		return err
	})
}

// forMembers is a message as members see it: without earlier versions.
func forMembers(m *chat.Message) *chat.Message {
	if m == nil || len(m.Versions) == 0 {
		return m
	}
	c := *m
	c.Versions = nil
	return &c
}

// stripVersions removes earlier versions from messages members get.
func stripVersions(ms []chat.Message) {
	for i := range ms {
		ms[i].Versions = nil
	}
}
