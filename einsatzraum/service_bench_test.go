package einsatzraum_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/sqlstore"
)

// newBenchService returns a service on a fresh SQLite file with one room,
// one chat and its lead.
func newBenchService(b *testing.B) (*einsatzraum.Service, *einsatzraum.Actor, string) {
	b.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	svc := einsatzraum.NewService(db, nil, einsatzraum.Config{EmailDomains: []string{"polizei.example"}})
	u, err := svc.CreateUser(ctx, nil, einsatzraum.NewUser{Email: "b@polizei.example", Name: "Bench", Password: "bench-password"})
	if err != nil {
		b.Fatal(err)
	}
	a := &einsatzraum.Actor{User: u}
	room, err := svc.CreateRoom(ctx, a, "Bench", "")
	if err != nil {
		b.Fatal(err)
	}
	c, err := svc.CreateChat(ctx, a, room.ID, "Lage", nil)
	if err != nil {
		b.Fatal(err)
	}
	return svc, a, c.ID
}

// BenchmarkPostTextMessage posts text messages through the service on
// SQLite (permission check, message, event, commit with fsync).
func BenchmarkPostTextMessage(b *testing.B) {
	for _, parallel := range []bool{false, true} {
		b.Run(fmt.Sprintf("parallel=%v", parallel), func(b *testing.B) {
			svc, a, chatID := newBenchService(b)
			ctx := context.Background()
			d := chat.Draft{Kind: chat.KindText, Text: "Absperrung Hafenstraße steht, zwei Kräfte vor Ort."}
			b.ResetTimer()
			if parallel {
				b.SetParallelism(16) // 32 concurrent posters, as HTTP handlers would be
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, _, err := svc.PostMessage(ctx, a, chatID, d); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for b.Loop() {
					if _, _, err := svc.PostMessage(ctx, a, chatID, d); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
