package einsatzraum_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/bus"
	"github.com/einsatzraum/einsatzraum/einsatzraum/sqlstore"
)

// countingSocket counts frames and signals when the shared total reaches
// the target.
type countingSocket struct {
	total  *atomic.Int64
	target *atomic.Int64
	done   chan struct{}
}

func (s *countingSocket) Write(einsatzraum.Frame, time.Time) error {
	if s.total.Add(1) == s.target.Load() {
		s.done <- struct{}{}
	}
	return nil
}
func (s *countingSocket) Ping(time.Time) error                           { return nil }
func (s *countingSocket) Close(einsatzraum.CloseReason, time.Time) error { return nil }

// BenchmarkHubFanOut measures the fan-out of one room event to n live
// subscribers: from the bus publish until every subscriber's writer has
// written the frame.
func BenchmarkHubFanOut(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) { benchFanOut(b, n) })
	}
}

func benchFanOut(b *testing.B, n int) {
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(b.TempDir(), "hub.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	mb := bus.NewMemory()
	defer mb.Close()
	svc := einsatzraum.NewService(db, mb, einsatzraum.Config{})
	users := make([]*einsatzraum.User, n)
	err = db.Tx(ctx, func(tx einsatzraum.Tx) error {
		if err := tx.CreateRoom(ctx, &einsatzraum.Room{ID: "rm_bench", Name: "bench"}); err != nil {
			return err
		}
		for i := range users {
			users[i] = &einsatzraum.User{ID: fmt.Sprintf("u_%06d", i), Email: fmt.Sprintf("u%d@polizei.example", i), Name: "U", PasswordHash: "x"}
			if err := tx.CreateUser(ctx, users[i]); err != nil {
				return err
			}
			if err := tx.PutMember(ctx, "rm_bench", users[i].ID, einsatzraum.RoleMember, time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	hub, err := einsatzraum.NewHub(ctx, svc, mb, einsatzraum.HubConfig{ResyncInterval: -1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer hub.Shutdown()
	var total, target atomic.Int64
	done := make(chan struct{}, 1)
	target.Store(-1) // no signal while subscribing
	for _, u := range users {
		c := hub.Connect(&einsatzraum.Actor{User: u}, &countingSocket{total: &total, target: &target, done: done})
		if err := c.Subscribe("rm_bench", 0); err != nil {
			b.Fatal(err)
		}
	}
	// A subscription writes a few frames of its own (the map snapshot,
	// "subscribed"); wait until they are out, then count from zero.
	for last := int64(-1); ; time.Sleep(50 * time.Millisecond) {
		now := total.Load()
		if now == last && now >= int64(n) {
			break
		}
		last = now
	}
	total.Store(0)
	target.Store(0)

	msg := chat.Message{ID: "msg_x", Room: "rm_bench", Kind: chat.KindText, Text: "Lage an der Brücke 3 ruhig, zwei Kräfte vor Ort."}
	data, _ := json.Marshal(map[string]any{"type": einsatzraum.EventMessageCreated, "message": msg})
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		e := einsatzraum.Event{Room: "rm_bench", Seq: int64(i + 1), Type: einsatzraum.EventMemberUpdated, Data: data}
		payload, _ := json.Marshal(&e)
		target.Add(int64(n))
		if err := mb.Publish(ctx, einsatzraum.RoomTopic("rm_bench"), payload); err != nil {
			b.Fatal(err)
		}
		<-done
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "deliveries/s")
}
