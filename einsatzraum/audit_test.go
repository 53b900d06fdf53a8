package einsatzraum_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// stallingStore stalls every audit scan (RoomMessages in a read
// transaction) until release is closed, and says when one started.
type stallingStore struct {
	einsatzraum.Store
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *stallingStore) View(ctx context.Context, fn func(einsatzraum.Tx) error) error {
	return s.Store.View(ctx, func(tx einsatzraum.Tx) error { return fn(stallingTx{Tx: tx, s: s}) })
}

type stallingTx struct {
	einsatzraum.Tx
	s *stallingStore
}

func (t stallingTx) RoomMessages(ctx context.Context, room string, from, to time.Time, after int64, limit int) ([]chat.Message, error) {
	t.s.once.Do(func() { close(t.s.started) })
	<-t.s.release
	return t.Tx.RoomMessages(ctx, room, from, to, after, limit)
}

// TestAuditSearchLeavesTheWriterFree: while an auditor's search scans a
// room (here stalled in the middle of its scan), posts and logins go on;
// the search was once run inside the single writer and held them up for
// 25 s on a large room. The search is recorded before it runs.
func TestAuditSearchLeavesTheWriterFree(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	stall := &stallingStore{Store: f.db, started: make(chan struct{}), release: make(chan struct{})}
	svc := einsatzraum.NewService(stall, nil, einsatzraum.Config{Clock: f.clock, EmailDomains: []string{"polizei.example"}})
	u, err := svc.CreateUser(f.ctx, nil, einsatzraum.NewUser{Email: "aude@polizei.example", Name: "Aude", Password: "correct-horse-battery", Roles: []einsatzraum.GlobalRole{einsatzraum.RoleAuditor}})
	if err != nil {
		t.Fatal(err)
	}
	auditor := &einsatzraum.Actor{User: u}
	f.post(t, svc, "Zeuge Müller")

	done := make(chan error, 1)
	go func() {
		ms, err := svc.AuditMessages(f.ctx, auditor, einsatzraum.AuditQuery{Case: "AZ 4711/26", Room: f.room, Text: "müller"})
		if err == nil && len(ms) != 1 {
			t.Errorf("the search found %d messages, want 1", len(ms))
		}
		done <- err
	}()
	select {
	case <-stall.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the search did not scan in a read transaction")
	}
	posted := make(chan error, 1)
	go func() {
		_, _, err := svc.PostMessage(f.ctx, f.lead, f.chat, chat.Draft{Kind: chat.KindText, Text: "während der Prüfung"})
		posted <- err
	}()
	select {
	case err := <-posted:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a post waited for the auditor's search")
	}
	close(stall.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	es, err := svc.AuditLog(f.ctx, auditor, "AZ 4711/26", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var recorded bool
	for _, e := range es {
		recorded = recorded || (e.Action == "audit_read_messages" && e.Target == f.room)
	}
	if !recorded {
		t.Fatalf("the search is not in the audit log: %+v", es)
	}
}
