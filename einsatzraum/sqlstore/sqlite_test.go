package sqlstore_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/sqlstore"
	"github.com/einsatzraum/einsatzraum/einsatzraum/storetest"
)

func newSQLite(t *testing.T) einsatzraum.Store {
	t.Helper()
	db, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := chat.NewKeyring(bytes.Repeat([]byte{1}, chat.MasterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	db.SetCipher(keys) // the conformance suite runs with sealed columns, as the server does
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSQLiteConformance(t *testing.T) { storetest.Run(t, newSQLite) }

func TestSQLiteReopenKeepsDataAndSkipsMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := sqlstore.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Tx(ctx, func(x einsatzraum.Tx) error {
		return x.CreateUser(ctx, &einsatzraum.User{ID: "u_1", Email: "a@polizei.example", Name: "A", PasswordHash: "h"})
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlstore.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	err = db.View(ctx, func(x einsatzraum.Tx) error { _, err := x.UserByID(ctx, "u_1"); return err })
	if err != nil {
		t.Fatalf("user lost after reopen: %v", err)
	}
}
