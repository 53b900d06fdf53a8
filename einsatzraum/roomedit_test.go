package einsatzraum_test

import (
	"slices"
	"testing"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// texts are the texts of ms in their order.
func texts(ms []chat.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}

// TestReaddedMemberDoesNotSeeTheTimeOut: a member taken out of a chat and
// added again reads what was posted before and after, not what was
// posted while they were out: in pages both ways, in the unread count, by
// the message's ID and in the live replay.
func TestReaddedMemberDoesNotSeeTheTimeOut(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	f.post(t, f.svc, "vorher")
	if err := f.svc.RemoveChatMember(f.ctx, f.lead, f.chat, f.member.User.ID); err != nil {
		t.Fatal(err)
	}
	secret, _, err := f.svc.PostMessage(f.ctx, f.lead, f.chat, chat.Draft{Kind: chat.KindText, Text: "während der Abwesenheit"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PutChatMember(f.ctx, f.lead, f.chat, f.member.User.ID, chat.Read|chat.Write); err != nil {
		t.Fatal(err)
	}
	f.post(t, f.svc, "nachher")

	asc, err := f.svc.Messages(f.ctx, f.member, f.chat, 0, 100)
	if err != nil || !slices.Equal(texts(asc), []string{"vorher", "nachher"}) {
		t.Fatalf("oldest first: %q %v", texts(asc), err)
	}
	desc, err := f.svc.MessagesNewestFirst(f.ctx, f.member, f.chat, 0, 1)
	if err != nil || !slices.Equal(texts(desc), []string{"nachher"}) {
		t.Fatalf("newest page of one: %q %v", texts(desc), err)
	}
	older, err := f.svc.MessagesNewestFirst(f.ctx, f.member, f.chat, desc[0].Seq, 1)
	if err != nil || !slices.Equal(texts(older), []string{"vorher"}) {
		t.Fatalf("the page before skips the time out: %q %v", texts(older), err)
	}
	if all, _ := f.svc.Messages(f.ctx, f.lead, f.chat, 0, 100); len(all) != 3 {
		t.Fatalf("the lead reads %q, want all three", texts(all))
	}
	cs, err := f.svc.Chats(f.ctx, f.member, f.room)
	if err != nil || cs[0].Unread != 2 {
		t.Fatalf("unread %+v %v, want 2 (the time out not counted)", cs, err)
	}
	if _, err := f.svc.MessageAcks(f.ctx, f.member, secret.ID); codeOf(err) != "message_not_found" {
		t.Fatalf("the hidden message by ID: %v", err)
	}
	if _, err := f.svc.MessageReads(f.ctx, f.member, secret.ID); codeOf(err) != "message_not_found" {
		t.Fatalf("the hidden message's readers: %v", err)
	}
	// A replay from the start: the message of the time out is not sent.
	_, sock := f.connect(t, f.member, 0)
	seqs, _ := sock.untilSubscribed(t)
	if slices.Contains(seqs, secret.Seq) {
		t.Fatalf("the replay sent the message posted while the member was out (seqs %v)", seqs)
	}
	if !slices.Contains(seqs, secret.Seq+2) { // the re-adding event (secret+1) and "nachher" (secret+2)
		t.Fatalf("the replay lacks what came after (seqs %v, hidden %d)", seqs, secret.Seq)
	}
}

// TestRoomArchiveAndRename: leads rename and archive a room; an archived
// room is read-only for everyone (409 room_archived) until a lead
// restores it; members may not archive; a chat's manager renames it.
func TestRoomArchiveAndRename(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	_, watch := f.connect(t, f.member, 0)
	watch.untilSubscribed(t)
	archived := true
	if _, err := f.svc.UpdateRoom(f.ctx, f.member, f.room, einsatzraum.RoomPatch{Archived: &archived}); codeOf(err) != "forbidden_manage_room" {
		t.Fatalf("a member archives: %v", err)
	}
	name := "Lage Nord"
	r, err := f.svc.UpdateRoom(f.ctx, f.lead, f.room, einsatzraum.RoomPatch{Name: &name})
	if err != nil || r.Name != name || r.ArchivedAt != nil {
		t.Fatalf("rename: %+v %v", r, err)
	}
	if e := watch.nextEvent(t); e.Type != einsatzraum.EventRoomUpdated {
		t.Fatalf("event %s, want room.updated", e.Type)
	}
	empty := ""
	if _, err := f.svc.UpdateRoom(f.ctx, f.lead, f.room, einsatzraum.RoomPatch{Name: &empty}); err == nil {
		t.Fatal("an empty name was taken")
	}
	if r, err = f.svc.UpdateRoom(f.ctx, f.lead, f.room, einsatzraum.RoomPatch{Archived: &archived}); err != nil || r.ArchivedAt == nil {
		t.Fatalf("archive: %+v %v", r, err)
	}
	if _, _, err := f.svc.PostMessage(f.ctx, f.lead, f.chat, chat.Draft{Kind: chat.KindText, Text: "x"}); codeOf(err) != "room_archived" {
		t.Fatalf("a post into an archived room: %v", err)
	}
	if _, err := f.svc.CreatePOI(f.ctx, f.member, f.room, einsatzraum.NewPOI{Name: "P", Category: "info", Lat: 50, Lon: 11}); codeOf(err) != "room_archived" {
		t.Fatalf("a POI in an archived room: %v", err)
	}
	if _, err := f.svc.RenameChat(f.ctx, f.lead, f.chat, "Neu"); codeOf(err) != "room_archived" {
		t.Fatalf("renaming a chat of an archived room: %v", err)
	}
	if _, err := f.svc.Messages(f.ctx, f.member, f.chat, 0, 10); err != nil {
		t.Fatalf("reading an archived room: %v", err)
	}
	rooms, err := f.svc.Rooms(f.ctx, f.member)
	if err != nil || rooms[0].ArchivedAt == nil {
		t.Fatalf("the room list says archived: %+v %v", rooms, err)
	}
	restore := false
	if _, err := f.svc.UpdateRoom(f.ctx, f.lead, f.room, einsatzraum.RoomPatch{Archived: &restore}); err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.RenameChat(f.ctx, f.lead, f.chat, "Führung")
	if err != nil || c.Name != "Führung" {
		t.Fatalf("rename chat: %+v %v", c, err)
	}
	if _, err := f.svc.RenameChat(f.ctx, f.member, f.chat, "Meins"); codeOf(err) != "forbidden_manage_chat" {
		t.Fatalf("a member without manage renames: %v", err)
	}
	f.post(t, f.svc, "wieder offen")
}

// TestUserDirectory: colleagues are found by name, call sign or email
// part; the answer holds no email; short queries are refused.
func TestUserDirectory(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	if _, err := f.svc.CreateUser(f.ctx, nil, einsatzraum.NewUser{Email: "ayse.yilmaz@polizei.example", Name: "Ayşe Yılmaz", Callsign: "Fuchs 14/22", Password: "correct-horse-battery"}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{"ayşe": "Ayşe Yılmaz", "fuchs 14": "Ayşe Yılmaz", "yilmaz@": "Ayşe Yılmaz", "AYŞE": "Ayşe Yılmaz"} {
		us, err := f.svc.SearchUsers(f.ctx, f.member, q, 0)
		if err != nil || len(us) != 1 || us[0].Name != want || us[0].Callsign != "Fuchs 14/22" {
			t.Errorf("search %q: %+v %v", q, us, err)
		}
	}
	if us, err := f.svc.SearchUsers(f.ctx, f.member, "100%", 0); err != nil || len(us) != 0 {
		t.Errorf("a %% in the query matched %+v %v", us, err)
	}
	if _, err := f.svc.SearchUsers(f.ctx, f.member, "a", 0); codeOf(err) != "invalid_query" {
		t.Errorf("one letter: %v", err)
	}
}

// TestMessageReads: the list behind "read by N of M".
func TestMessageReads(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	m, _, err := f.svc.PostMessage(f.ctx, f.lead, f.chat, chat.Draft{Kind: chat.KindText, Text: "Lage"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.svc.MessageReads(f.ctx, f.lead, m.ID)
	if err != nil || len(st.Read) != 0 || !slices.Equal(st.Unread, []string{f.member.User.ID}) {
		t.Fatalf("before: %+v %v", st, err)
	}
	if err := f.svc.MarkRead(f.ctx, f.member, f.chat, m.Seq); err != nil {
		t.Fatal(err)
	}
	st, err = f.svc.MessageReads(f.ctx, f.lead, m.ID)
	if err != nil || len(st.Read) != 1 || st.Read[0].User != f.member.User.ID || st.Read[0].At.IsZero() || len(st.Unread) != 0 {
		t.Fatalf("after: %+v %v", st, err)
	}
}
