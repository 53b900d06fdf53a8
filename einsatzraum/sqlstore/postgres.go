package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// OpenPostgres connects to the PostgreSQL database of dsn
// ("postgres://user@host:5432/db?search_path=schema"), creates the schema
// named first in search_path when it is missing, and applies pending
// migrations. Several nodes may open the same database at once: each
// migration is applied once, under an advisory lock.
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse PostgreSQL DSN: %w", err)
	}
	schema := firstSchema(cfg.RuntimeParams["search_path"])
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(32)
	pool.SetMaxIdleConns(32)
	stmts := newStmtCache(pool)
	db := &DB{w: pool, r: pool, dialect: postgresDialect, cipher: plainCipher{}, wStmts: stmts, rStmts: stmts}
	if schema != "" {
		if err := db.createSchema(ctx, schema); err != nil {
			pool.Close()
			return nil, err
		}
	}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// migrationLock is the advisory lock key nodes take while they migrate.
const migrationLock = 0x45_52_4d_49 // "ERMI"

var postgresDialect = dialect{
	name:           "postgres",
	rebind:         rebindDollar,
	isUnique:       isPostgresUnique,
	lockMigrations: "SELECT pg_advisory_xact_lock(" + strconv.Itoa(migrationLock) + ")",
	viewOptions:    &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	arrays:         true,
	// An unnamed statement, planned for its parameters each time.
	planEachTime: []any{pgx.QueryExecModeExec},
}

// createSchema creates schema unless it exists, under the migration lock
// (CREATE SCHEMA IF NOT EXISTS is not safe against a concurrent twin).
func (db *DB) createSchema(ctx context.Context, schema string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, db.dialect.lockMigrations); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return fmt.Errorf("create schema %s: %w", schema, err)
	}
	return tx.Commit()
}

// firstSchema returns the first schema of a search_path value, unquoted;
// "" when there is none or it is "$user".
func firstSchema(searchPath string) string {
	first, _, _ := strings.Cut(searchPath, ",")
	first = strings.Trim(strings.TrimSpace(first), `"`)
	if first == "$user" {
		return ""
	}
	return first
}

// rebindDollar turns '?' placeholders into PostgreSQL's $1, $2, ...
// Queries in this package hold no '?' inside string literals.
func rebindDollar(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// isPostgresUnique reports whether err is a unique_violation (23505).
func isPostgresUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// isPostgresFull reports whether err is PostgreSQL's disk_full (53100).
func isPostgresFull(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "53100"
}
