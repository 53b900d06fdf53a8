// Package bustest is the conformance suite every einsatzraum.Bus passes.
package bustest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// Factory returns a fresh bus (its own topic namespace); it registers its
// cleanup on t.
type Factory func(t *testing.T) einsatzraum.Bus

// Run runs the suite against buses made by newBus.
func Run(t *testing.T, newBus Factory) {
	t.Run("DeliversInOrderToEverySubscriber", func(t *testing.T) { testDelivery(t, newBus(t)) })
	t.Run("AddAndRemoveTopics", func(t *testing.T) { testAddRemove(t, newBus(t)) })
	t.Run("CloseEndsSubscription", func(t *testing.T) { testClose(t, newBus(t)) })
}

func recv(t *testing.T, sub einsatzraum.Subscription) (einsatzraum.BusMsg, bool) {
	t.Helper()
	select {
	case m, ok := <-sub.C():
		return m, ok
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5s")
	}
	return einsatzraum.BusMsg{}, false
}

func expectNone(t *testing.T, sub einsatzraum.Subscription) {
	t.Helper()
	select {
	case m := <-sub.C():
		t.Fatalf("unexpected message %s: %s", m.Topic, m.Payload)
	case <-time.After(200 * time.Millisecond):
	}
}

func testDelivery(t *testing.T, b einsatzraum.Bus) {
	ctx := context.Background()
	s1, err := b.Subscribe(ctx, "room:a")
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := b.Subscribe(ctx, "room:a", "room:b")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	const n = 500
	for i := range n {
		if err := b.Publish(ctx, "room:a", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Publish(ctx, "room:b", []byte("b")); err != nil {
		t.Fatal(err)
	}
	for _, s := range []einsatzraum.Subscription{s1, s2} {
		for i := range n {
			m, _ := recv(t, s)
			if m.Topic != "room:a" || string(m.Payload) != fmt.Sprint(i) {
				t.Fatalf("message %d: got %s %q", i, m.Topic, m.Payload)
			}
		}
	}
	if m, _ := recv(t, s2); string(m.Payload) != "b" {
		t.Fatalf("s2 got %q, want b", m.Payload)
	}
	expectNone(t, s1)
	if err := b.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func testAddRemove(t *testing.T, b einsatzraum.Bus) {
	ctx := context.Background()
	s, err := b.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Add(ctx, "room:x"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // a networked bus confirms asynchronously
	_ = b.Publish(ctx, "room:x", []byte("1"))
	if m, _ := recv(t, s); string(m.Payload) != "1" {
		t.Fatalf("got %q", m.Payload)
	}
	if err := s.Remove(ctx, "room:x"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	_ = b.Publish(ctx, "room:x", []byte("2"))
	expectNone(t, s)
}

func testClose(t *testing.T, b einsatzraum.Bus) {
	ctx := context.Background()
	s, err := b.Subscribe(ctx, "room:c")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for {
		select {
		case _, ok := <-s.C():
			if !ok {
				return
			}
		case <-time.After(5 * time.Second):
			t.Fatal("channel not closed after Close")
		}
	}
}
