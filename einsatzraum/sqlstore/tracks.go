package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/einsatzraum/einsatzraum/geo"
)

// The track history is kept in chunks (table track_chunks): one row holds
// the points of one user that one write took within one chunk span,
// sealed together as a JSON array of chunkPoint. A row per point cost two
// b-tree inserts and a seal per point, a third of the CPU of a batched
// position report.

// chunkSpan is the most time, in microseconds, one chunk covers: chunks
// start on multiples of it. Retention deletes a chunk once its newest
// point is past the cutoff, so no point outlives the cutoff by more.
const chunkSpan = int64(10 * time.Minute / time.Microsecond)

// maxChunkPoints is the most points one chunk holds (a phone's offline
// buffer of one span may be long).
const maxChunkPoints = 500

// maxChunkRows is the most rows of one chunk insert (a power of two).
const maxChunkRows = 128

// sealedPoint is what a track point keeps sealed: where the user was.
type sealedPoint struct {
	Lat       float64  `json:"lat"`
	Lon       float64  `json:"lon"`
	AccuracyM float64  `json:"acc,omitempty"`
	Heading   *float64 `json:"hdg,omitempty"`
	SpeedMps  *float64 `json:"spd,omitempty"`
}

// chunkPoint is one point of a chunk: its time in microseconds and where.
type chunkPoint struct {
	TS int64 `json:"ts"`
	sealedPoint
}

// trackChunk is a chunk before it is sealed.
type trackChunk struct {
	user        string
	first, last int64  // the oldest and newest point, microseconds
	points      []int  // the indexes of its points in the positions written
	body        []byte // the JSON array
}

// chunkPositions groups ps into chunks: by user and span, in the order
// each chunk's first point came, each chunk's points in the order given.
// The chunks' bodies share one buffer.
func chunkPositions(ps []geo.Position) []trackChunk {
	type key struct {
		user string
		span int64
	}
	var chunks []trackChunk
	open := map[key]int{} // the chunk that takes a user's next point of a span
	for i, p := range ps {
		ts := micros(p.TS)
		k := key{p.User, floorDiv(ts, chunkSpan)}
		c, ok := open[k]
		if !ok || len(chunks[c].points) == maxChunkPoints {
			c = len(chunks)
			open[k] = c
			chunks = append(chunks, trackChunk{user: p.User, first: ts, last: ts})
		}
		chunks[c].first, chunks[c].last = min(chunks[c].first, ts), max(chunks[c].last, ts)
		chunks[c].points = append(chunks[c].points, i)
	}
	buf := make([]byte, 0, len(ps)*80+len(chunks)*2)
	for c := range chunks {
		from := len(buf)
		buf = append(buf, '[')
		for n, i := range chunks[c].points {
			if n > 0 {
				buf = append(buf, ',')
			}
			buf = appendChunkPoint(buf, micros(ps[i].TS), ps[i])
		}
		buf = append(buf, ']')
		chunks[c].body = buf[from:len(buf):len(buf)]
	}
	return chunks
}

// floorDiv is a / b rounded down (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// InsertPositions appends ps to the track history as chunks, written in
// statements of 128, 64, ... 1 rows, so that a few fixed statements serve
// every batch from the statement cache.
func (t *txn) InsertPositions(ctx context.Context, ps []geo.Position, receivedAt time.Time) error {
	chunks := chunkPositions(ps)
	bodies := make([][]byte, len(chunks))
	for i := range chunks {
		bodies[i] = chunks[i].body
	}
	sealed := t.sealMany(bodies)
	for len(chunks) > 0 {
		n := maxChunkRows
		for n > len(chunks) {
			n /= 2
		}
		args := make([]any, 0, n*6)
		for i, c := range chunks[:n] {
			args = append(args, c.user, c.first, c.last, len(c.points), micros(receivedAt), sealed[i])
		}
		if _, err := t.exec(ctx, insertChunksSQL(n), args...); err != nil {
			return fmt.Errorf("insert track chunks: %w", err)
		}
		chunks, sealed = chunks[n:], sealed[n:]
	}
	return nil
}

// insertChunksSQL is the INSERT of n chunks.
func insertChunksSQL(n int) string {
	const row = "(?, ?, ?, ?, ?, ?)"
	return `INSERT INTO track_chunks (user_id, ts_first, ts_last, points, received_at, sealed) VALUES ` +
		strings.Repeat(row+", ", n-1) + row
}

// openChunk unseals a chunk of user's points.
func (t *txn) openChunk(user string, sealed []byte) ([]geo.Position, error) {
	var cps []chunkPoint
	if err := t.openJSON(sealed, &cps); err != nil {
		return nil, fmt.Errorf("open a track chunk of %s: %w", user, err)
	}
	ps := make([]geo.Position, len(cps))
	for i, c := range cps {
		ps[i] = geo.Position{User: user, TS: fromMicros(c.TS), Lat: c.Lat, Lon: c.Lon, AccuracyM: c.AccuracyM, Heading: c.Heading, SpeedMps: c.SpeedMps}
	}
	return ps, nil
}

// byUserAndTime orders track points by user, then time.
func byUserAndTime(a, b geo.Position) int {
	return cmp.Or(strings.Compare(a.User, b.User), a.TS.Compare(b.TS))
}

// Track reads every chunk that overlaps [from, to] and keeps the first
// limit points in (user, ts) order; while it reads it holds about twice
// limit points (it cuts back to limit whenever it has more).
func (t *txn) Track(ctx context.Context, users []string, from, to time.Time, limit int) ([]geo.Position, error) {
	out := []geo.Position{}
	if len(users) == 0 || limit <= 0 {
		return out, nil
	}
	args := make([]any, 0, len(users)+2)
	for _, u := range users {
		args = append(args, u)
	}
	lo, hi := micros(from), micros(to)
	args = append(args, lo, hi)
	rows, err := t.query(ctx, `SELECT user_id, sealed FROM track_chunks
		WHERE user_id IN (`+placeholders(len(users))+`) AND ts_last >= ? AND ts_first <= ?`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var user string
		var sealed []byte
		if err := rows.Scan(&user, &sealed); err != nil {
			rows.Close()
			return nil, err
		}
		ps, err := t.openChunk(user, sealed)
		if err != nil {
			rows.Close()
			return nil, err
		}
		for _, p := range ps {
			if ts := micros(p.TS); ts >= lo && ts <= hi {
				out = append(out, p)
			}
		}
		if len(out) > 2*limit {
			slices.SortStableFunc(out, byUserAndTime)
			out = out[:limit]
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, byUserAndTime)
	return out[:min(len(out), limit)], nil
}

// LatestPositions reads, for each user, the chunk with the newest point
// at or after since, and takes that point.
func (t *txn) LatestPositions(ctx context.Context, since time.Time) ([]geo.Position, error) {
	rows, err := t.query(ctx, `SELECT c.user_id, c.ts_last, c.sealed FROM track_chunks c
		JOIN (SELECT user_id, MAX(ts_last) AS ts FROM track_chunks WHERE ts_last >= ? GROUP BY user_id) l
		ON l.user_id = c.user_id AND l.ts = c.ts_last`, micros(since))
	if err != nil {
		return nil, err
	}
	out := []geo.Position{}
	seen := map[string]bool{} // two chunks of one user ending at the same instant: one
	for rows.Next() {
		var user string
		var last int64
		var sealed []byte
		if err := rows.Scan(&user, &last, &sealed); err != nil {
			rows.Close()
			return nil, err
		}
		if seen[user] {
			continue
		}
		ps, err := t.openChunk(user, sealed)
		if err != nil {
			rows.Close()
			return nil, err
		}
		for _, p := range slices.Backward(ps) {
			if micros(p.TS) == last {
				seen[user] = true
				out = append(out, p)
				break
			}
		}
	}
	return out, closeRows(rows)
}

// appendChunkPoint appends p at ts (microseconds) as the JSON of
// chunkPoint, written by hand (as json.Marshal writes it: the track
// history's hottest encoding).
func appendChunkPoint(b []byte, ts int64, p geo.Position) []byte {
	b = append(b, `{"ts":`...)
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, `,"lat":`...)
	b = appendJSONFloat(b, p.Lat)
	b = append(b, `,"lon":`...)
	b = appendJSONFloat(b, p.Lon)
	if p.AccuracyM != 0 {
		b = append(b, `,"acc":`...)
		b = appendJSONFloat(b, p.AccuracyM)
	}
	if p.Heading != nil {
		b = append(b, `,"hdg":`...)
		b = appendJSONFloat(b, *p.Heading)
	}
	if p.SpeedMps != nil {
		b = append(b, `,"spd":`...)
		b = appendJSONFloat(b, *p.SpeedMps)
	}
	return append(b, '}')
}

// appendJSONFloat writes f as encoding/json does: the shortest form,
// exponents only for very small or large values.
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // clean up e-09 to e-9, as encoding/json does
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// moveLegacyPoints moves the rows of the first sealBatch (user, ts) keys
// of the per-point table of earlier versions (positions, sealed or still
// in the clear) into chunks, and reports how many rows it moved (rows
// that share a key move together).
func moveLegacyPoints(ctx context.Context, t *txn) (int, error) {
	keys := `SELECT user_id, ts FROM positions ORDER BY user_id, ts LIMIT ` + strconv.Itoa(sealBatch)
	rows, err := t.query(ctx, `SELECT user_id, ts, lat, lon, accuracy_m, heading, speed_mps, sealed, received_at FROM positions
		WHERE (user_id, ts) IN (`+keys+`) ORDER BY user_id, ts`)
	if err != nil {
		return 0, err
	}
	byReceipt := map[int64][]geo.Position{} // one insert per time of receipt, which chunks keep
	var receipts []int64
	n := 0
	for rows.Next() {
		var received int64
		p, err := t.scanLegacyPoint(rows, &received)
		if err != nil {
			rows.Close()
			return 0, err
		}
		if _, ok := byReceipt[received]; !ok {
			receipts = append(receipts, received)
		}
		byReceipt[received] = append(byReceipt[received], p)
		n++
	}
	if err := closeRows(rows); err != nil {
		return 0, err
	}
	for _, r := range receipts {
		if err := t.InsertPositions(ctx, byReceipt[r], fromMicros(r)); err != nil {
			return 0, err
		}
	}
	if _, err := t.exec(ctx, `DELETE FROM positions WHERE (user_id, ts) IN (`+keys+`)`); err != nil {
		return 0, fmt.Errorf("delete moved track points: %w", err)
	}
	return n, nil
}

// scanLegacyPoint reads a row of the per-point table: user_id, ts, the
// clear columns of rows from before sealing, sealed and received_at.
func (t *txn) scanLegacyPoint(row interface{ Scan(...any) error }, received *int64) (geo.Position, error) {
	var p geo.Position
	var ts int64
	var heading, speed sql.NullFloat64
	var sealed []byte
	if err := row.Scan(&p.User, &ts, &p.Lat, &p.Lon, &p.AccuracyM, &heading, &speed, &sealed, received); err != nil {
		return p, err
	}
	p.TS = fromMicros(ts)
	if heading.Valid {
		p.Heading = &heading.Float64
	}
	if speed.Valid {
		p.SpeedMps = &speed.Float64
	}
	if sealed != nil {
		var sp sealedPoint
		if err := t.openJSON(sealed, &sp); err != nil {
			return p, err
		}
		p.Lat, p.Lon, p.AccuracyM, p.Heading, p.SpeedMps = sp.Lat, sp.Lon, sp.AccuracyM, sp.Heading, sp.SpeedMps
	}
	return p, nil
}
