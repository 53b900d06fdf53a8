package sqlstore_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/sqlstore"
	"github.com/einsatzraum/einsatzraum/einsatzraum/storetest"
	"github.com/einsatzraum/einsatzraum/einsatzraum/testenv"
)

func openPostgres(t *testing.T, dsn string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := chat.NewKeyring(bytes.Repeat([]byte{1}, chat.MasterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	db.SetCipher(keys)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestPostgresConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) einsatzraum.Store { return openPostgres(t, testenv.PostgresSchema(t)) })
}

// TestPostgresSeqAcrossNodes writes one room's events through two
// separate stores on the same schema, as two nodes do: the room's seq
// stays gap-free and unique.
func TestPostgresSeqAcrossNodes(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresSchema(t)
	nodes := []*sqlstore.DB{openPostgres(t, dsn), openPostgres(t, dsn)}
	err := nodes[0].Tx(ctx, func(x einsatzraum.Tx) error {
		return x.CreateRoom(ctx, &einsatzraum.Room{ID: "rm_nodes", Name: "Nodes"})
	})
	if err != nil {
		t.Fatal(err)
	}
	storetest.SeqUnderConcurrentWriters(t, "rm_nodes", []einsatzraum.Store{nodes[0], nodes[1]}, 6, 30)
}

// TestPostgresNodesMigrateTogether opens three stores on a fresh schema
// at once: each migration is applied once and all of them start.
func TestPostgresNodesMigrateTogether(t *testing.T) {
	dsn := testenv.PostgresSchema(t)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := sqlstore.OpenPostgres(context.Background(), dsn)
			if err != nil {
				errs <- err
				return
			}
			db.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
