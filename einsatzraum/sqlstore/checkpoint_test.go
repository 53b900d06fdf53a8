package sqlstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

// TestCheckpointerCopiesTheLogBack: the writer never checkpoints, so what
// it commits reaches the database file only through the checkpointer; it
// does so soon after the writes, and the data reads back after a reopen.
func TestCheckpointerCopiesTheLogBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ckpt.db")
	db, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	before := fileSize(t, path)
	now := time.Now()
	for batch := range 10 {
		ps := make([]geo.Position, 2000)
		for i := range ps {
			ps[i] = geo.Position{User: fmt.Sprintf("u_%d", i%50), Lat: 53.5 + float64(i)/1e5, Lon: 10, TS: now.Add(time.Duration(batch*2000+i) * time.Millisecond)}
		}
		if err := db.Tx(ctx, func(x einsatzraum.Tx) error { return x.InsertPositions(ctx, ps, now) }); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for fileSize(t, path) < before+1<<19 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes (%d before 20,000 track points): the log was not copied back", fileSize(t, path), before)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT sum(points) FROM track_chunks`).Scan(&n); err != nil || n != 20000 {
		t.Fatalf("after reopening: %d track points, %v; want 20000", n, err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
