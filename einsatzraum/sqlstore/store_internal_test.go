package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

// TestSealedPointIsTheJSONOfSealedPoint: the hand-written encoding of a
// track point is byte for byte what json.Marshal writes of sealedPoint, for
// ordinary, tiny, huge, negative and zero values, with and without the
// optional fields.
func TestChunkPointIsTheJSONOfChunkPoint(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	values := []float64{0, 1, -1, 53.551086, 9.993682, 0.1, 1e-7, 1.5e-7, -2.5e-9, 1e20, 1e21, 123456789e15, 1e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, 5}
	for range 2000 {
		values = append(values, (r.Float64()-0.5)*math.Pow(10, float64(r.IntN(50)-25)))
	}
	for i, v := range values {
		w := values[(i*7+3)%len(values)]
		p := geo.Position{Lat: v, Lon: w, AccuracyM: values[(i*3+1)%len(values)]}
		if i%3 == 0 {
			p.Heading = &values[(i+5)%len(values)]
		}
		if i%4 == 0 {
			p.SpeedMps = &values[(i+9)%len(values)]
		}
		ts := int64(i-1000) * 1_234_567_891
		want, err := json.Marshal(chunkPoint{TS: ts, sealedPoint: sealedPoint{Lat: p.Lat, Lon: p.Lon, AccuracyM: p.AccuracyM, Heading: p.Heading, SpeedMps: p.SpeedMps}})
		if err != nil {
			t.Fatal(err)
		}
		if got := appendChunkPoint(nil, ts, p); !bytes.Equal(got, want) {
			t.Fatalf("point %+v:\n got  %s\n want %s", p, got, want)
		}
	}
}

// TestSealedAtRest writes rooms, chats, POIs, track points, a photo's
// position and audit details, some through the store (sealed as written)
// and some as rows from before sealing (clear), seals the old ones, and
// checks that the database file holds none of the secrets while the store
// reads every one of them back.
func TestSealedAtRest(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sealed.db")
	db := openSealedSQLite(t, path)
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	secrets := []string{"Geiselnahme Hafenstrasse", "Zugriff Kanal 7", "Wohnung Zielperson", "AZ-GEHEIM-4711", "53.5457123"}
	err := db.Tx(ctx, func(x einsatzraum.Tx) error {
		t := x.(*txn)
		if err := t.CreateUser(ctx, &einsatzraum.User{ID: "u_1", Email: "a@polizei.example", Name: "A", PasswordHash: "x", CreatedAt: now}); err != nil {
			return err
		}
		if err := t.CreateRoom(ctx, &einsatzraum.Room{ID: "rm_new", Name: secrets[0], CreatedAt: now}); err != nil {
			return err
		}
		// Rows as an older version wrote them: in the clear.
		for _, q := range []string{
			`INSERT INTO rooms (id, name, description, seq, created_at) VALUES ('rm_old', 'Zugriff Kanal 7', 'alt', 0, 1)`,
			`INSERT INTO chats (id, room_id, name, created_by, created_at) VALUES ('ch_old', 'rm_old', 'Wohnung Zielperson', 'u_1', 1)`,
			`INSERT INTO pois (id, room_id, name, category, lat, lon, description, created_by, created_at) VALUES ('poi_old', 'rm_old', 'Wohnung Zielperson', 'hazard', 53.5457123, 9.9, 'x', 'u_1', 1)`,
			`INSERT INTO positions (user_id, ts, lat, lon, accuracy_m, received_at) VALUES ('u_1', 1, 53.5457123, 9.9, 5, 1)`,
			`INSERT INTO audit_log (at, actor, action, target, detail) VALUES (1, 'u_2', 'audit_read_messages', 'rm_old', 'case "AZ-GEHEIM-4711"')`,
		} {
			if _, err := t.exec(ctx, q); err != nil {
				return err
			}
		}
		if err := t.CreatePOI(ctx, &einsatzraum.POI{ID: "poi_new", Room: "rm_new", Name: secrets[2], Category: "hazard", Lat: 53.5457123, Lon: 9.9, CreatedBy: "u_1", CreatedAt: now}); err != nil {
			return err
		}
		if err := t.InsertPositions(ctx, []geo.Position{{User: "u_1", Lat: 53.5457123, Lon: 9.9, TS: now}}, now); err != nil {
			return err
		}
		return t.AppendAudit(ctx, &einsatzraum.AuditEntry{At: now, Actor: "u_2", Action: "audit_read_messages", Target: "rm_new", Detail: `case "AZ-GEHEIM-4711"`})
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.SealPlaintext(ctx)
	if err != nil || n != 5 {
		t.Fatalf("sealed %d old rows, %v; want 5", n, err)
	}
	if n, err := db.SealPlaintext(ctx); err != nil || n != 0 {
		t.Fatalf("second pass sealed %d, %v", n, err)
	}
	checkpointAll(t, db)
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if bytes.Contains(file, []byte(s)) {
			t.Errorf("the database file holds %q in the clear", s)
		}
	}
	err = db.View(ctx, func(x einsatzraum.Tx) error {
		for id, want := range map[string]string{"rm_new": secrets[0], "rm_old": secrets[1]} {
			r, err := x.RoomByID(ctx, id)
			if err != nil || r.Name != want {
				t.Errorf("room %s = %+v, %v", id, r, err)
			}
		}
		c, err := x.ChatByID(ctx, "ch_old")
		if err != nil || c.Name != secrets[2] {
			t.Errorf("chat = %+v, %v", c, err)
		}
		ps, err := x.POIs(ctx, "rm_old")
		if err != nil || len(ps) != 1 || ps[0].Name != secrets[2] || ps[0].Lat != 53.5457123 {
			t.Errorf("old POI = %+v, %v", ps, err)
		}
		tr, err := x.Track(ctx, []string{"u_1"}, time.Unix(0, 0), now, 10)
		if err != nil || len(tr) != 2 || tr[0].Lat != 53.5457123 || tr[1].Lat != 53.5457123 || tr[0].AccuracyM != 5 {
			t.Errorf("track = %+v, %v", tr, err)
		}
		es, err := x.AuditLog(ctx, 0, 10)
		if err != nil || len(es) != 2 || es[0].Detail != `case "AZ-GEHEIM-4711"` || es[1].Detail != es[0].Detail {
			t.Errorf("audit log = %+v, %v", es, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// openSealedSQLite opens a SQLite store at path that seals with a test
// key; it closes when the test ends.
func openSealedSQLite(t *testing.T, path string) *DB {
	t.Helper()
	db, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := chat.NewKeyring(bytes.Repeat([]byte{9}, chat.MasterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	db.SetCipher(keys)
	return db
}

// TestLegacyTrackPointsMoveIntoChunks: the per-point track table of
// earlier versions, sealed and clear rows, more than one batch, two rows
// at one instant across the batch's edge, moves into chunks; nothing is
// lost or doubled and the table is empty after.
func TestLegacyTrackPointsMoveIntoChunks(t *testing.T) {
	ctx := context.Background()
	db := openSealedSQLite(t, filepath.Join(t.TempDir(), "legacy.db"))
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	const rows = 1203
	err := db.Tx(ctx, func(x einsatzraum.Tx) error {
		t := x.(*txn)
		for i := range rows {
			user, at := "u_a", t0.Add(time.Duration(i)*time.Second)
			if i >= 600 {
				user, at = "u_b", t0.Add(time.Duration(i-600)*time.Second)
			}
			if i == 500 { // the 500th key again: a second point at that instant
				at = t0.Add(499 * time.Second)
			}
			lat := 53 + float64(i)/10000
			if i%2 == 0 { // sealed, as the last per-point version wrote them
				sealed, err := t.sealJSON(sealedPoint{Lat: lat, Lon: 10, AccuracyM: 5})
				if err != nil {
					return err
				}
				_, err = t.exec(ctx, `INSERT INTO positions (user_id, ts, lat, lon, accuracy_m, received_at, sealed) VALUES (?, ?, 0, 0, 0, ?, ?)`, user, micros(at), micros(t0)+int64(i/100), sealed)
				if err != nil {
					return err
				}
				continue
			}
			if _, err := t.exec(ctx, `INSERT INTO positions (user_id, ts, lat, lon, accuracy_m, received_at) VALUES (?, ?, ?, 10, 5, ?)`, user, micros(at), lat, micros(t0)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := db.SealPlaintext(ctx); err != nil || n != rows {
		t.Fatalf("moved %d rows, %v; want %d", n, err, rows)
	}
	if n, err := db.SealPlaintext(ctx); err != nil || n != 0 {
		t.Fatalf("second pass moved %d, %v", n, err)
	}
	err = db.View(ctx, func(x einsatzraum.Tx) error {
		var left int
		if err := x.(*txn).queryRow(ctx, `SELECT count(*) FROM positions`).Scan(&left); err != nil || left != 0 {
			t.Errorf("%d rows left in the per-point table, %v", left, err)
		}
		got, err := x.Track(ctx, []string{"u_a", "u_b"}, t0, t0.Add(time.Hour), 10000)
		if err != nil {
			return err
		}
		if len(got) != rows {
			t.Fatalf("track after the move: %d points, want %d", len(got), rows)
		}
		lats := map[float64]bool{}
		for _, p := range got {
			lats[p.Lat] = true
			if p.Lon != 10 || p.AccuracyM != 5 {
				t.Fatalf("moved point %+v", p)
			}
		}
		if len(lats) != rows {
			t.Errorf("%d different points after the move, want %d", len(lats), rows)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStorageFullIs503: a write into a full database is 503 storage_full
// (retry later, nothing saved), not an internal error. SQLite's
// max_page_count makes the database full as a full disk would.
func TestStorageFullIs503(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "full.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pages int
	if err := db.w.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	err = db.Tx(ctx, func(x einsatzraum.Tx) error {
		for i := range 200 {
			if err := x.CreateUser(ctx, &einsatzraum.User{ID: fmt.Sprint("u_", i), Email: fmt.Sprint(i, "@polizei.example"), Name: strings.Repeat("x", 2000), PasswordHash: "x"}); err != nil {
				return err
			}
		}
		return nil
	})
	if e := einsatzraum.AsError(err); e == nil || e.Kind != einsatzraum.KindUnavailable || e.Code != "storage_full" {
		t.Fatalf("write into a full database: %v", err)
	}
}

// TestDamagedDatabaseIsNamed: a damaged database file is reported as
// damaged, with what to do, not as a failed migration.
func TestDamagedDatabaseIsNamed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	db, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	checkpointAll(t, db)
	db.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 4096; i < len(b); i++ { // every page after the first: garbage
		b[i] = byte(i * 7)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = OpenSQLite(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "backup") {
		t.Fatalf("opening a damaged database: %v", err)
	}
}

// TestDamagedWALIsNotDroppedSilently: a crash leaves a write-ahead log
// whose first frame is damaged while later transactions were committed;
// SQLite would drop them without a word. Opening refuses, names the
// frame, and keeps a copy of the log. An intact log opens.
func TestDamagedWALIsNotDroppedSilently(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	db, err := OpenSQLite(ctx, live)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkpointAll(t, db)
	for i := range 5 { // five committed transactions, all in the log
		err := db.Tx(ctx, func(x einsatzraum.Tx) error {
			return x.CreateUser(ctx, &einsatzraum.User{ID: fmt.Sprint("u_", i), Email: fmt.Sprint(i, "@polizei.example"), Name: "N", PasswordHash: "x"})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The state a crash leaves: the database file and its log, copied
	// while the database is open.
	crash := func(name string, damage bool) string {
		path := filepath.Join(dir, name)
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(live + suffix)
			if err != nil {
				t.Fatal(err)
			}
			if suffix == "-wal" && damage {
				b[32+24+100] ^= 0xff // inside the first frame's page
			}
			if err := os.WriteFile(path+suffix, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return path
	}
	intact, err := OpenSQLite(ctx, crash("intact.db", false))
	if err != nil {
		t.Fatalf("an intact log: %v", err)
	}
	intact.Close()
	damaged := crash("damaged.db", true)
	_, err = OpenSQLite(ctx, damaged)
	if err == nil || !strings.Contains(err.Error(), "damaged at frame 1") || !strings.Contains(err.Error(), "committed transactions") {
		t.Fatalf("a damaged log: %v", err)
	}
	copies, _ := filepath.Glob(damaged + "-wal.damaged-*")
	if len(copies) != 1 {
		t.Fatalf("copies of the damaged log: %v", copies)
	}
}

// checkpointAll copies the whole write-ahead log into the database file
// and empties it, trying again while the checkpointer's own checkpoint
// keeps the log busy.
func checkpointAll(t *testing.T, db *DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var busy, logged, copied int
		if err := db.w.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &copied); err != nil {
			t.Fatal(err)
		}
		if busy == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the write-ahead log stayed busy for 10 s (%d of %d frames copied)", copied, logged)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
