package einsatzraum

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/einsatzraum/einsatzraum/chat"
)

// Broadcasts: one message, text and/or one file, to many chats in one
// call (a wanted-person photo to every patrol chat). The file is stored
// once; each chat gets its own attachment record pointing at it, so that
// each chat's members (and only they) may download it. Allowed to whoever
// may write in every target chat, and to data administrators, who still
// read none of them. One audit entry names every target.

// Broadcast is the input of Service.Broadcast.
type Broadcast struct {
	Chats       []string
	Text        string
	Priority    string
	AckRequired bool
	// FileName and File are the file to send, if any (File nil: text only).
	FileName string
	File     io.Reader
}

// maxBroadcastChats bounds the targets of one broadcast.
const maxBroadcastChats = 200

// Broadcast posts the message to every chat of b.Chats and returns the
// messages, in the order of the chats. Errors: 400 for no or too many
// chats, a bad priority, no text and no file; 404 chat_not_found for a
// chat the caller may not write to (nothing is sent then).
func (s *Service) Broadcast(ctx context.Context, a *Actor, b Broadcast) ([]chat.Message, error) {
	chats := dedupe(b.Chats)
	if len(chats) == 0 || len(chats) > maxBroadcastChats {
		return nil, Errorf(KindInvalid, "invalid_chats", "a broadcast goes to 1 to %d chats", maxBroadcastChats)
	}
	draft := chat.Draft{Kind: chat.KindText, Text: strings.TrimSpace(b.Text), Priority: b.Priority, AckRequired: b.AckRequired}
	if b.File == nil {
		if err := draft.Validate(); err != nil {
			return nil, err
		}
	} else if len(draft.Text) > chat.MaxTextBytes {
		return nil, Errorf(KindInvalid, "text_too_long", "text must be at most %d bytes", chat.MaxTextBytes)
	}
	dataAdmin := a.User.HasRole(RoleDataAdmin)
	targets := make([]*Chat, 0, len(chats))
	err := s.view(ctx, "broadcast_check", func(tx Tx) error {
		for _, id := range chats {
			var c *Chat
			var err error
			if dataAdmin {
				c, err = tx.ChatByID(ctx, id)
				err = notFound(err, "chat_not_found", "no such chat")
			} else {
				c, err = requireChat(ctx, tx, a, id, ActPostMessage)
			}
			if err != nil {
				return err
			}
			targets = append(targets, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var stored *chat.Attachment // the file, stored once
	if b.File != nil {
		if stored, err = s.storeAttachment(ctx, a, targets[0], b.FileName, b.File); err != nil {
			return nil, err
		}
		draft.Kind = chat.KindFile
		if stored.Kind == chat.KindPhoto || stored.Kind == chat.KindAudio || stored.Kind == chat.KindVideo {
			draft.Kind = stored.Kind
		}
	}
	out := make([]chat.Message, 0, len(targets))
	err = s.update(ctx, "broadcast", func(w *write) error {
		out = out[:0]
		var ids []string
		for i, c := range targets {
			m := &chat.Message{ID: NewTimeOrderedID("msg", w.now), Room: c.Room, Chat: c.ID, Sender: a.User.Ref(), Kind: draft.Kind, Text: draft.Text,
				Priority: draft.Priority, AckRequired: draft.AckRequired, CreatedAt: w.now}
			if stored != nil {
				att := stored
				if i > 0 { // the other chats' records share the first one's blob
					cp := *stored
					cp.ID, cp.Room, cp.Chat, cp.BlobID, cp.CreatedAt = NewID("att"), c.Room, c.ID, stored.Blob(), w.now
					if err := w.CreateAttachment(ctx, &cp); err != nil {
						return err
					}
					att = &cp
				}
				m.Attachment, m.Location = att.Ref(), att.Location
			}
			if err := w.addMessage(ctx, m); err != nil {
				return err
			}
			out = append(out, *m)
			ids = append(ids, c.ID)
		}
		detail := fmt.Sprintf("%d chats: %s", len(ids), strings.Join(ids, ", "))
		if stored != nil {
			detail += fmt.Sprintf("; file %s (%s, %d bytes)", stored.Blob(), stored.MIME, stored.Size)
		}
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: a.User.ID, Action: "broadcast", Target: strings.Join(ids, ","), Detail: detail})
	})
	if err != nil {
		if stored != nil {
			s.deleteBlobs(ctx, stored.Blob())
		}
		return nil, err
	}
	return out, nil
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
