// Package sqlstore implements einsatzraum.Store over SQL databases: SQLite
// (the embedded default, pure Go) and PostgreSQL share the same queries;
// only the schema files and a few dialect details differ.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

//go:embed migrations
var migrations embed.FS

var _ einsatzraum.Store = (*DB)(nil)

// DB is a Store over database/sql. Writes go through w; reads through r.
// For SQLite, w has one connection (SQLite has one writer at a time, and
// queueing in Go is fairer and faster than busy-waiting in SQLite) and r
// several; for PostgreSQL both are the same pool.
type DB struct {
	w, r    *sql.DB
	dialect dialect
	cipher  Cipher

	// Statements prepared once per pool and reused by every transaction
	// (the hot paths parse no SQL per request).
	wStmts, rStmts *stmtCache

	// writes feeds the group-commit loop (SQLite): concurrent Tx calls
	// share one transaction and one fsync, each in its own savepoint. Nil
	// for databases with concurrent writers.
	writes    chan *writeReq
	writeDone chan struct{}
	ckpt      *checkpointer // SQLite: copies the log back beside the writer
}

// writeReq is one Tx call waiting for the group-commit loop.
type writeReq struct {
	ctx  context.Context
	fn   func(einsatzraum.Tx) error
	done chan error
}

// maxGroup bounds how many Tx calls share one commit.
const maxGroup = 128

// dialect holds what differs between the SQL databases.
type dialect struct {
	name string
	// rebind turns '?' placeholders into the database's own.
	rebind func(string) string
	// isUnique reports whether err is a unique constraint violation.
	isUnique func(error) bool
	// lockMigrations, when set, runs first in every migration transaction
	// so that nodes starting together apply each migration once.
	lockMigrations string
	// viewOptions are the options of read-only transactions.
	viewOptions *sql.TxOptions
	// arrays: the database takes arrays as parameters (PostgreSQL), so
	// many rows go in one statement (unnest) and one round trip.
	arrays bool
	// planEachTime, put before a query's arguments, has the database plan
	// the query for the values it gets, each time (PostgreSQL; nil
	// elsewhere). For lookups of a list of keys (queryList): a plan cached
	// while the table was small scans the whole table, for as long as the
	// connection lives.
	planEachTime []any
}

// perPair returns a query that reads, for each pair (as[i], bs[i]), the
// row of columns from tables where cond holds, cond naming the pair k.a
// and k.b; each row starts with its pair's number k.i, counting from 1.
// One statement thus reads for any number of pairs (run it with
// queryList). A pair must find one row at most.
//
// On PostgreSQL the pairs come as two arrays and each pair runs its own
// lookup (LATERAL ... LIMIT 1): joined plainly, the planner took 4 ms to
// plan the chat access of 20 pairs, and on tables without statistics yet
// (a new database) it read a whole room's members, or every message of a
// sender, for each pair. On SQLite the pairs come as one JSON array, and
// its planner looks each pair up by index as the plain join is written.
func (d *dialect) perPair(as, bs []string, columns, tables, cond string) (string, []any, error) {
	if len(as) != len(bs) {
		return "", nil, fmt.Errorf("pairs: %d first values for %d second", len(as), len(bs))
	}
	if d.arrays {
		return `SELECT k.i, x.* FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS k(a, b, i)
			CROSS JOIN LATERAL (SELECT ` + columns + ` FROM ` + tables + ` WHERE ` + cond + ` LIMIT 1) x`,
			[]any{as, bs}, nil
	}
	list := make([][2]string, len(as))
	for i := range as {
		list[i] = [2]string{as[i], bs[i]}
	}
	j, err := json.Marshal(list)
	if err != nil {
		return "", nil, fmt.Errorf("pairs: %w", err)
	}
	return `SELECT k.i, ` + columns + `
		FROM (SELECT value->>0 AS a, value->>1 AS b, key + 1 AS i FROM json_each(?)) AS k
		CROSS JOIN ` + tables + ` WHERE ` + cond, []any{string(j)}, nil
}

// OpenSQLite opens (creating if needed) the SQLite database at path in WAL
// mode and applies pending migrations.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create directory of %s: %w", path, err)
	}
	// The database, and the WAL and shared-memory files SQLite makes with
	// the database's mode, are the owner's alone.
	if err := restrictFile(path); err != nil {
		return nil, err
	}
	if err := checkWAL(path); err != nil {
		return nil, err
	}
	// secure_delete: content that is overwritten or deleted (a row sealed
	// in place, a purged message) is zeroed, not left in free pages.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=secure_delete(1)&_pragma=temp_store(MEMORY)"
	u := (&url.URL{Scheme: "file", Opaque: path}).String()
	// The writer's page cache holds 32 MiB (SQLite's default is 2 MiB): a
	// group of track points or posts then fits in it, instead of spilling
	// pages to the WAL in the middle of the transaction.
	// It never checkpoints: the checkpointer does, beside it; the log is
	// cut back to 64 MiB after a checkpoint that emptied it.
	w, err := sql.Open("sqlite", u+"?"+pragmas+"&_pragma=cache_size(-32768)&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(67108864)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", u+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	db := &DB{w: w, r: r, dialect: sqliteDialect, cipher: plainCipher{}, wStmts: newStmtCache(w), rStmts: newStmtCache(r)}
	if err := checkIntact(ctx, w, path); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	ck, err := sql.Open("sqlite", u+"?"+pragmas)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.ckpt = newCheckpointer(ck)
	db.writes, db.writeDone = make(chan *writeReq, maxGroup), make(chan struct{})
	go db.writeLoop()
	return db, nil
}

// checkIntact runs SQLite's quick check, so that a damaged database file
// is reported as such (and not as the migration that first trips over
// it). It reads every page once: about a second per GB.
func checkIntact(ctx context.Context, w *sql.DB, path string) error {
	rows, err := w.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return fmt.Errorf("the database %s is damaged or not a database (%w); restore it from a backup", path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("check the database %s: %w", path, err)
		}
		if line != "ok" && len(problems) < 5 {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("the database %s is damaged (%w); restore it from a backup", path, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("the database %s is damaged (%s); restore it from a backup", path, strings.Join(problems, "; "))
	}
	return nil
}

// restrictFile creates path with mode 0600 if it is missing, and takes
// group and other permissions from it and its -wal and -shm files where
// they exist.
func restrictFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("restrict %s: %w", p, err)
		}
	}
	return nil
}

var sqliteDialect = dialect{
	name:     "sqlite",
	rebind:   func(q string) string { return q },
	isUnique: isSQLiteUnique,
}

// Close stops the group-commit loop and closes both pools.
func (db *DB) Close() error {
	if db.writes != nil {
		close(db.writes)
		<-db.writeDone
	}
	var ckErr error
	if db.ckpt != nil {
		ckErr = db.ckpt.close()
	}
	db.stmts(db.w).close()
	if db.r != db.w {
		db.stmts(db.r).close()
	}
	err := errors.Join(ckErr, db.w.Close())
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var one int
	return db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Tx runs fn in a read-write transaction. On SQLite, calls that arrive
// while a commit is under way are grouped into the next commit (each in a
// savepoint, so one failing call rolls back only its own writes); the
// result is reported only after the commit, so nothing is acknowledged
// before it is durable.
func (db *DB) Tx(ctx context.Context, fn func(einsatzraum.Tx) error) error {
	if db.writes == nil {
		return storageFull(db.run(ctx, db.w, nil, fn))
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.writes <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	return storageFull(<-req.done)
}

// storageFull turns "the disk is full" from either database into 503
// storage_full (the client may try again later; nothing was written), and
// leaves every other error as it is.
func storageFull(err error) error {
	if err == nil || !(isSQLiteFull(err) || isPostgresFull(err) || errors.Is(err, syscall.ENOSPC)) {
		return err
	}
	return einsatzraum.StorageFull(err)
}

// writeLoop takes Tx calls and commits them in groups until Close.
func (db *DB) writeLoop() {
	defer close(db.writeDone)
	for req := range db.writes {
		group := []*writeReq{req}
	more:
		for len(group) < maxGroup {
			select {
			case r, ok := <-db.writes:
				if !ok {
					break more
				}
				group = append(group, r)
			default:
				break more
			}
		}
		db.commitGroup(group)
		if db.ckpt != nil {
			db.ckpt.committed()
		}
	}
}

func (db *DB) commitGroup(group []*writeReq) {
	if len(group) == 1 { // nothing to share: no savepoint needed
		r := group[0]
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			return
		}
		r.done <- db.run(context.Background(), db.w, nil, func(t einsatzraum.Tx) error { return runSafely(r.fn, t) })
		return
	}
	results := make([]error, len(group))
	finish := func(commitErr error) {
		for i, r := range group {
			if results[i] == nil && commitErr != nil {
				results[i] = commitErr
			}
			r.done <- results[i]
		}
	}
	tx, err := db.w.BeginTx(context.Background(), nil)
	if err != nil {
		finish(fmt.Errorf("begin transaction: %w", err))
		return
	}
	// The calls of a group run the same few queries: each is parsed once
	// per group (the statements close with the transaction).
	stmts := map[string]*sql.Stmt{}
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := tx.Exec("SAVEPOINT w"); err != nil {
			_ = tx.Rollback()
			finish(fmt.Errorf("savepoint: %w", err))
			return
		}
		results[i] = runSafely(r.fn, db.txn(tx, db.stmts(db.w), stmts))
		if results[i] != nil {
			if _, err := tx.Exec("ROLLBACK TO w"); err != nil {
				_ = tx.Rollback()
				finish(fmt.Errorf("rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := tx.Exec("RELEASE w"); err != nil {
			_ = tx.Rollback()
			finish(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		finish(fmt.Errorf("commit: %w", err))
		return
	}
	finish(nil)
	db.stmts(db.w).prepareWanted()
}

// runSafely runs fn, turning a panic into an error so that one bad call
// cannot stop the writer of every other.
func runSafely(fn func(einsatzraum.Tx) error, t einsatzraum.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("transaction panicked: %v", p)
		}
	}()
	return fn(t)
}

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(einsatzraum.Tx) error) error {
	return storageFull(db.run(ctx, db.r, db.dialect.viewOptions, fn))
}

func (db *DB) run(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(einsatzraum.Tx) error) error {
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	cache := db.stmts(pool)
	defer cache.prepareWanted()
	if err := fn(db.txn(tx, cache, map[string]*sql.Stmt{})); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Cipher encrypts the sensitive columns at rest (message bodies, event
// data, attachment names). chat.Keyring is one.
type Cipher interface {
	Seal(plaintext []byte) []byte
	Open(sealed []byte) ([]byte, error)
}

// plainCipher stores values as they are; only for tests that say so.
type plainCipher struct{}

func (plainCipher) Seal(p []byte) []byte          { return p }
func (plainCipher) Open(s []byte) ([]byte, error) { return s, nil }

// SetCipher makes the store encrypt sensitive columns with c. Call it
// before the first use.
func (db *DB) SetCipher(c Cipher) { db.cipher = c }

// Latest runs fn on the pool without a transaction where writers are
// concurrent (PostgreSQL); SQLite declines (see einsatzraum.Store).
func (db *DB) Latest(ctx context.Context, fn func(einsatzraum.Tx) error) (bool, error) {
	if db.writes != nil {
		return false, nil
	}
	cache := db.stmts(db.r)
	defer cache.prepareWanted()
	return true, storageFull(fn(db.txn(nil, cache, nil)))
}

// ConcurrentWriters is true on PostgreSQL; SQLite's writes go through
// one writer (writeLoop).
func (db *DB) ConcurrentWriters() bool { return db.writes == nil }

// txn returns the Tx over tx (nil: over the pool, see Latest) with the
// pool's statement cache and the statements bound to tx so far.
func (db *DB) txn(tx *sql.Tx, pool *stmtCache, stmts map[string]*sql.Stmt) *txn {
	return &txn{tx: tx, d: &db.dialect, c: db.cipher, pool: pool, stmts: stmts}
}

// txn implements einsatzraum.Tx over one *sql.Tx, or, with tx nil, over
// the pool, each statement on its own (Latest: reads only).
type txn struct {
	tx    *sql.Tx
	d     *dialect
	c     Cipher
	pool  *stmtCache           // the pool's prepared statements
	stmts map[string]*sql.Stmt // those of them bound to tx
}

// prepared returns q prepared and bound to this transaction, for exec and
// queryRow (whose rows end at once), or nil to run it as text when q does
// not prepare (its error shows when it runs). A statement the pool has
// prepared already is bound without parsing; a new one is prepared in
// this transaction and, after it, on the pool (prepareWanted).
func (t *txn) prepared(ctx context.Context, q string) *sql.Stmt {
	if t.tx == nil {
		return t.pool.get(q) // on the pool as it is, or nil: run as text
	}
	if s, ok := t.stmts[q]; ok {
		return s
	}
	var s *sql.Stmt
	if ps := t.pool.get(q); ps != nil {
		s = t.tx.StmtContext(ctx, ps)
	} else {
		var err error
		if s, err = t.tx.PrepareContext(ctx, q); err != nil {
			return nil
		}
	}
	t.stmts[q] = s
	return s
}

// stmtCache keeps the statements prepared on one pool, by SQL text. It
// holds at most maxStatements (the queries are fixed strings; IN lists of
// varying length are not prepared). A statement is prepared on the pool
// only between transactions: SQLite's writer pool has one connection,
// which the transaction that first needs the statement holds.
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	wanted map[string]bool // seen in a transaction, to prepare after it
}

const maxStatements = 512

// stmts returns the statement cache of pool (w or r).
func (db *DB) stmts(pool *sql.DB) *stmtCache {
	if pool == db.w {
		return db.wStmts
	}
	return db.rStmts
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// get returns q prepared on the pool, or nil (then q is wanted: it is
// prepared after the transaction).
func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[q]; ok {
		return s
	}
	if len(c.stmts)+len(c.wanted) < maxStatements {
		c.wanted[q] = true
	}
	return nil
}

// prepareWanted prepares on the pool the statements transactions asked
// for; call it with no transaction of this goroutine open.
func (c *stmtCache) prepareWanted() {
	c.mu.Lock()
	if len(c.wanted) == 0 {
		c.mu.Unlock()
		return
	}
	qs := make([]string, 0, len(c.wanted))
	for q := range c.wanted {
		qs = append(qs, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, q := range qs {
		s, err := c.db.Prepare(q)
		if err != nil {
			continue // it runs as text
		}
		c.mu.Lock()
		if _, ok := c.stmts[q]; ok {
			s.Close()
		} else {
			c.stmts[q] = s
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.stmts {
		s.Close()
	}
	clear(c.stmts)
}

func (t *txn) seal(p []byte) []byte { return t.c.Seal(p) }

func (t *txn) open(s []byte) ([]byte, error) {
	p, err := t.c.Open(s)
	if err != nil {
		return nil, fmt.Errorf("decrypt stored value: %w", err)
	}
	return p, nil
}

// sqlConn is what txn runs statements on: a transaction or the pool.
type sqlConn interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func (t *txn) conn() sqlConn {
	if t.tx == nil {
		return t.pool.db
	}
	return t.tx
}

func (t *txn) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if t.tx == nil {
		return nil, errors.New("a write outside a transaction (Latest is for reads)")
	}
	q = t.d.rebind(q)
	var res sql.Result
	var err error
	if s := t.prepared(ctx, q); s != nil {
		res, err = s.ExecContext(ctx, args...)
	} else {
		res, err = t.conn().ExecContext(ctx, q, args...)
	}
	if err != nil && t.d.isUnique(err) {
		return nil, fmt.Errorf("%w: %v", einsatzraum.ErrConflict, err)
	}
	return res, err
}

// query is never prepared: a caller may run the same query again while it
// still reads the rows, and one prepared statement steps one result at a
// time.
func (t *txn) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.conn().QueryContext(ctx, t.d.rebind(q), args...)
}

// queryList runs a query over a list of keys (dialect.perPair) whose rows the
// caller reads to the end before it runs the query again: planned for its
// values each time where the dialect says so (planEachTime: PostgreSQL),
// else prepared once (SQLite), so that each key is an index lookup.
func (t *txn) queryList(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = t.d.rebind(q)
	if t.d.planEachTime != nil {
		return t.conn().QueryContext(ctx, q, append(slices.Clip(t.d.planEachTime), args...)...)
	}
	if s := t.prepared(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.conn().QueryContext(ctx, q, args...)
}

func (t *txn) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	q = t.d.rebind(q)
	if s := t.prepared(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.conn().QueryRowContext(ctx, q, args...)
}

// execOne runs an UPDATE or DELETE that must touch exactly one row;
// ErrNotFound otherwise.
func (t *txn) execOne(ctx context.Context, q string, args ...any) error {
	res, err := t.exec(ctx, q, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return einsatzraum.ErrNotFound
	}
	return nil
}

// one maps sql.ErrNoRows to einsatzraum.ErrNotFound.
func one(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return einsatzraum.ErrNotFound
	}
	return err
}

// migrate applies the embedded migrations of the dialect that are not yet
// recorded in schema_migrations, each in its own transaction.
func (db *DB) migrate(ctx context.Context) error {
	dir := "migrations/" + db.dialect.name
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		body, err := migrations.ReadFile(dir + "/" + name)
		if err != nil {
			return fmt.Errorf("read migration %s: %w", name, err)
		}
		tx, err := db.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin migration %s: %w", name, err)
		}
		if db.dialect.lockMigrations != "" {
			if _, err := tx.ExecContext(ctx, db.dialect.lockMigrations); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("lock migrations: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, db.dialect.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("check migration %s: %w", name, err)
		}
		if n > 0 {
			_ = tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("apply migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, db.dialect.rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), version, time.Now().UnixMicro()); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("record migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit migration %s: %w", name, err)
		}
	}
	return nil
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(n int64) time.Time { return time.UnixMicro(n).UTC() }
