package einsatzraum_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/bus"
	"github.com/einsatzraum/einsatzraum/einsatzraum/sqlstore"
	"github.com/einsatzraum/einsatzraum/einsatzraum/testenv"
)

// groupWatch wraps a store to see the groups of posts: their sizes, and it
// fails every group that holds a message with the text "poison" (the
// post alone then takes InsertMessage, which it lets through).
type groupWatch struct {
	einsatzraum.Store
	largest, poisoned atomic.Int64
	first             sync.Once
}

func (g *groupWatch) Tx(ctx context.Context, fn func(einsatzraum.Tx) error) error {
	return g.Store.Tx(ctx, func(tx einsatzraum.Tx) error { return fn(groupWatchTx{tx, g}) })
}

type groupWatchTx struct {
	einsatzraum.Tx
	g *groupWatch
}

// InsertMessagesWithEvents is the call of a group (a post alone takes
// InsertMessage).
func (t groupWatchTx) InsertMessagesWithEvents(ctx context.Context, ms []*chat.Message, es []einsatzraum.Event) error {
	// The first group takes a while, so that the posts behind it queue up.
	t.g.first.Do(func() { time.Sleep(50 * time.Millisecond) })
	for t.g.largest.Load() < int64(len(ms)) {
		t.g.largest.Store(int64(len(ms)))
	}
	if slices.ContainsFunc(ms, func(m *chat.Message) bool { return m.Text == "poison" }) {
		t.g.poisoned.Add(1)
		return errors.New("a poisoned group")
	}
	return t.Tx.InsertMessagesWithEvents(ctx, ms, es)
}

// TestPostsAreWrittenInGroups: concurrent posts are stored in groups, each
// exactly once with a gap-free seq and its message.created event; a group
// that fails is written again post by post, so the other posts of a bad
// one are not lost; racing retries of one client_id store one message.
// On PostgreSQL two groups are written at once.
func TestPostsAreWrittenInGroups(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		db, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "groups.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		testPostsInGroups(t, db)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		db, err := sqlstore.OpenPostgres(context.Background(), testenv.PostgresSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		testPostsInGroups(t, db)
	})
}

func testPostsInGroups(t *testing.T, db einsatzraum.Store) {
	ctx := context.Background()
	store := &groupWatch{Store: db}
	svc := einsatzraum.NewService(store, bus.NewMemory(), einsatzraum.Config{EmailDomains: []string{"polizei.example"}})
	lead, err := svc.CreateUser(ctx, nil, einsatzraum.NewUser{Email: "lead@polizei.example", Name: "Lea", Password: "correct-horse-battery"})
	if err != nil {
		t.Fatal(err)
	}
	la := &einsatzraum.Actor{User: lead}
	room, err := svc.CreateRoom(ctx, la, "Lage", "")
	if err != nil {
		t.Fatal(err)
	}
	const posters, each = 16, 12
	actors := make([]*einsatzraum.Actor, posters)
	var ids []string
	for i := range actors {
		u, err := svc.CreateUser(ctx, nil, einsatzraum.NewUser{Email: fmt.Sprintf("p%d@polizei.example", i), Name: fmt.Sprintf("P%d", i), Password: "correct-horse-battery"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.PutMember(ctx, la, room.ID, u.ID, einsatzraum.RoleMember); err != nil {
			t.Fatal(err)
		}
		actors[i], ids = &einsatzraum.Actor{User: u}, append(ids, u.ID)
	}
	c, err := svc.CreateChat(ctx, la, room.ID, "Funk", ids)
	if err != nil {
		t.Fatal(err)
	}
	outsider, err := svc.CreateUser(ctx, nil, einsatzraum.NewUser{Email: "out@polizei.example", Name: "Out", Password: "correct-horse-battery"})
	if err != nil {
		t.Fatal(err)
	}
	early, _, err := svc.PostMessage(ctx, la, c.ID, chat.Draft{Kind: chat.KindText, Text: "early", ClientID: "early-1"})
	if err != nil {
		t.Fatal(err)
	}
	var startSeq int64 // the room's seq before the posts
	if err := db.View(ctx, func(tx einsatzraum.Tx) error {
		r, err := tx.RoomByID(ctx, room.ID)
		startSeq = r.Seq
		return err
	}); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, posters*each+8)
	for i, a := range actors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				text := fmt.Sprintf("%d/%d", i, k)
				if i == 3 && k == 5 {
					text = "poison"
				}
				if _, created, err := svc.PostMessage(ctx, a, c.ID, chat.Draft{Kind: chat.KindText, Text: text}); err != nil || !created {
					errs <- fmt.Errorf("post %s: created %v, %v", text, created, err)
				}
			}
		}()
	}
	retries := make(chan *chat.Message, 8)
	created := atomic.Int64{}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, c2, err := svc.PostMessage(ctx, la, c.ID, chat.Draft{Kind: chat.KindText, Text: "retry", ClientID: "retry-1"})
			if err != nil {
				errs <- fmt.Errorf("retry: %v", err)
				return
			}
			if c2 {
				created.Add(1)
			}
			retries <- m
		}()
	}
	for range 4 { // in groups with the others: refused alone, or answered with the message from before
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, _, err := svc.PostMessage(ctx, &einsatzraum.Actor{User: outsider}, c.ID, chat.Draft{Kind: chat.KindText, Text: "outside", ClientID: "out-1"}); einsatzraum.KindOf(err) != einsatzraum.KindNotFound {
				errs <- fmt.Errorf("post by one outside the room: %v, want not found", err)
			}
		}()
		go func() {
			defer wg.Done()
			m, c2, err := svc.PostMessage(ctx, la, c.ID, chat.Draft{Kind: chat.KindText, Text: "early again", ClientID: "early-1"})
			if err != nil || c2 || m.ID != early.ID || m.Text != "early" {
				errs <- fmt.Errorf("retry of a client_id from before: %+v, created %v, %v", m, c2, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(retries)
	for err := range errs {
		t.Error(err)
	}
	var retryID string
	for m := range retries {
		if retryID != "" && m.ID != retryID {
			t.Errorf("retries of one client_id got messages %s and %s", retryID, m.ID)
		}
		retryID = m.ID
	}
	if created.Load() != 1 {
		t.Errorf("%d retries of one client_id said created, want 1", created.Load())
	}
	if store.largest.Load() < 2 || store.poisoned.Load() == 0 {
		t.Fatalf("largest group %d, poisoned groups %d: the test did not group", store.largest.Load(), store.poisoned.Load())
	}

	ms, err := svc.Messages(ctx, la, c.ID, 0, einsatzraum.MaxPageSize)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != posters*each+2 {
		t.Fatalf("%d messages stored, want %d", len(ms), posters*each+2)
	}
	texts := map[string]int{}
	for i, m := range ms {
		texts[m.Text]++
		if i > 0 && m.Seq <= ms[i-1].Seq {
			t.Fatalf("seq %d after %d", m.Seq, ms[i-1].Seq)
		}
	}
	if texts["poison"] != 1 || texts["retry"] != 1 || texts["early"] != 1 || texts["outside"] != 0 || texts["0/0"] != 1 || texts[fmt.Sprintf("%d/%d", posters-1, each-1)] != 1 {
		t.Fatalf("texts stored: %v", texts)
	}
	err = db.View(ctx, func(tx einsatzraum.Tx) error {
		evs, err := tx.EventsAfter(ctx, room.ID, startSeq, 10000)
		if err != nil {
			return err
		}
		bySeq := map[int64]bool{}
		for i, e := range evs {
			if e.Seq != startSeq+int64(i)+1 {
				t.Errorf("event %d has seq %d: a gap", i, e.Seq) // not Fatal: the transaction must end
				return nil
			}
			if e.Type == einsatzraum.EventMessageCreated {
				bySeq[e.Seq] = true
			}
		}
		for _, m := range ms {
			if m.Seq > startSeq && !bySeq[m.Seq] {
				t.Errorf("message %s (seq %d) has no message.created event", m.Text, m.Seq)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
