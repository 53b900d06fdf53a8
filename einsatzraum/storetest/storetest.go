// Package storetest is the conformance suite every einsatzraum.Store
// implementation must pass. Implementations call Run from their tests with
// a factory that returns a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

// Factory returns a new empty store; it registers its own cleanup on t.
type Factory func(t *testing.T) einsatzraum.Store

// Run runs the whole suite against stores made by newStore.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s einsatzraum.Store)
	}{
		{"Users", testUsers},
		{"Devices", testDevices},
		{"RoomsAndMembers", testRoomsAndMembers},
		{"SeqIsGapFreeUnderConcurrentWriters", testSeqConcurrent},
		{"ChatsAndPermissions", testChats},
		{"MessagesAndEvents", testMessagesAndEvents},
		{"MessagesInGroups", testMessagesInGroups},
		{"LargeMessageGroup", testLargeMessageGroup},
		{"Latest", testLatest},
		{"RollbackKeepsNothing", testRollback},
		{"POIs", testPOIs},
		{"TrackHistory", testTrack},
		{"Alarms", testAlarms},
		{"DirectoryArchiveAndGaps", testDirectoryArchiveAndGaps},
		{"Drawings", testDrawings},
		{"Identity", testIdentity},
		{"RetentionAndAudit", testRetentionAndAudit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func tx(t *testing.T, s einsatzraum.Store, fn func(einsatzraum.Tx) error) {
	t.Helper()
	if err := s.Tx(context.Background(), fn); err != nil {
		t.Fatalf("tx: %v", err)
	}
}

func view(t *testing.T, s einsatzraum.Store, fn func(einsatzraum.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

func user(id string) *einsatzraum.User {
	return &einsatzraum.User{ID: id, Email: id + "@polizei.example", Name: "Name " + id, Callsign: "CS-" + id,
		Roles: []einsatzraum.GlobalRole{}, PasswordHash: "hash-" + id, CreatedAt: t0}
}

func mustUsers(t *testing.T, s einsatzraum.Store, ids ...string) {
	t.Helper()
	tx(t, s, func(x einsatzraum.Tx) error {
		for _, id := range ids {
			if err := x.CreateUser(context.Background(), user(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

func mustRoom(t *testing.T, s einsatzraum.Store, id string, members map[string]einsatzraum.RoomRole) {
	t.Helper()
	ctx := context.Background()
	tx(t, s, func(x einsatzraum.Tx) error {
		if err := x.CreateRoom(ctx, &einsatzraum.Room{ID: id, Name: "Room " + id, CreatedAt: t0}); err != nil {
			return err
		}
		for u, role := range members {
			if err := x.PutMember(ctx, id, u, role, t0); err != nil {
				return err
			}
		}
		return nil
	})
}

func testUsers(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	u := user("u_anna")
	u.Roles = []einsatzraum.GlobalRole{einsatzraum.RoleAdmin, einsatzraum.RoleAuditor}
	tx(t, s, func(x einsatzraum.Tx) error { return x.CreateUser(ctx, u) })

	err := s.Tx(ctx, func(x einsatzraum.Tx) error {
		dup := user("u_other")
		dup.Email = u.Email
		return x.CreateUser(ctx, dup)
	})
	if !errors.Is(err, einsatzraum.ErrConflict) {
		t.Fatalf("duplicate email: got %v, want ErrConflict", err)
	}
	view(t, s, func(x einsatzraum.Tx) error {
		got, err := x.UserByEmail(ctx, u.Email)
		if err != nil {
			return err
		}
		if got.ID != u.ID || got.Name != u.Name || got.Callsign != u.Callsign || got.PasswordHash != u.PasswordHash ||
			!got.CreatedAt.Equal(u.CreatedAt) || fmt.Sprint(got.Roles) != fmt.Sprint(u.Roles) {
			t.Errorf("UserByEmail = %+v, want %+v", got, u)
		}
		if _, err := x.UserByID(ctx, "u_missing"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("UserByID(missing) = %v, want ErrNotFound", err)
		}
		us, err := x.UsersByIDs(ctx, []string{u.ID, "u_missing"})
		if err != nil {
			return err
		}
		if len(us) != 1 || us[0].ID != u.ID {
			t.Errorf("UsersByIDs = %v, want just %s", us, u.ID)
		}
		return nil
	})
	tx(t, s, func(x einsatzraum.Tx) error { return x.UpdatePassword(ctx, u.ID, "new-hash") })
	view(t, s, func(x einsatzraum.Tx) error {
		got, err := x.UserByID(ctx, u.ID)
		if err == nil && got.PasswordHash != "new-hash" {
			t.Errorf("password hash = %q after update", got.PasswordHash)
		}
		return err
	})
	if err := s.Tx(ctx, func(x einsatzraum.Tx) error { return x.UpdatePassword(ctx, "u_missing", "h") }); !errors.Is(err, einsatzraum.ErrNotFound) {
		t.Errorf("UpdatePassword(missing) = %v, want ErrNotFound", err)
	}
}

func testDevices(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustUsers(t, s, "u_a")
	d1 := &einsatzraum.Device{ID: "dev_1", UserID: "u_a", Name: "phone", TokenHash: []byte("hash-1"), CreatedAt: t0, LastSeenAt: t0}
	d2 := &einsatzraum.Device{ID: "dev_2", UserID: "u_a", Name: "browser", TokenHash: []byte("hash-2"), CreatedAt: t0.Add(time.Second), LastSeenAt: t0}
	tx(t, s, func(x einsatzraum.Tx) error {
		if err := x.CreateDevice(ctx, d1); err != nil {
			return err
		}
		return x.CreateDevice(ctx, d2)
	})
	tx(t, s, func(x einsatzraum.Tx) error {
		if err := x.TouchDevice(ctx, "dev_1", t0.Add(time.Hour)); err != nil {
			return err
		}
		return x.RevokeDevice(ctx, "dev_2", t0.Add(2*time.Hour))
	})
	view(t, s, func(x einsatzraum.Tx) error {
		got, err := x.DeviceByTokenHash(ctx, []byte("hash-1"))
		if err != nil {
			return err
		}
		if got.ID != "dev_1" || !got.LastSeenAt.Equal(t0.Add(time.Hour)) || got.RevokedAt != nil {
			t.Errorf("DeviceByTokenHash = %+v", got)
		}
		got, err = x.DeviceByID(ctx, "dev_2")
		if err != nil {
			return err
		}
		if got.RevokedAt == nil || !got.RevokedAt.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("revoked device: RevokedAt = %v", got.RevokedAt)
		}
		ds, err := x.DevicesOfUser(ctx, "u_a")
		if err != nil {
			return err
		}
		if len(ds) != 2 || ds[0].ID != "dev_2" {
			t.Errorf("DevicesOfUser = %v, want newest first", ds)
		}
		if _, err := x.DeviceByTokenHash(ctx, []byte("nope")); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("unknown token: %v, want ErrNotFound", err)
		}
		for _, c := range []struct {
			since time.Time
			want  int
		}{{t0, 1}, {t0.Add(2 * time.Hour), 1}, {t0.Add(2*time.Hour + time.Microsecond), 0}} {
			if ids, err := x.DevicesRevokedSince(ctx, c.since); err != nil || len(ids) != c.want || (c.want == 1 && ids[0] != "dev_2") {
				t.Errorf("DevicesRevokedSince(%v) = %v, %v; want %d", c.since, ids, err, c.want)
			}
		}
		return nil
	})
	if err := s.Tx(ctx, func(x einsatzraum.Tx) error { return x.RevokeDevice(ctx, "dev_none", t0) }); !errors.Is(err, einsatzraum.ErrNotFound) {
		t.Errorf("RevokeDevice(missing) = %v, want ErrNotFound", err)
	}
}

func testRoomsAndMembers(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustUsers(t, s, "u_lead", "u_mem", "u_obs")
	mustRoom(t, s, "rm_b", map[string]einsatzraum.RoomRole{"u_lead": einsatzraum.RoleLead, "u_mem": einsatzraum.RoleMember})
	mustRoom(t, s, "rm_a", map[string]einsatzraum.RoomRole{"u_lead": einsatzraum.RoleLead})
	tx(t, s, func(x einsatzraum.Tx) error {
		if err := x.PutMember(ctx, "rm_b", "u_obs", einsatzraum.RoleObserver, t0); err != nil {
			return err
		}
		return x.PutMember(ctx, "rm_b", "u_mem", einsatzraum.RoleLead, t0.Add(time.Hour)) // change of role
	})
	view(t, s, func(x einsatzraum.Tx) error {
		rooms, err := x.RoomsOfUser(ctx, "u_lead")
		if err != nil {
			return err
		}
		if len(rooms) != 2 || rooms[0].ID != "rm_a" || rooms[0].MyRole != einsatzraum.RoleLead {
			t.Errorf("RoomsOfUser = %+v", rooms)
		}
		if role, err := x.RoomRole(ctx, "rm_b", "u_obs"); err != nil || role != einsatzraum.RoleObserver {
			t.Errorf("RoomRole = %q, %v", role, err)
		}
		if _, err := x.RoomRole(ctx, "rm_a", "u_obs"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("RoomRole of non-member = %v, want ErrNotFound", err)
		}
		if n, err := x.CountLeads(ctx, "rm_b"); err != nil || n != 2 {
			t.Errorf("CountLeads = %d, %v; want 2", n, err)
		}
		ms, err := x.Members(ctx, "rm_b")
		if err != nil {
			return err
		}
		if len(ms) != 3 || ms[0].User.Name == "" {
			t.Errorf("Members = %+v", ms)
		}
		for _, m := range ms { // a change of role keeps the joined time
			if !m.JoinedAt.Equal(t0) {
				t.Errorf("member %s joined at %v, want %v", m.User.ID, m.JoinedAt, t0)
			}
		}
		if _, err := x.RoomByID(ctx, "rm_none"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("RoomByID(missing) = %v", err)
		}
		return nil
	})
	tx(t, s, func(x einsatzraum.Tx) error { return x.DeleteMember(ctx, "rm_b", "u_obs") })
	if err := s.Tx(ctx, func(x einsatzraum.Tx) error { return x.DeleteMember(ctx, "rm_b", "u_obs") }); !errors.Is(err, einsatzraum.ErrNotFound) {
		t.Errorf("second DeleteMember = %v, want ErrNotFound", err)
	}
}

func testSeqConcurrent(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustRoom(t, s, "rm_seq", nil)
	SeqUnderConcurrentWriters(t, "rm_seq", []einsatzraum.Store{s}, 8, 25)
	if err := s.Tx(ctx, func(x einsatzraum.Tx) error { _, err := x.NextSeq(ctx, "rm_none"); return err }); !errors.Is(err, einsatzraum.ErrNotFound) {
		t.Errorf("NextSeq(missing room) = %v, want ErrNotFound", err)
	}
}

// SeqUnderConcurrentWriters appends events to room (which exists) from
// writersPerStore goroutines on each of stores (one store, or several on
// the same database as several nodes have), each writing each events, and
// checks that the room's seq came out gap-free and unique.
func SeqUnderConcurrentWriters(t *testing.T, room string, stores []einsatzraum.Store, writersPerStore, each int) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, len(stores)*writersPerStore)
	for _, s := range stores {
		for range writersPerStore {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					err := s.Tx(ctx, func(x einsatzraum.Tx) error {
						seq, err := x.NextSeq(ctx, room)
						if err != nil {
							return err
						}
						return x.AppendEvent(ctx, &einsatzraum.Event{Room: room, Seq: seq, Type: "test", Data: []byte(`{"type":"test"}`), CreatedAt: t0})
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent writer: %v", err)
	}
	total := len(stores) * writersPerStore * each
	view(t, stores[0], func(x einsatzraum.Tx) error {
		evs, err := x.EventsAfter(ctx, room, 0, total+1)
		if err != nil {
			return err
		}
		if len(evs) != total {
			t.Fatalf("got %d events, want %d", len(evs), total)
		}
		for i, e := range evs {
			if e.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d: not gap-free", i, e.Seq)
			}
		}
		r, err := x.RoomByID(ctx, room)
		if err == nil && r.Seq != int64(total) {
			t.Errorf("room seq = %d, want %d", r.Seq, total)
		}
		return err
	})
}

func testChats(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustUsers(t, s, "u_1", "u_2")
	mustRoom(t, s, "rm_c", map[string]einsatzraum.RoomRole{"u_1": einsatzraum.RoleLead, "u_2": einsatzraum.RoleMember})
	tx(t, s, func(x einsatzraum.Tx) error {
		for i, id := range []string{"ch_1", "ch_2"} {
			if err := x.CreateChat(ctx, &einsatzraum.Chat{ID: id, Room: "rm_c", Name: "Chat " + id, CreatedBy: "u_1", CreatedAt: t0.Add(time.Duration(i) * time.Second)}); err != nil {
				return err
			}
			if err := x.PutChatMember(ctx, id, "u_1", chat.All); err != nil {
				return err
			}
		}
		if err := x.PutChatMember(ctx, "ch_1", "u_2", chat.Read); err != nil {
			return err
		}
		return x.PutChatMember(ctx, "ch_1", "u_2", chat.Read|chat.Write)
	})
	view(t, s, func(x einsatzraum.Tx) error {
		cs, err := x.ChatsOfUser(ctx, "rm_c", "u_1")
		if err != nil {
			return err
		}
		if len(cs) != 2 || cs[0].ID != "ch_1" || cs[0].MyPermissions != chat.All {
			t.Errorf("ChatsOfUser(u_1) = %+v", cs)
		}
		cs, err = x.ChatsOfUser(ctx, "rm_c", "u_2")
		if err != nil {
			return err
		}
		if len(cs) != 1 || cs[0].MyPermissions != chat.Read|chat.Write {
			t.Errorf("ChatsOfUser(u_2) = %+v", cs)
		}
		if p, err := x.ChatPermission(ctx, "ch_2", "u_2"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("ChatPermission of non-member = %v, %v", p, err)
		}
		if n, err := x.CountChatManagers(ctx, "ch_1"); err != nil || n != 1 {
			t.Errorf("CountChatManagers = %d, %v", n, err)
		}
		ms, err := x.ChatMembers(ctx, "ch_1")
		if err != nil {
			return err
		}
		if len(ms) != 2 {
			t.Errorf("ChatMembers = %+v", ms)
		}
		c, err := x.ChatByID(ctx, "ch_2")
		if err != nil || c.Room != "rm_c" || c.Name != "Chat ch_2" {
			t.Errorf("ChatByID = %+v, %v", c, err)
		}
		acc, err := x.ChatAccess(ctx, "ch_1", "u_2")
		if err != nil || acc.Chat.ID != "ch_1" || acc.Chat.Room != "rm_c" || acc.Chat.Name != "Chat ch_1" || !acc.Chat.CreatedAt.Equal(t0) ||
			acc.Permission != chat.Read|chat.Write || acc.Role != einsatzraum.RoleMember || acc.Archived {
			t.Errorf("ChatAccess(ch_1, u_2) = %+v, %v", acc, err)
		}
		if acc, err := x.ChatAccess(ctx, "ch_2", "u_2"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("ChatAccess of a non-member = %+v, %v", acc, err)
		}
		if acc, err := x.ChatAccess(ctx, "ch_nope", "u_1"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("ChatAccess of no chat = %+v, %v", acc, err)
		}
		accs, err := x.ChatAccesses(ctx, []string{"ch_2", "ch_1", "ch_nope", "ch_1", "ch_2"}, []string{"u_2", "u_2", "u_1", "u_1", "u_1"})
		if err != nil {
			return err
		}
		if len(accs) != 5 || accs[0] != nil || accs[2] != nil || accs[1] == nil || accs[3] == nil || accs[4] == nil ||
			*accs[1] != *acc || accs[3].Chat.ID != "ch_1" || accs[3].Permission != chat.All || accs[4].Chat.ID != "ch_2" || accs[4].Chat.Name != "Chat ch_2" {
			t.Errorf("ChatAccesses = %+v", accs)
		}
		if _, err := x.ChatAccesses(ctx, []string{"ch_1"}, nil); err == nil {
			t.Errorf("ChatAccesses of unequal lists: no error")
		}
		return nil
	})
	tx(t, s, func(x einsatzraum.Tx) error { return x.DeleteMember(ctx, "rm_c", "u_2") }) // still in ch_1, no longer in the room
	view(t, s, func(x einsatzraum.Tx) error {
		if acc, err := x.ChatAccess(ctx, "ch_1", "u_2"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("ChatAccess of one gone from the room = %+v, %v", acc, err)
		}
		return nil
	})
	tx(t, s, func(x einsatzraum.Tx) error { return x.PutMember(ctx, "rm_c", "u_2", einsatzraum.RoleMember, t0) })
	tx(t, s, func(x einsatzraum.Tx) error { return x.DeleteChatMember(ctx, "ch_1", "u_2") })
	if err := s.Tx(ctx, func(x einsatzraum.Tx) error { return x.DeleteChatMember(ctx, "ch_1", "u_2") }); !errors.Is(err, einsatzraum.ErrNotFound) {
		t.Errorf("second DeleteChatMember = %v", err)
	}
}

// mustLeadsChat makes the user userID, the lead of a new room roomID with
// one chat chatID.
func mustLeadsChat(t *testing.T, s einsatzraum.Store, userID, roomID, chatID string) {
	t.Helper()
	mustUsers(t, s, userID)
	mustRoom(t, s, roomID, map[string]einsatzraum.RoomRole{userID: einsatzraum.RoleLead})
	tx(t, s, func(x einsatzraum.Tx) error {
		return x.CreateChat(context.Background(), &einsatzraum.Chat{ID: chatID, Room: roomID, Name: "c", CreatedBy: userID, CreatedAt: t0})
	})
}

func testMessagesAndEvents(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustLeadsChat(t, s, "u_1", "rm_m", "ch_m")
	post := func(x einsatzraum.Tx, clientID string, loc *chat.Location) (*chat.Message, error) {
		seq, err := x.NextSeq(ctx, "rm_m")
		if err != nil {
			return nil, err
		}
		m := &chat.Message{ID: fmt.Sprintf("msg_%d", seq), Room: "rm_m", Chat: "ch_m", Seq: seq, Sender: chat.UserRef{ID: "u_1"},
			Kind: chat.KindText, Text: fmt.Sprintf("text %d", seq), Location: loc, ClientID: clientID, CreatedAt: t0}
		if err := x.InsertMessage(ctx, m); err != nil {
			return nil, err
		}
		return m, x.AppendEvent(ctx, &einsatzraum.Event{Room: "rm_m", Seq: seq, Type: einsatzraum.EventMessageCreated, Chat: "ch_m", Data: []byte(`{"type":"message.created"}`), CreatedAt: t0})
	}
	tx(t, s, func(x einsatzraum.Tx) error {
		for i := range 5 {
			var loc *chat.Location
			if i == 2 {
				loc = &chat.Location{Lat: 53.55, Lon: 9.99}
			}
			if _, err := post(x, fmt.Sprintf("c%d", i), loc); err != nil {
				return err
			}
		}
		_, err := post(x, "", nil)
		return err
	})
	err := s.Tx(ctx, func(x einsatzraum.Tx) error { _, err := post(x, "c1", nil); return err })
	if !errors.Is(err, einsatzraum.ErrConflict) {
		t.Errorf("duplicate client_id: %v, want ErrConflict", err)
	}
	view(t, s, func(x einsatzraum.Tx) error {
		ms, err := x.Messages(ctx, "ch_m", 2, time.Time{}, 2)
		if err != nil {
			return err
		}
		if len(ms) != 2 || ms[0].Seq != 3 || ms[1].Seq != 4 || ms[0].Sender.Name != "Name u_1" {
			t.Errorf("Messages(after 2, limit 2) = %+v", ms)
		}
		if ms[0].Location == nil || ms[0].Location.Lat != 53.55 || ms[0].Text != "text 3" {
			t.Errorf("message body did not round-trip: %+v", ms[0])
		}
		m, err := x.MessageByClientID(ctx, "u_1", "c4")
		if err != nil || m.Seq != 5 {
			t.Errorf("MessageByClientID = %+v, %v", m, err)
		}
		byID, err := x.MessagesByClientID(ctx, []string{"u_2", "u_1", "u_1", "u_1"}, []string{"c4", "c4", "nope", "c1"})
		if err != nil {
			return err
		}
		if len(byID) != 4 || byID[0] != nil || byID[2] != nil || byID[1] == nil || byID[3] == nil ||
			byID[1].ID != m.ID || byID[1].Text != m.Text || byID[1].Sender != m.Sender || !byID[1].CreatedAt.Equal(m.CreatedAt) || byID[3].ClientID != "c1" {
			t.Errorf("MessagesByClientID = %+v", byID)
		}
		all, err := x.Messages(ctx, "ch_m", 0, time.Time{}, 100)
		if err != nil || len(all) != 6 || all[5].ClientID != "" {
			t.Errorf("all messages: %d, %v", len(all), err)
		}
		evs, err := x.EventsAfter(ctx, "rm_m", 4, 100)
		if err != nil {
			return err
		}
		if len(evs) != 2 || evs[0].Seq != 5 || evs[0].Chat != "ch_m" || string(evs[0].Data) != `{"type":"message.created"}` {
			t.Errorf("EventsAfter = %+v", evs)
		}
		recent, err := x.RecentEvents(ctx, "rm_m", "message.created", t0, 2)
		if err != nil {
			return err
		}
		if len(recent) != 2 || recent[0].Seq != 6 || recent[1].Seq != 5 {
			t.Errorf("RecentEvents(message.created, 2) = %+v, want seqs 6, 5", recent)
		}
		if none, err := x.RecentEvents(ctx, "rm_m", "geofence.crossed", t0, 10); err != nil || len(none) != 0 {
			t.Errorf("RecentEvents of another type = %+v, %v", none, err)
		}
		return nil
	})
}

// testMessagesInGroups: ReserveSeqs and InsertMessagesWithEvents store a
// group of posts over two rooms as the one-by-one calls would (seqs
// continuing NextSeq's, bodies, null client_id, chat and subject), twice,
// and a taken client_id fails the group with ErrConflict, storing nothing.
func testMessagesInGroups(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustUsers(t, s, "u_1", "u_2")
	members := map[string]einsatzraum.RoomRole{"u_1": einsatzraum.RoleLead, "u_2": einsatzraum.RoleMember}
	mustRoom(t, s, "rm_b", members)
	mustRoom(t, s, "rm_a", members)
	tx(t, s, func(x einsatzraum.Tx) error {
		for _, r := range []string{"rm_a", "rm_b"} {
			if err := x.CreateChat(ctx, &einsatzraum.Chat{ID: "ch_" + r, Room: r, Name: "g", CreatedBy: "u_1", CreatedAt: t0}); err != nil {
				return err
			}
		}
		_, err := x.NextSeq(ctx, "rm_b") // rm_b is one ahead
		return err
	})
	var before map[string]int64
	view(t, s, func(x einsatzraum.Tx) error {
		before = map[string]int64{}
		for _, r := range []string{"rm_a", "rm_b"} {
			room, err := x.RoomByID(ctx, r)
			if err != nil {
				return err
			}
			before[r] = room.Seq
		}
		return nil
	})
	group := func(x einsatzraum.Tx, clientIDs ...string) error {
		counts := map[string]int{}
		rooms := []string{"rm_b", "rm_a", "rm_b"}
		for _, r := range rooms {
			counts[r]++
		}
		next, err := x.ReserveSeqs(ctx, counts)
		if err != nil {
			return err
		}
		var ms []*chat.Message
		var es []einsatzraum.Event
		for i, r := range rooms {
			m := &chat.Message{ID: fmt.Sprintf("msg_g%s%d", clientIDs[0], i), Room: r, Chat: "ch_" + r, Seq: next[r], Sender: chat.UserRef{ID: "u_2"},
				Kind: chat.KindText, Text: fmt.Sprintf("group %d", i), Location: &chat.Location{Lat: 50, Lon: float64(i)}, ClientID: clientIDs[i], CreatedAt: t0}
			next[r]++
			ms = append(ms, m)
			es = append(es, einsatzraum.Event{Room: r, Seq: m.Seq, Type: einsatzraum.EventMessageCreated, Chat: m.Chat, Data: []byte(fmt.Sprintf(`{"n":%d}`, i)), CreatedAt: t0})
		}
		es[1].Chat, es[2].Subject = "", "u_2"
		return x.InsertMessagesWithEvents(ctx, ms, es)
	}
	tx(t, s, func(x einsatzraum.Tx) error { return group(x, "k1", "", "k2") })
	checkGroup := func(before map[string]int64, clientID string) {
		t.Helper()
		view(t, s, func(x einsatzraum.Tx) error {
			b, err := x.Messages(ctx, "ch_rm_b", before["rm_b"], time.Time{}, 10)
			if err != nil {
				return err
			}
			a, err := x.Messages(ctx, "ch_rm_a", before["rm_a"], time.Time{}, 10)
			if err != nil {
				return err
			}
			if len(b) != 2 || b[0].Seq != before["rm_b"]+1 || b[1].Seq != before["rm_b"]+2 || b[0].ClientID != clientID || b[1].Text != "group 2" || b[1].Location.Lon != 2 {
				t.Errorf("room b's group messages = %+v", b)
			}
			if len(a) != 1 || a[0].Seq != before["rm_a"]+1 || a[0].ClientID != "" || a[0].Sender.Name != "Name u_2" {
				t.Errorf("room a's group message = %+v", a)
			}
			evs, err := x.EventsAfter(ctx, "rm_b", before["rm_b"], 10)
			if err != nil {
				return err
			}
			if len(evs) != 2 || evs[0].Chat != "ch_rm_b" || string(evs[1].Data) != `{"n":2}` || evs[1].Subject != "u_2" || evs[0].Subject != "" {
				t.Errorf("room b's group events = %+v", evs)
			}
			if evs, err := x.EventsAfter(ctx, "rm_a", before["rm_a"], 10); err != nil || len(evs) != 1 || evs[0].Chat != "" {
				t.Errorf("room a's group event = %+v, %v", evs, err)
			}
			return nil
		})
	}
	checkGroup(before, "k1")
	// NextSeq goes on after the reserved seqs.
	tx(t, s, func(x einsatzraum.Tx) error {
		seq, err := x.NextSeq(ctx, "rm_b")
		if err == nil && seq != before["rm_b"]+3 {
			t.Errorf("NextSeq after the group = %d, want %d", seq, before["rm_b"]+3)
		}
		return err
	})
	// A second group, after the seq NextSeq took.
	after := map[string]int64{"rm_a": before["rm_a"] + 1, "rm_b": before["rm_b"] + 3}
	tx(t, s, func(x einsatzraum.Tx) error { return group(x, "k4", "", "k5") })
	checkGroup(after, "k4")
	checkConflictStoresNothing(t, s, func(x einsatzraum.Tx) error { return group(x, "k3", "", "k1") }, "u_2", "k3")
	if err := s.Tx(ctx, func(x einsatzraum.Tx) error {
		_, err := x.ReserveSeqs(ctx, map[string]int{"rm_a": 1, "rm_nope": 2})
		return err
	}); !errors.Is(err, einsatzraum.ErrNotFound) {
		t.Errorf("ReserveSeqs of an unknown room: %v, want ErrNotFound", err)
	}
}

// testLargeMessageGroup: a group larger than any one statement of a store
// (87 posts: SQLite inserts them 64, 16, 4, 1, 1 and 1 at a time) is stored
// whole and in order, and a taken client_id among its last posts fails
// all of it.
func testLargeMessageGroup(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustLeadsChat(t, s, "u_1", "rm_l", "ch_l")
	const n = 87
	group := func(x einsatzraum.Tx, prefix string, lastClientID string) error {
		next, err := x.ReserveSeqs(ctx, map[string]int{"rm_l": n})
		if err != nil {
			return err
		}
		var ms []*chat.Message
		var es []einsatzraum.Event
		for i := range n {
			clientID := fmt.Sprintf("%s-%02d", prefix, i)
			if i == n-2 && lastClientID != "" {
				clientID = lastClientID
			}
			seq := next["rm_l"] + int64(i)
			ms = append(ms, &chat.Message{ID: fmt.Sprintf("msg_%s%02d", prefix, i), Room: "rm_l", Chat: "ch_l", Seq: seq, Sender: chat.UserRef{ID: "u_1"},
				Kind: chat.KindText, Text: fmt.Sprintf("post %d", i), ClientID: clientID, CreatedAt: t0})
			es = append(es, einsatzraum.Event{Room: "rm_l", Seq: seq, Type: einsatzraum.EventMessageCreated, Chat: "ch_l", Data: []byte(fmt.Sprintf(`{"n":%d}`, i)), CreatedAt: t0})
		}
		return x.InsertMessagesWithEvents(ctx, ms, es)
	}
	tx(t, s, func(x einsatzraum.Tx) error { return group(x, "a", "") })
	view(t, s, func(x einsatzraum.Tx) error {
		ms, err := x.Messages(ctx, "ch_l", 0, time.Time{}, 200)
		if err != nil {
			return err
		}
		if len(ms) != n {
			t.Fatalf("stored %d of the group's %d messages", len(ms), n)
		}
		for i, m := range ms {
			if m.Seq != int64(i+1) || m.Text != fmt.Sprintf("post %d", i) || m.ClientID != fmt.Sprintf("a-%02d", i) {
				t.Errorf("message %d = seq %d, %q, client_id %q", i, m.Seq, m.Text, m.ClientID)
			}
		}
		evs, err := x.EventsAfter(ctx, "rm_l", 0, 200)
		if err != nil {
			return err
		}
		if len(evs) != n || evs[n-1].Seq != n || string(evs[n-1].Data) != fmt.Sprintf(`{"n":%d}`, n-1) {
			t.Errorf("stored %d events, the last %+v", len(evs), evs[len(evs)-1])
		}
		return nil
	})
	checkConflictStoresNothing(t, s, func(x einsatzraum.Tx) error { return group(x, "b", "a-07") }, "u_1", "b-00")
}

// checkConflictStoresNothing: write, a group of posts one of whose
// client_ids is taken, fails with ErrConflict, and the group's post with
// clientID (of senderID) was not stored.
func checkConflictStoresNothing(t *testing.T, s einsatzraum.Store, write func(einsatzraum.Tx) error, senderID, clientID string) {
	t.Helper()
	ctx := context.Background()
	if err := s.Tx(ctx, write); !errors.Is(err, einsatzraum.ErrConflict) {
		t.Errorf("a group with a taken client_id: %v, want ErrConflict", err)
	}
	view(t, s, func(x einsatzraum.Tx) error {
		if _, err := x.MessageByClientID(ctx, senderID, clientID); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("the failed group stored %s: %v", clientID, err)
		}
		return nil
	})
}

// testLatest: Latest either declines without running fn, or runs its reads
// (seeing what was committed) and refuses writes.
func testLatest(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustUsers(t, s, "u_1")
	ran := false
	ok, err := s.Latest(ctx, func(x einsatzraum.Tx) error {
		ran = true
		u, err := x.UserByID(ctx, "u_1")
		if err != nil || u.Name != "Name u_1" {
			t.Errorf("UserByID in Latest = %+v, %v", u, err)
		}
		if _, err := x.NextSeq(ctx, "rm_none"); err == nil {
			t.Errorf("a write in Latest went through")
		}
		return x.CreateUser(ctx, user("u_2"))
	})
	if ran != ok {
		t.Fatalf("Latest said %v, fn ran: %v", ok, ran)
	}
	if ok && err == nil {
		t.Fatalf("Latest with a write returned no error")
	}
	view(t, s, func(x einsatzraum.Tx) error {
		if _, err := x.UserByID(ctx, "u_2"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("a write in Latest was stored: %v", err)
		}
		return nil
	})
}

func testRollback(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Tx(ctx, func(x einsatzraum.Tx) error {
		if err := x.CreateUser(ctx, user("u_gone")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx returned %v, want the callback's error", err)
	}
	view(t, s, func(x einsatzraum.Tx) error {
		if _, err := x.UserByID(ctx, "u_gone"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("rolled-back user is visible: %v", err)
		}
		return nil
	})
}

func testPOIs(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustRoom(t, s, "rm_p", nil)
	tx(t, s, func(x einsatzraum.Tx) error {
		for i, id := range []string{"poi_1", "poi_2"} {
			p := &einsatzraum.POI{ID: id, Room: "rm_p", Name: "Sammelpunkt " + id, Category: "meeting_point", Lat: 53.5 + float64(i), Lon: 9.9,
				Description: "Tor 3", CreatedBy: "u_x", CreatedAt: t0.Add(time.Duration(i) * time.Second)}
			if err := x.CreatePOI(ctx, p); err != nil {
				return err
			}
		}
		return x.DeletePOI(ctx, "poi_1", t0)
	})
	view(t, s, func(x einsatzraum.Tx) error {
		ps, err := x.POIs(ctx, "rm_p")
		if err != nil {
			return err
		}
		if len(ps) != 1 || ps[0].ID != "poi_2" || ps[0].Lat != 54.5 || ps[0].Description != "Tor 3" {
			t.Errorf("POIs = %+v", ps)
		}
		if _, err := x.POIByID(ctx, "poi_1"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("deleted POI found: %v", err)
		}
		return nil
	})
	if err := s.Tx(ctx, func(x einsatzraum.Tx) error { return x.DeletePOI(ctx, "poi_1", t0) }); !errors.Is(err, einsatzraum.ErrNotFound) {
		t.Errorf("second delete = %v, want ErrNotFound", err)
	}
}

func testTrack(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	h := 90.0
	var ps []geo.Position
	for i := range 250 {
		user := "u_a"
		if i%2 == 1 {
			user = "u_b"
		}
		p := geo.Position{User: user, Lat: 53 + float64(i)/1000, Lon: 10, AccuracyM: 5, TS: t0.Add(time.Duration(i) * time.Second)}
		if i == 0 {
			p.Heading = &h
		}
		ps = append(ps, p)
	}
	tx(t, s, func(x einsatzraum.Tx) error { return x.InsertPositions(ctx, ps, t0) })
	view(t, s, func(x einsatzraum.Tx) error {
		got, err := x.Track(ctx, []string{"u_a"}, t0, t0.Add(time.Hour), 1000)
		if err != nil {
			return err
		}
		if len(got) != 125 || got[0].Heading == nil || *got[0].Heading != 90 || got[1].Heading != nil || !got[124].TS.After(got[0].TS) {
			t.Errorf("track of u_a: %d points, first %+v", len(got), got[0])
		}
		got, err = x.Track(ctx, []string{"u_a", "u_b"}, t0.Add(10*time.Second), t0.Add(19*time.Second), 1000)
		if err != nil || len(got) != 10 || got[0].User != "u_a" || got[9].User != "u_b" {
			t.Errorf("window of both: %d points, %v", len(got), err)
		}
		latest, err := x.LatestPositions(ctx, t0)
		if err != nil {
			return err
		}
		byUser := map[string]geo.Position{}
		for _, p := range latest {
			byUser[p.User] = p
		}
		if len(latest) != 2 || !byUser["u_a"].TS.Equal(t0.Add(248*time.Second)) || !byUser["u_b"].TS.Equal(t0.Add(249*time.Second)) || byUser["u_b"].Lat != 53.249 {
			t.Errorf("LatestPositions = %+v", latest)
		}
		if latest, err := x.LatestPositions(ctx, t0.Add(249*time.Second)); err != nil || len(latest) != 1 || latest[0].User != "u_b" {
			t.Errorf("LatestPositions since the last second = %+v, %v", latest, err)
		}
		return nil
	})

	// A phone's offline buffer arrives late: older points of u_a, over a
	// quarter of an hour (more than one chunk), in a later write, with one
	// point at an instant u_a already reported.
	var late []geo.Position
	for i := range 40 {
		late = append(late, geo.Position{User: "u_a", Lat: 52 + float64(i)/1000, Lon: 9, TS: t0.Add(-time.Duration(40-i) * 30 * time.Second)})
	}
	late = append(late, geo.Position{User: "u_a", Lat: 51, Lon: 9, TS: t0.Add(2 * time.Second)})
	tx(t, s, func(x einsatzraum.Tx) error { return x.InsertPositions(ctx, late, t0.Add(time.Hour)) })
	view(t, s, func(x einsatzraum.Tx) error {
		got, err := x.Track(ctx, []string{"u_b", "u_a"}, t0.Add(-time.Hour), t0.Add(time.Hour), 1000)
		if err != nil {
			return err
		}
		if len(got) != 250+41 {
			t.Fatalf("track with the late points: %d points, want %d", len(got), 250+41)
		}
		for i := 1; i < len(got); i++ {
			a, b := got[i-1], got[i]
			if a.User > b.User || a.User == b.User && a.TS.After(b.TS) {
				t.Fatalf("track out of order at %d: %s %v before %s %v", i, a.User, a.TS, b.User, b.TS)
			}
		}
		if got[0].Lat != 52 || got[40].TS != t0 || got[40].Lat != 53 {
			t.Errorf("track starts %+v, its 41st point %+v; want the late points first", got[0], got[40])
		}
		for _, limit := range []int{1, 3, 41, 45, 166, 290} {
			cut, err := x.Track(ctx, []string{"u_a", "u_b"}, t0.Add(-time.Hour), t0.Add(time.Hour), limit)
			if err != nil {
				return err
			}
			if len(cut) != limit {
				t.Fatalf("Track(limit %d) = %d points", limit, len(cut))
			}
			for i := range cut {
				if cut[i].User != got[i].User || !cut[i].TS.Equal(got[i].TS) || cut[i].Lat != got[i].Lat {
					t.Fatalf("Track(limit %d)[%d] = %+v, want %+v", limit, i, cut[i], got[i])
				}
			}
		}
		latest, err := x.LatestPositions(ctx, t0.Add(-time.Hour))
		if err != nil || len(latest) != 2 {
			t.Fatalf("LatestPositions after the late points = %+v, %v", latest, err)
		}
		for _, p := range latest {
			if p.User == "u_a" && !p.TS.Equal(t0.Add(248*time.Second)) {
				t.Errorf("u_a's latest point after the late ones = %+v, want the one of second 248", p)
			}
		}
		return nil
	})
}

// testRetentionAndAudit: PurgeBefore deletes old content of every kind in
// batches and keeps newer content; RoomMessages selects by time; the audit
// log pages by id.
func testRetentionAndAudit(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustUsers(t, s, "u_1")
	mustRoom(t, s, "rm_r", map[string]einsatzraum.RoomRole{"u_1": einsatzraum.RoleLead})
	old, recent := t0, t0.Add(10*24*time.Hour)
	tx(t, s, func(x einsatzraum.Tx) error {
		if err := x.CreateChat(ctx, &einsatzraum.Chat{ID: "ch_r", Room: "rm_r", Name: "r", CreatedBy: "u_1", CreatedAt: old}); err != nil {
			return err
		}
		for i := range 6 {
			at := old
			if i >= 3 {
				at = recent
			}
			seq, err := x.NextSeq(ctx, "rm_r")
			if err != nil {
				return err
			}
			id := fmt.Sprintf("x%d", i)
			m := &chat.Message{ID: "msg_" + id, Room: "rm_r", Chat: "ch_r", Seq: seq, Sender: chat.UserRef{ID: "u_1"}, Kind: chat.KindText, Text: "t " + id, CreatedAt: at}
			if err := x.InsertMessage(ctx, m); err != nil {
				return err
			}
			if err := x.AppendEvent(ctx, &einsatzraum.Event{Room: "rm_r", Seq: seq, Type: "test", Data: []byte(`{}`), CreatedAt: at}); err != nil {
				return err
			}
			if err := x.CreatePOI(ctx, &einsatzraum.POI{ID: "poi_" + id, Room: "rm_r", Name: id, Category: "c", Lat: 1, Lon: 1, CreatedBy: "u_1", CreatedAt: at}); err != nil {
				return err
			}
			if err := x.CreateAttachment(ctx, &chat.Attachment{ID: "at_" + id, Room: "rm_r", Chat: "ch_r", Uploader: "u_1", Kind: chat.KindFile, MIME: "application/pdf", SHA256: "x", Name: id + ".pdf", CreatedAt: at}); err != nil {
				return err
			}
			if err := x.InsertPositions(ctx, []geo.Position{{User: "u_1", Lat: 1, Lon: 1, TS: at.Add(time.Duration(i) * time.Second)}}, at); err != nil {
				return err
			}
			if err := x.AppendAudit(ctx, &einsatzraum.AuditEntry{At: at, Actor: "u_1", Action: "a" + id, Target: "t"}); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(x einsatzraum.Tx) error {
		ms, err := x.RoomMessages(ctx, "rm_r", old, old.Add(time.Hour), 0, 100)
		if err != nil {
			return err
		}
		if len(ms) != 3 || ms[0].Text != "t x0" {
			t.Errorf("RoomMessages(old hour) = %d messages, want the 3 old ones", len(ms))
		}
		ms, err = x.RoomMessages(ctx, "rm_r", old, recent.Add(time.Hour), ms[0].Seq, 2)
		if err != nil {
			return err
		}
		if len(ms) != 2 || ms[0].Text != "t x1" {
			t.Errorf("RoomMessages(after the first, limit 2) = %+v", ms)
		}
		es, err := x.AuditLog(ctx, 0, 4)
		if err != nil {
			return err
		}
		if len(es) != 4 || es[0].Action != "ax0" {
			t.Fatalf("AuditLog(0, 4) = %+v", es)
		}
		es, err = x.AuditLog(ctx, es[3].ID, 10)
		if err != nil {
			return err
		}
		if len(es) != 2 || es[1].Action != "ax5" {
			t.Errorf("AuditLog after the first page = %+v", es)
		}
		return nil
	})
	var total einsatzraum.Purged
	for step := 0; ; step++ {
		var p einsatzraum.Purged
		tx(t, s, func(x einsatzraum.Tx) (err error) {
			p, err = x.PurgeBefore(ctx, old.Add(24*time.Hour), 2)
			return err
		})
		if p.Messages > 2 || p.Events > 2 || p.POIs > 2 || p.Positions > 2 || len(p.AttachmentIDs) > 2 {
			t.Fatalf("a purge step of batch 2 deleted %+v", p)
		}
		if p.Messages+p.Events+p.POIs+p.Positions+len(p.AttachmentIDs) == 0 {
			break
		}
		if step > 10 {
			t.Fatal("purge does not finish")
		}
		total.Messages += p.Messages
		total.Events += p.Events
		total.POIs += p.POIs
		total.Positions += p.Positions
		total.AttachmentIDs = append(total.AttachmentIDs, p.AttachmentIDs...)
	}
	if total.Messages != 3 || total.Events != 3 || total.POIs != 3 || total.Positions != 3 || len(total.AttachmentIDs) != 3 {
		t.Fatalf("purged %+v, want 3 of each kind", total)
	}
	view(t, s, func(x einsatzraum.Tx) error {
		ms, err := x.Messages(ctx, "ch_r", 0, time.Time{}, 100)
		if err != nil {
			return err
		}
		evs, err := x.EventsAfter(ctx, "rm_r", 0, 100)
		if err != nil {
			return err
		}
		pois, err := x.POIs(ctx, "rm_r")
		if err != nil {
			return err
		}
		if len(ms) != 3 || len(evs) != 3 || len(pois) != 3 || ms[0].Text != "t x3" {
			t.Errorf("after the purge: %d messages, %d events, %d POIs; want the 3 recent of each", len(ms), len(evs), len(pois))
		}
		if _, err := x.AttachmentByID(ctx, "at_x0"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("old attachment after the purge: %v", err)
		}
		if _, err := x.AttachmentByID(ctx, "at_x4"); err != nil {
			t.Errorf("recent attachment after the purge: %v", err)
		}
		es, err := x.AuditLog(ctx, 0, 100)
		if err == nil && len(es) != 6 {
			t.Errorf("the purge touched the audit log: %d entries, want 6", len(es))
		}
		return err
	})
}

func testAlarms(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustUsers(t, s, "u_a")
	mustRoom(t, s, "rm_al", map[string]einsatzraum.RoomRole{"u_a": einsatzraum.RoleMember})
	lat, lon := 53.5, 9.9
	old := &einsatzraum.Alarm{ID: "al_old", Room: "rm_al", User: "u_a", Kind: "emergency", State: "open", Acks: []einsatzraum.AlarmAck{}, CreatedAt: t0, UpdatedAt: t0}
	al := &einsatzraum.Alarm{ID: "al_1", Room: "rm_al", User: "u_a", Kind: "emergency", State: "open", Lat: &lat, Lon: &lon, Text: "Hilfe",
		Acks: []einsatzraum.AlarmAck{}, CreatedAt: t0.Add(time.Hour), UpdatedAt: t0.Add(time.Hour)}
	tx(t, s, func(x einsatzraum.Tx) error {
		if err := x.PutAlarm(ctx, old); err != nil {
			return err
		}
		return x.PutAlarm(ctx, al)
	})
	al.Acks = append(al.Acks, einsatzraum.AlarmAck{User: "u_a", At: t0.Add(2 * time.Hour)})
	al.State, al.UpdatedAt = "cancelled", t0.Add(2*time.Hour)
	tx(t, s, func(x einsatzraum.Tx) error { return x.PutAlarm(ctx, al) })
	view(t, s, func(x einsatzraum.Tx) error {
		got, err := x.AlarmByID(ctx, "al_1")
		if err != nil {
			return err
		}
		if got.State != "cancelled" || got.Text != "Hilfe" || got.Lat == nil || *got.Lat != 53.5 || len(got.Acks) != 1 || !got.UpdatedAt.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("AlarmByID = %+v", got)
		}
		open, err := x.Alarms(ctx, "rm_al", "open", t0)
		if err != nil || len(open) != 1 || open[0].ID != "al_old" {
			t.Errorf("open alarms = %+v, %v", open, err)
		}
		all, err := x.Alarms(ctx, "rm_al", "", t0.Add(time.Minute))
		if err != nil || len(all) != 1 || all[0].ID != "al_1" {
			t.Errorf("alarms since t0+1m = %+v, %v", all, err)
		}
		if _, err := x.AlarmByID(ctx, "al_none"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("AlarmByID(missing) = %v", err)
		}
		return nil
	})
}

func testDirectoryArchiveAndGaps(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustUsers(t, s, "u_ayse", "u_ben", "u_100")
	tx(t, s, func(x einsatzraum.Tx) error {
		u, err := x.UserByID(ctx, "u_ayse")
		if err != nil {
			return err
		}
		u.ID, u.Email, u.Name, u.Callsign = "u_yilmaz", "ayse.yilmaz@polizei.example", "Ayşe Yılmaz", "Fuchs 14/22"
		return x.CreateUser(ctx, u)
	})
	view(t, s, func(x einsatzraum.Tx) error {
		for q, want := range map[string]int{"AYŞE": 1, "fuchs 14": 1, "yilmaz@": 1, "name u_": 3, "%": 0, "_": 3, "niemand": 0} { // "_" is literal: three names hold one (a wildcard would match all four)
			us, err := x.SearchUsers(ctx, strings.ToLower(q), 10)
			if err != nil {
				return err
			}
			if len(us) != want {
				t.Errorf("SearchUsers(%q) = %d users, want %d", q, len(us), want)
			}
		}
		us, err := x.SearchUsers(ctx, "name", 2)
		if err == nil && (len(us) != 2 || us[0].Name > us[1].Name) {
			t.Errorf("SearchUsers with limit 2: %+v", us)
		}
		return err
	})
	mustRoom(t, s, "rm_a", map[string]einsatzraum.RoomRole{"u_ben": einsatzraum.RoleLead})
	tx(t, s, func(x einsatzraum.Tx) error {
		r, err := x.RoomByID(ctx, "rm_a")
		if err != nil {
			return err
		}
		if r.ArchivedAt != nil {
			t.Errorf("a new room is archived: %v", r.ArchivedAt)
		}
		at := t0.Add(time.Hour)
		r.Name, r.ArchivedAt = "Umbenannt", &at
		return x.UpdateRoom(ctx, r)
	})
	view(t, s, func(x einsatzraum.Tx) error {
		rs, err := x.RoomsOfUser(ctx, "u_ben")
		if err == nil && (len(rs) != 1 || rs[0].Name != "Umbenannt" || rs[0].ArchivedAt == nil || !rs[0].ArchivedAt.Equal(t0.Add(time.Hour))) {
			t.Errorf("after the update: %+v", rs)
		}
		return err
	})
	tx(t, s, func(x einsatzraum.Tx) error {
		if err := x.CreateChat(ctx, &einsatzraum.Chat{ID: "ch_g", Room: "rm_a", Name: "Alt", CreatedBy: "u_ben", CreatedAt: t0}); err != nil {
			return err
		}
		if err := x.RenameChat(ctx, "ch_g", "Neu"); err != nil {
			return err
		}
		if err := x.OpenChatGap(ctx, "ch_g", "u_100", 5); err != nil {
			return err
		}
		if err := x.CloseChatGap(ctx, "ch_g", "u_100", 9); err != nil {
			return err
		}
		return x.OpenChatGap(ctx, "ch_g", "u_100", 12)
	})
	view(t, s, func(x einsatzraum.Tx) error {
		c, err := x.ChatByID(ctx, "ch_g")
		if err != nil {
			return err
		}
		if c.Name != "Neu" {
			t.Errorf("chat name %q after the rename", c.Name)
		}
		gaps, err := x.ChatGaps(ctx, "ch_g", "u_100")
		if err != nil {
			return err
		}
		if len(gaps) != 2 || gaps[0] != (einsatzraum.SeqRange{From: 5, To: 9}) || gaps[1] != (einsatzraum.SeqRange{From: 12}) {
			t.Errorf("gaps %+v", gaps)
		}
		if !gaps[0].Contains(9) || gaps[0].Contains(5) || !gaps[1].Contains(1000) {
			t.Errorf("SeqRange.Contains is off: %+v", gaps)
		}
		return nil
	})
}

func testDrawings(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustUsers(t, s, "u_d")
	mustRoom(t, s, "rm_d", map[string]einsatzraum.RoomRole{"u_d": einsatzraum.RoleLead})
	d := &einsatzraum.Drawing{ID: "drw_1", Room: "rm_d", CreatedBy: "u_d", CreatedAt: t0, UpdatedAt: t0, Label: "Abschnitt Süd", Category: "sector",
		Color: "#00ff00", Geofence: &einsatzraum.Geofence{On: "leave"},
		Geometry: einsatzraum.DrawingGeometry{Type: "Polygon", Coordinates: []byte(`[[[11.5,50],[11.6,50],[11.6,50.1],[11.5,50]]]`)}}
	tx(t, s, func(x einsatzraum.Tx) error { return x.CreateDrawing(ctx, d) })
	tx(t, s, func(x einsatzraum.Tx) error {
		d.Label, d.UpdatedAt = "Abschnitt Süd 2", t0.Add(time.Minute)
		return x.UpdateDrawing(ctx, d)
	})
	view(t, s, func(x einsatzraum.Tx) error {
		ds, err := x.Drawings(ctx, "rm_d")
		if err != nil {
			return err
		}
		if len(ds) != 1 || ds[0].Label != "Abschnitt Süd 2" || ds[0].Geofence == nil || ds[0].Geofence.On != "leave" ||
			string(ds[0].Geometry.Coordinates) != `[[[11.5,50],[11.6,50],[11.6,50.1],[11.5,50]]]` || !ds[0].UpdatedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("drawings %+v", ds)
		}
		all, err := x.AllDrawings(ctx)
		if err != nil {
			return err
		}
		if len(all) != 1 || all[0].ID != "drw_1" || all[0].Room != "rm_d" || all[0].Geofence == nil {
			t.Errorf("all drawings %+v", all)
		}
		return nil
	})
	tx(t, s, func(x einsatzraum.Tx) error { return x.DeleteDrawing(ctx, "drw_1", t0.Add(time.Hour)) })
	view(t, s, func(x einsatzraum.Tx) error {
		if all, err := x.AllDrawings(ctx); err != nil || len(all) != 0 {
			t.Errorf("all drawings after deleting: %v, %v", all, err)
		}
		return nil
	})
	view(t, s, func(x einsatzraum.Tx) error {
		if _, err := x.DrawingByID(ctx, "drw_1"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("a deleted drawing: %v", err)
		}
		return nil
	})
	var p einsatzraum.Purged
	tx(t, s, func(x einsatzraum.Tx) (err error) { p, err = x.PurgeBefore(ctx, t0.Add(time.Second), 100); return err })
	if p.Drawings != 1 {
		t.Errorf("purged %d drawings, want 1", p.Drawings)
	}
}

// testIdentity: account states and sources, single-use expiring email
// tokens, the sealed second factor, device scopes and rooms.
func testIdentity(t *testing.T, s einsatzraum.Store) {
	ctx := context.Background()
	mustUsers(t, s, "u_i", "u_j")
	mustRoom(t, s, "rm_i", map[string]einsatzraum.RoomRole{"u_i": einsatzraum.RoleMember})
	tx(t, s, func(x einsatzraum.Tx) error {
		if err := x.SetUserState(ctx, "u_i", einsatzraum.UserDisabled); err != nil {
			return err
		}
		if err := x.SetUserState(ctx, "u_nobody", einsatzraum.UserDisabled); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("state of a missing user: %v", err)
		}
		ldap := user("u_l")
		ldap.Source = einsatzraum.SourceLDAP
		if err := x.CreateUser(ctx, ldap); err != nil {
			return err
		}
		return x.UpdateUserProfile(ctx, "u_l", "Aus dem Verzeichnis")
	})
	view(t, s, func(x einsatzraum.Tx) error {
		u, err := x.UserByID(ctx, "u_i")
		if err != nil || u.State != einsatzraum.UserDisabled || u.Source != einsatzraum.SourceLocal {
			t.Errorf("disabled user %+v %v", u, err)
		}
		if j, _ := x.UserByID(ctx, "u_j"); j.State != einsatzraum.UserActive {
			t.Errorf("a new user's state %q", j.State)
		}
		ls, err := x.UsersBySource(ctx, einsatzraum.SourceLDAP)
		if err != nil || len(ls) != 1 || ls[0].ID != "u_l" || ls[0].Name != "Aus dem Verzeichnis" {
			t.Errorf("LDAP users %+v %v", ls, err)
		}
		return nil
	})

	hash := []byte("0123456789abcdef0123456789abcdef")
	tx(t, s, func(x einsatzraum.Tx) error {
		return x.CreateEmailToken(ctx, &einsatzraum.EmailToken{Hash: hash, UserID: "u_j", Purpose: einsatzraum.PurposeConfirm, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), PasswordHash: "reg-hash"})
	})
	tx(t, s, func(x einsatzraum.Tx) error {
		if _, err := x.UseEmailToken(ctx, hash, einsatzraum.PurposeReset, t0.Add(time.Minute)); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("a token of another purpose: %v", err)
		}
		if _, err := x.UseEmailToken(ctx, hash, einsatzraum.PurposeConfirm, t0.Add(2*time.Hour)); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("an expired token: %v", err)
		}
		et, err := x.UseEmailToken(ctx, hash, einsatzraum.PurposeConfirm, t0.Add(time.Minute))
		if err != nil || et.UserID != "u_j" || !et.ExpiresAt.Equal(t0.Add(time.Hour)) || et.PasswordHash != "reg-hash" {
			t.Errorf("use token: %+v %v", et, err)
		}
		if _, err := x.UseEmailToken(ctx, hash, einsatzraum.PurposeConfirm, t0.Add(2*time.Minute)); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("a token used twice: %v", err)
		}
		return nil
	})

	at := t0.Add(time.Minute)
	tx(t, s, func(x einsatzraum.Tx) error {
		if err := x.PutTOTP(ctx, "u_j", &einsatzraum.TOTP{Secret: "JBSWY3DPEHPK3PXP", Recovery: [][]byte{[]byte("r1")}}); err != nil {
			return err
		}
		return x.PutTOTP(ctx, "u_j", &einsatzraum.TOTP{Secret: "JBSWY3DPEHPK3PXP", Recovery: [][]byte{[]byte("r2")}, ConfirmedAt: &at, LastStep: 42})
	})
	view(t, s, func(x einsatzraum.Tx) error {
		v, err := x.TOTPOf(ctx, "u_j")
		if err != nil || v.Secret != "JBSWY3DPEHPK3PXP" || len(v.Recovery) != 1 || string(v.Recovery[0]) != "r2" || v.ConfirmedAt == nil || !v.ConfirmedAt.Equal(at) || v.LastStep != 42 {
			t.Errorf("TOTP %+v %v", v, err)
		}
		if _, err := x.TOTPOf(ctx, "u_i"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("no TOTP: %v", err)
		}
		return nil
	})
	tx(t, s, func(x einsatzraum.Tx) error { return x.DeleteTOTP(ctx, "u_j") })
	view(t, s, func(x einsatzraum.Tx) error {
		if _, err := x.TOTPOf(ctx, "u_j"); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("TOTP after deleting: %v", err)
		}
		return nil
	})

	tx(t, s, func(x einsatzraum.Tx) error {
		d := &einsatzraum.Device{ID: "dev_tak", UserID: "u_i", Name: "ATAK", TokenHash: []byte("tak-hash"), CreatedAt: t0, LastSeenAt: t0,
			Scope: einsatzraum.ScopeTAK, Room: "rm_i"}
		if err := x.CreateDevice(ctx, d); err != nil {
			return err
		}
		e := &einsatzraum.Device{ID: "dev_e", UserID: "u_i", Name: "Browser", TokenHash: []byte("e-hash"), CreatedAt: t0, LastSeenAt: t0, Scope: einsatzraum.ScopeTOTPEnrol}
		if err := x.CreateDevice(ctx, e); err != nil {
			return err
		}
		return x.SetDeviceScope(ctx, "dev_e", "")
	})
	view(t, s, func(x einsatzraum.Tx) error {
		d, err := x.DeviceByID(ctx, "dev_tak")
		if err != nil || d.Scope != einsatzraum.ScopeTAK || d.Room != "rm_i" {
			t.Errorf("app password device %+v %v", d, err)
		}
		if e, _ := x.DeviceByID(ctx, "dev_e"); e.Scope != "" || e.Room != "" {
			t.Errorf("scope lifted: %+v", e)
		}
		return nil
	})
}
