package bus_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/bus"
	"github.com/einsatzraum/einsatzraum/einsatzraum/bustest"
	"github.com/einsatzraum/einsatzraum/einsatzraum/testenv"
	"github.com/einsatzraum/einsatzraum/geo"
)

func newRedis(t *testing.T, url, prefix string) *bus.Redis {
	t.Helper()
	b, err := bus.NewRedis(context.Background(), bus.RedisConfig{URL: url, Prefix: prefix,
		Logger: slog.New(slog.NewTextHandler(testLog{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) { l.t.Log(string(p)); return len(p), nil }

func TestRedisConformance(t *testing.T) {
	bustest.Run(t, func(t *testing.T) einsatzraum.Bus {
		url, prefix := testenv.Redis(t)
		return newRedis(t, url, prefix)
	})
}

// next returns the next message of sub within 5 s.
func next(t *testing.T, sub einsatzraum.Subscription) einsatzraum.BusMsg {
	t.Helper()
	select {
	case m := <-sub.C():
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5s")
	}
	return einsatzraum.BusMsg{}
}

// TestRedisTwoNodes: a message published on node A reaches subscribers on
// A and on B exactly once, in order; a node follows only the topics its
// subscriptions use.
func TestRedisTwoNodes(t *testing.T) {
	ctx := context.Background()
	url, prefix := testenv.Redis(t)
	a, b := newRedis(t, url, prefix), newRedis(t, url, prefix)
	subA, err := a.Subscribe(ctx, "room:1")
	if err != nil {
		t.Fatal(err)
	}
	subB, err := b.Subscribe(ctx, "room:1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := b.Subscribe(ctx, "room:2")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := a.Publish(ctx, "room:1", fmt.Appendf(nil, "m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100 {
		for name, sub := range map[string]einsatzraum.Subscription{"A": subA, "B": subB} {
			if m := next(t, sub); string(m.Payload) != fmt.Sprintf("m%d", i) || m.Topic != "room:1" {
				t.Fatalf("node %s got %s %q, want m%d", name, m.Topic, m.Payload, i)
			}
		}
	}
	select {
	case m := <-subA.C():
		t.Fatalf("node A got its own message twice: %q", m.Payload)
	case m := <-other.C():
		t.Fatalf("room:2 subscriber got %q", m.Payload)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestRedisOutage stops a private redis-server while node A publishes:
// A's own subscribers keep getting every message at once; after Redis is
// back, B reconnects (OnReconnect fires) and the messages A queued meanwhile
// arrive.
func TestRedisOutage(t *testing.T) {
	ctx := context.Background()
	rs := testenv.StartRedisServer(t)
	a, b := newRedis(t, rs.URL, "outage"), newRedis(t, rs.URL, "outage")
	var reconnects atomic.Int32
	b.OnReconnect(func() { reconnects.Add(1) })
	subA, _ := a.Subscribe(ctx, "room:1")
	subB, _ := b.Subscribe(ctx, "room:1")
	if err := a.Publish(ctx, "room:1", []byte("before")); err != nil {
		t.Fatal(err)
	}
	next(t, subA)
	if m := next(t, subB); string(m.Payload) != "before" {
		t.Fatalf("B got %q", m.Payload)
	}

	rs.Stop()
	if err := a.Ping(ctx); err == nil {
		t.Fatal("Ping succeeds while Redis is stopped")
	}
	for i := range 5 {
		start := time.Now()
		if err := a.Publish(ctx, "room:1", fmt.Appendf(nil, "during%d", i)); err != nil {
			t.Fatalf("publish while Redis is down: %v", err)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Fatalf("publish blocked %v while Redis is down", d)
		}
		if m := next(t, subA); string(m.Payload) != fmt.Sprintf("during%d", i) {
			t.Fatalf("A's own subscriber got %q while Redis is down", m.Payload)
		}
	}
	time.Sleep(500 * time.Millisecond)
	rs.Start()
	deadline := time.Now().Add(10 * time.Second)
	for reconnects.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if reconnects.Load() == 0 {
		t.Fatal("OnReconnect was not called after Redis came back")
	}
	if err := a.Ping(ctx); err != nil {
		t.Fatalf("Ping after restart: %v", err)
	}
	// Pub/sub is at most once: what A queued may reach B before or after
	// B resubscribed (the hub fills such gaps from the store). What B gets
	// comes in order, once, and everything after the reconnect arrives.
	if err := a.Publish(ctx, "room:1", []byte("after")); err != nil {
		t.Fatal(err)
	}
	seen := -1
	for {
		m := next(t, subB)
		if string(m.Payload) == "after" {
			break
		}
		var i int
		if _, err := fmt.Sscanf(string(m.Payload), "during%d", &i); err != nil || i <= seen {
			t.Fatalf("B got %q after %d: out of order or repeated", m.Payload, seen)
		}
		seen = i
	}
	t.Logf("B got %d of the 5 messages queued during the outage; the rest come from the store", seen+1)
}

func TestRedisLatestPositions(t *testing.T) {
	ctx := context.Background()
	url, prefix := testenv.Redis(t)
	a, b := newRedis(t, url, prefix), newRedis(t, url, prefix)
	ts := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	ps := []geo.Position{{User: "u_1", Lat: 53.55, Lon: 9.99, TS: ts}, {User: "u_2", Lat: 53.56, Lon: 10.01, TS: ts}}
	if err := a.SaveLatest(ctx, ps, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := a.SaveLatest(ctx, []geo.Position{{User: "u_3", Lat: 1, Lon: 1, TS: ts}}, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	got, err := b.LoadLatest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byUser := map[string]geo.Position{}
	for _, p := range got {
		byUser[p.User] = p
	}
	if len(got) != 2 || byUser["u_1"].Lat != 53.55 || !byUser["u_2"].TS.Equal(ts) {
		t.Fatalf("LoadLatest = %+v, want u_1 and u_2 (u_3 expired)", got)
	}
}

func TestRedisLimiterSharedByNodes(t *testing.T) {
	ctx := context.Background()
	url, prefix := testenv.Redis(t)
	a, b := newRedis(t, url, prefix), newRedis(t, url, prefix)
	if n, _, err := a.Hit(ctx, "login-fail:x", 2*time.Second); err != nil || n != 1 {
		t.Fatalf("first hit: %d, %v", n, err)
	}
	n, reset, err := b.Hit(ctx, "login-fail:x", 2*time.Second)
	if err != nil || n != 2 || reset <= 0 || reset > 2*time.Second {
		t.Fatalf("second hit on another node: %d, %v, %v", n, reset, err)
	}
	if n, _, err := a.Count(ctx, "login-fail:x"); err != nil || n != 2 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	if n, _, err := a.Count(ctx, "login-fail:never"); err != nil || n != 0 {
		t.Fatalf("Count of an unknown key = %d, %v", n, err)
	}
	time.Sleep(2100 * time.Millisecond)
	if n, _, _ := b.Count(ctx, "login-fail:x"); n != 0 {
		t.Fatalf("count after the window = %d", n)
	}
}
