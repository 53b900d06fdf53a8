package einsatzraum

import (
	"context"
	"errors"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
)

// Paging limits for message lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// PostMessage stores a message in a chat and emits message.created; needs
// write. A repeated (sender, client_id) returns the first message with
// created false and stores nothing.
//
// Posts are written in groups (postGroups): the posts that arrive while a
// group is written are stored together in the next one. Should
// a group fail in the store (a client_id sent twice in one group, a chat
// deleted meanwhile), each of its posts runs again on its own, checks and
// write in one transaction, so one bad post fails alone and nothing is
// lost.
func (s *Service) PostMessage(ctx context.Context, a *Actor, chatID string, d chat.Draft) (m *chat.Message, created bool, err error) {
	if err := d.Validate(); err != nil {
		return nil, false, err
	}
	p := &pendingPost{ctx: ctx, actor: a, chatID: chatID, draft: d}
	// A post that needs reads beyond those its group makes for all its
	// posts is checked here where the store reads fastest outside the
	// writer (PostgreSQL), in parallel with other posts' checks; otherwise
	// in the group's transaction.
	if needsOwnChecks(d) {
		p.checked, err = s.store.Latest(ctx, func(tx Tx) (err error) {
			p.m, p.created, err = s.draftMessage(ctx, tx, a, chatID, d, s.Now())
			return err
		})
		if err != nil {
			return nil, false, err
		}
	}
	if p.checked && !p.created {
		return p.m, false, nil
	}
	m, created, err = s.posts.submit(s, p)
	if !errors.Is(err, errPostGroupFailed) {
		return m, created, err
	}
	err = s.update(ctx, "post_message", func(w *write) error {
		m, created, err = s.draftMessage(ctx, w, a, chatID, d, w.now)
		if err != nil || !created {
			return err
		}
		return w.addMessage(ctx, m)
	})
	if err != nil {
		return nil, false, err
	}
	return m, created, nil
}

// needsOwnChecks reports whether checking d reads more than the chat
// access and client_id a group reads for all its posts at once.
func needsOwnChecks(d chat.Draft) bool {
	return d.Kind == chat.KindPOI || d.Attachment != nil || d.ReplyTo != "" || len(d.Mentions) > 0
}

// draftMessage checks a post of d to chatID by a (rights, POI, attachment,
// reply, mentions) and returns the message to store, without seq, or, for
// a client_id the sender used before, that first message with created
// false. It only reads.
func (s *Service) draftMessage(ctx context.Context, tx Tx, a *Actor, chatID string, d chat.Draft, now time.Time) (*chat.Message, bool, error) {
	c, err := requireChat(ctx, tx, a, chatID, ActPostMessage)
	if err != nil {
		return nil, false, err
	}
	if d.Kind == chat.KindPOI {
		if p, err := tx.POIByID(ctx, d.POI.ID); err != nil || p.Room != c.Room {
			return nil, false, Errorf(KindInvalid, "unknown_poi", "poi %q is not a POI of this room", d.POI.ID)
		}
	}
	if d.Attachment != nil {
		att, err := attachmentFor(ctx, tx, chatID, &d)
		if err != nil {
			return nil, false, err
		}
		if d.Location == nil && att.Location != nil {
			d.Location = att.Location // the photo's EXIF position puts it on the map
		}
		d.Attachment = att.Ref()
	}
	quote, err := s.replyQuote(ctx, tx, chatID, d.ReplyTo)
	if err != nil {
		return nil, false, err
	}
	mentions, err := chatMentions(ctx, tx, chatID, d.Mentions)
	if err != nil {
		return nil, false, err
	}
	if d.ClientID != "" {
		prev, err := tx.MessageByClientID(ctx, a.User.ID, d.ClientID)
		if err == nil {
			if prev.Chat != chatID {
				return nil, false, errClientIDInOtherChat()
			}
			if prev.CreatedAt.Before(s.VisibleSince()) {
				// Past the visible retention the message is hidden from
				// members, its sender too: a retry must not bring it back.
				return nil, false, Errorf(KindConflict, "client_id_reused", "this client_id was used for a message that is no longer shown")
			}
			return forMembers(prev), false, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, false, err
		}
	}
	m := &chat.Message{
		ID: NewTimeOrderedID("msg", now), Room: c.Room, Chat: chatID, Sender: a.User.Ref(), Kind: d.Kind,
		Text: d.Text, Location: d.Location, POI: d.POI, Attachment: d.Attachment, ClientID: d.ClientID, CreatedAt: now,
		Priority: d.Priority, AckRequired: d.AckRequired, ReplyTo: quote, Mentions: mentions,
	}
	return m, true, nil
}

// Messages lists a chat's messages after afterSeq, oldest first; needs read.
// limit is clamped to [1, MaxPageSize], 0 meaning DefaultPageSize.
func (s *Service) Messages(ctx context.Context, a *Actor, chatID string, afterSeq int64, limit int) ([]chat.Message, error) {
	if afterSeq < 0 {
		return nil, Errorf(KindInvalid, "invalid_after_seq", "after_seq must be >= 0")
	}
	limit = clampLimit(limit)
	var ms []chat.Message
	err := s.view(ctx, "messages", func(tx Tx) error {
		if _, err := requireChat(ctx, tx, a, chatID, ActReadChat); err != nil {
			return err
		}
		gaps, err := tx.ChatGaps(ctx, chatID, a.User.ID)
		if err != nil {
			return err
		}
		// Messages past the visible retention are hidden, and those posted
		// while the reader was out of the chat; pages are filled up.
		for after := afterSeq; len(ms) < limit; {
			page, err := tx.Messages(ctx, chatID, after, s.VisibleSince(), limit)
			if err != nil || len(page) == 0 {
				return err
			}
			after = page[len(page)-1].Seq
			ms = append(ms, visibleSeqs(page, gaps)...)
			if len(page) < limit {
				break
			}
		}
		ms = ms[:min(len(ms), limit)]
		return nil
	})
	stripVersions(ms)
	return ms, err
}

// MessagesNewestFirst returns a chat's messages newest first: the newest
// limit ones, or with beforeSeq > 0 those older than it (scrolling back).
// Messages past the visible retention are hidden.
func (s *Service) MessagesNewestFirst(ctx context.Context, a *Actor, chatID string, beforeSeq int64, limit int) ([]chat.Message, error) {
	if beforeSeq < 0 {
		return nil, Errorf(KindInvalid, "invalid_before_seq", "before_seq must be >= 0")
	}
	limit = clampLimit(limit)
	var ms []chat.Message
	err := s.view(ctx, "messages_desc", func(tx Tx) error {
		if _, err := requireChat(ctx, tx, a, chatID, ActReadChat); err != nil {
			return err
		}
		gaps, err := tx.ChatGaps(ctx, chatID, a.User.ID)
		if err != nil {
			return err
		}
		for before := beforeSeq; len(ms) < limit; {
			page, err := tx.MessagesBefore(ctx, chatID, before, s.VisibleSince(), limit)
			if err != nil || len(page) == 0 {
				return err
			}
			before = page[len(page)-1].Seq
			ms = append(ms, visibleSeqs(page, gaps)...)
			if len(page) < limit || before <= 1 {
				break
			}
		}
		ms = ms[:min(len(ms), limit)]
		return nil
	})
	stripVersions(ms)
	return ms, err
}

func clampLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPageSize
	case limit > MaxPageSize:
		return MaxPageSize
	}
	return limit
}

// replyQuote returns what a reply shows of the message it answers: one of
// the same chat, still visible. Errors: 400 unknown_reply_to.
func (s *Service) replyQuote(ctx context.Context, tx Tx, chatID, replyTo string) (*chat.Quote, error) {
	if replyTo == "" {
		return nil, nil
	}
	m, err := tx.MessageByID(ctx, replyTo)
	if err != nil || m.Chat != chatID || m.CreatedAt.Before(s.VisibleSince()) {
		return nil, Errorf(KindInvalid, "unknown_reply_to", "reply_to %q is not a message of this chat", replyTo)
	}
	text := m.Text
	if r := []rune(text); len(r) > 140 {
		text = string(r[:140]) + "…"
	}
	return &chat.Quote{ID: m.ID, Sender: m.Sender, Text: text, Kind: m.Kind}, nil
}

// chatMentions checks that every mentioned user is a member of the chat
// and returns them without repeats. Errors: 400 unknown_mention.
func chatMentions(ctx context.Context, tx Tx, chatID string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	members, err := tx.ChatMembers(ctx, chatID)
	if err != nil {
		return nil, err
	}
	in := make(map[string]bool, len(members))
	for _, m := range members {
		in[m.User.ID] = true
	}
	for _, id := range ids {
		if !in[id] {
			return nil, Errorf(KindInvalid, "unknown_mention", "mentioned user %q is not in this chat", id)
		}
	}
	return dedupe(ids), nil
}

// addMessage gives m the room's next seq, stores it and appends its
// message.created event (to the chat's members).
func (w *write) addMessage(ctx context.Context, m *chat.Message) error {
	seq, err := w.NextSeq(ctx, m.Room)
	if err != nil {
		return err
	}
	m.Seq = seq
	if err := w.InsertMessage(ctx, m); err != nil {
		return err
	}
	return w.appendAt(ctx, seq, m.Room, EventMessageCreated, m.Chat, "", messageCreated(m))
}

// errClientIDInOtherChat: a client_id names one message, in one chat.
func errClientIDInOtherChat() error {
	return Errorf(KindConflict, "client_id_reused", "this client_id was used for a message in another chat")
}

// messageCreated is the message.created event's fields.
func messageCreated(m *chat.Message) map[string]any { return map[string]any{"message": m} }
