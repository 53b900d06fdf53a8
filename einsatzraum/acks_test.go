package einsatzraum_test

import (
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// TestOrdersAreAcknowledged: an urgent order asks the chat to take note;
// the list says who has and who has not; an ack reaches the chat live,
// once; someone outside the chat cannot ack or see the list.
func TestOrdersAreAcknowledged(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	_, lead := f.connect(t, f.lead, 0)
	lead.untilSubscribed(t)
	m, _, err := f.svc.PostMessage(f.ctx, f.lead, f.chat, chat.Draft{Kind: chat.KindText, Text: "Zugriff 14:00", Priority: chat.PriorityUrgent, AckRequired: true})
	if err != nil || m.Priority != "urgent" || !m.AckRequired {
		t.Fatalf("post: %+v %v", m, err)
	}
	if _, _, err := f.svc.PostMessage(f.ctx, f.lead, f.chat, chat.Draft{Kind: chat.KindText, Text: "x", Priority: "panic"}); codeOf(err) != "invalid_priority" {
		t.Fatalf("a bad priority: %v", err)
	}
	// A second member in the chat: two acks are pending.
	u2, err := f.svc.CreateUser(f.ctx, nil, einsatzraum.NewUser{Email: "zwei@polizei.example", Name: "Zwei", Password: "correct-horse-battery"})
	if err != nil {
		t.Fatal(err)
	}
	second := &einsatzraum.Actor{User: u2}
	if _, err := f.svc.PutMember(f.ctx, f.lead, f.room, u2.ID, einsatzraum.RoleMember); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PutChatMember(f.ctx, f.lead, f.chat, u2.ID, chat.Read); err != nil {
		t.Fatal(err)
	}
	st, err := f.svc.MessageAcks(f.ctx, f.lead, m.ID)
	if err != nil || len(st.Acked) != 0 || len(st.Pending) != 2 {
		t.Fatalf("before: %+v %v", st, err)
	}
	if st, err = f.svc.AckMessage(f.ctx, second, m.ID); err != nil || len(st.Acked) != 1 || len(st.Pending) != 1 || st.Pending[0] != f.member.User.ID {
		t.Fatalf("after the second member: %+v %v", st, err)
	}
	f.clock.Advance(time.Second) // acks are listed in the order they came
	for range 2 {
		if st, err = f.svc.AckMessage(f.ctx, f.member, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	if len(st.Acked) != 2 || st.Acked[1].User != f.member.User.ID || len(st.Pending) != 0 {
		t.Fatalf("after both: %+v", st)
	}
	acks := 0
	for e := lead.nextEvent(t); ; e = lead.nextEvent(t) {
		if e.Type == einsatzraum.EventMessageAcked {
			acks++
		}
		if e.Type == einsatzraum.EventMessageCreated && e.Seq > m.Seq {
			break // a marker after the acks
		}
		if acks == 2 {
			f.post(t, f.svc, "Marker")
		}
	}
	if acks != 2 {
		t.Fatalf("%d message.acked events, want 2 (one per member)", acks)
	}
	stranger, err := f.svc.CreateUser(f.ctx, nil, einsatzraum.NewUser{Email: "s@polizei.example", Name: "S", Password: "correct-horse-battery"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AckMessage(f.ctx, &einsatzraum.Actor{User: stranger}, m.ID); codeOf(err) != "message_not_found" {
		t.Fatalf("a stranger's ack: %v", err)
	}
}

// TestMessagesNewestFirst: a chat opens on its newest messages and pages
// back with before_seq (a chat of 510 once opened on its oldest 500).
func TestMessagesNewestFirst(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	var seqs []int64
	for i := range 12 {
		seqs = append(seqs, f.post(t, f.svc, "Nachricht "+string(rune('A'+i))))
	}
	page, err := f.svc.MessagesNewestFirst(f.ctx, f.member, f.chat, 0, 5)
	if err != nil || len(page) != 5 || page[0].Seq != seqs[11] || page[4].Seq != seqs[7] {
		t.Fatalf("newest page: %d, %v", len(page), err)
	}
	older, err := f.svc.MessagesNewestFirst(f.ctx, f.member, f.chat, page[4].Seq, 5)
	if err != nil || len(older) != 5 || older[0].Seq != seqs[6] || older[4].Seq != seqs[2] {
		t.Fatalf("older page: %+v, %v", older, err)
	}
	last, err := f.svc.MessagesNewestFirst(f.ctx, f.member, f.chat, older[4].Seq, 5)
	if err != nil || len(last) != 2 || last[1].Seq != seqs[0] {
		t.Fatalf("last page: %d, %v", len(last), err)
	}
}

// TestRepliesAndMentions: a reply carries a quote of the message it
// answers (of the same chat only); mentions name members of the chat.
func TestRepliesAndMentions(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	first, _, err := f.svc.PostMessage(f.ctx, f.lead, f.chat, chat.Draft{Kind: chat.KindText, Text: "Wer übernimmt Abschnitt Nord?"})
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := f.svc.PostMessage(f.ctx, f.member, f.chat, chat.Draft{Kind: chat.KindText, Text: "Ich", ReplyTo: first.ID, Mentions: []string{f.lead.User.ID, f.lead.User.ID}})
	if err != nil || r.ReplyTo == nil || r.ReplyTo.ID != first.ID || r.ReplyTo.Text != first.Text || r.ReplyTo.Sender.ID != f.lead.User.ID || len(r.Mentions) != 1 {
		t.Fatalf("reply: %+v %v", r, err)
	}
	if _, _, err := f.svc.PostMessage(f.ctx, f.member, f.chat, chat.Draft{Kind: chat.KindText, Text: "x", ReplyTo: "msg_nope"}); codeOf(err) != "unknown_reply_to" {
		t.Fatalf("a reply to nothing: %v", err)
	}
	stranger, err := f.svc.CreateUser(f.ctx, nil, einsatzraum.NewUser{Email: "fremd@polizei.example", Name: "Fremd", Password: "correct-horse-battery"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.PostMessage(f.ctx, f.member, f.chat, chat.Draft{Kind: chat.KindText, Text: "x", Mentions: []string{stranger.ID}}); codeOf(err) != "unknown_mention" {
		t.Fatalf("a mention of a stranger: %v", err)
	}
	ms, err := f.svc.MessagesNewestFirst(f.ctx, f.lead, f.chat, 0, 1)
	if err != nil || ms[0].ReplyTo == nil || ms[0].Mentions[0] != f.lead.User.ID {
		t.Fatalf("the reply as stored: %+v %v", ms, err)
	}
}

// TestEditAndDelete: a sender edits their message (members see the new
// text, marked edited; message.updated), a manager deletes it (members
// see that it was deleted; message.deleted); auditors find every version.
func TestEditAndDelete(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	_, watch := f.connect(t, f.lead, 0)
	watch.untilSubscribed(t)
	m, _, err := f.svc.PostMessage(f.ctx, f.member, f.chat, chat.Draft{Kind: chat.KindText, Text: "Treffpunkt Hafenstraße"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.EditMessage(f.ctx, f.lead, m.ID, "x"); codeOf(err) != "not_sender" {
		t.Fatalf("someone else's edit: %v", err)
	}
	e, err := f.svc.EditMessage(f.ctx, f.member, m.ID, "Treffpunkt Baumwall")
	if err != nil || e.Text != "Treffpunkt Baumwall" || e.EditedAt == nil || len(e.Versions) != 0 {
		t.Fatalf("edit: %+v %v", e, err)
	}
	if err := f.svc.DeleteMessage(f.ctx, f.lead, m.ID); err != nil { // the lead manages the chat
		t.Fatal(err)
	}
	types := map[string]bool{}
	for !types[einsatzraum.EventMessageDeleted] {
		types[watch.nextEvent(t).Type] = true
	}
	if !types[einsatzraum.EventMessageUpdated] {
		t.Fatalf("events %v, want message.updated before message.deleted", types)
	}
	ms, err := f.svc.MessagesNewestFirst(f.ctx, f.member, f.chat, 0, 1)
	if err != nil || !ms[0].Deleted || ms[0].Text != "" || len(ms[0].Versions) != 0 {
		t.Fatalf("members see %+v, %v", ms, err)
	}
	aud, err := f.svc.CreateUser(f.ctx, nil, einsatzraum.NewUser{Email: "aud@polizei.example", Name: "Aud", Password: "correct-horse-battery", Roles: []einsatzraum.GlobalRole{einsatzraum.RoleAuditor}})
	if err != nil {
		t.Fatal(err)
	}
	found, err := f.svc.AuditMessages(f.ctx, &einsatzraum.Actor{User: aud}, einsatzraum.AuditQuery{Case: "AZ 1/26", Room: f.room, Text: "hafenstraße"})
	if err != nil || len(found) != 1 || len(found[0].Versions) != 2 || found[0].Versions[0].Text != "Treffpunkt Hafenstraße" || found[0].Versions[1].Text != "Treffpunkt Baumwall" {
		t.Fatalf("the auditor finds %+v, %v", found, err)
	}
}

// TestReadMarkers: the chat list counts others' unread messages after the
// caller's marker; the marker moves only forward; the chat learns of it
// (chat.read), and the markers say who read how far.
func TestReadMarkers(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	_, watch := f.connect(t, f.lead, 0)
	watch.untilSubscribed(t)
	var seqs []int64
	for range 3 {
		seqs = append(seqs, f.post(t, f.svc, "Lage"))
	}
	unread := func() int {
		cs, err := f.svc.Chats(f.ctx, f.member, f.room)
		if err != nil || len(cs) != 1 {
			t.Fatalf("chats: %+v %v", cs, err)
		}
		return cs[0].Unread
	}
	if n := unread(); n != 3 {
		t.Fatalf("unread %d, want 3", n)
	}
	if err := f.svc.MarkRead(f.ctx, f.member, f.chat, seqs[1]); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.MarkRead(f.ctx, f.member, f.chat, seqs[0]); err != nil { // backwards: no change
		t.Fatal(err)
	}
	if n := unread(); n != 1 {
		t.Fatalf("unread %d after reading two, want 1", n)
	}
	if err := f.svc.MarkRead(f.ctx, f.member, f.chat, 1<<40); codeOf(err) != "invalid_seq" {
		t.Fatalf("a marker past the room: %v", err)
	}
	for watch.nextEvent(t).Type != einsatzraum.EventChatRead { // the chat learns of the marker
	}
	ms, err := f.svc.ReadMarkers(f.ctx, f.lead, f.chat)
	if err != nil || len(ms) != 1 || ms[0].User != f.member.User.ID || ms[0].Seq != seqs[1] {
		t.Fatalf("markers %+v %v", ms, err)
	}
}
