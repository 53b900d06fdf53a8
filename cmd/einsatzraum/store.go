package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/sqlstore"
)

// openStore opens the store named by dsn: empty means the SQLite file
// einsatzraum.db in dataDir; "sqlite:PATH" or a plain path another SQLite
// file. Sensitive columns are encrypted with keys.
func openStore(ctx context.Context, dataDir, dsn string, keys *chat.Keyring) (einsatzraum.Store, error) {
	var db *sqlstore.DB
	var err error
	switch {
	case dsn == "":
		db, err = sqlstore.OpenSQLite(ctx, filepath.Join(dataDir, "einsatzraum.db"))
	case isPostgres(dsn):
		db, err = sqlstore.OpenPostgres(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("--store %s: %w", redactDSN(dsn), err)
		}
	default:
		db, err = sqlstore.OpenSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	}
	if err != nil {
		return nil, err
	}
	db.SetCipher(keys)
	if err := db.CheckKey(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("master key: %w", err)
	}
	if _, err := db.SealPlaintext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// isPostgres reports whether dsn names a PostgreSQL database.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// openBlobs returns where attachment bytes live: in PostgreSQL when the
// store is PostgreSQL (several nodes need no shared file system), else in
// the data directory.
func openBlobs(store einsatzraum.Store, dataDir string) (chat.BlobStore, error) {
	if db, ok := store.(*sqlstore.DB); ok {
		if blobs, err := db.Blobs(); err == nil {
			return blobs, nil
		}
	}
	return chat.NewDirBlobs(filepath.Join(dataDir, "blobs"))
}

// redactDSN hides a password in a DSN for logs.
func redactDSN(dsn string) string {
	at := strings.LastIndexByte(dsn, '@')
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	userinfo := dsn[scheme+3 : at]
	if i := strings.IndexByte(userinfo, ':'); i >= 0 {
		return dsn[:scheme+3] + userinfo[:i] + ":***" + dsn[at:]
	}
	return dsn
}

// openCLIStore opens the store for a command-line tool with the server's
// master key (EINSATZRAUM_MASTER_KEY, EINSATZRAUM_MASTER_KEY_FILE or
// master.key in the data dir).
func openCLIStore(ctx context.Context, dataDir, dsn string, getenv func(string) string, stderr io.Writer) (einsatzraum.Store, error) {
	store, _, err := openStoreWithKey(ctx, getenv, dataDir, dsn, getenv("EINSATZRAUM_MASTER_KEY_FILE"), slog.New(slog.NewTextHandler(stderr, nil)))
	return store, err
}
