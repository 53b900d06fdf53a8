package sqlstore_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum/sqlstore"
	"github.com/einsatzraum/einsatzraum/einsatzraum/testenv"
)

// TestKeyCheck: the first key a store sees is the only one it accepts
// afterwards, on SQLite and on PostgreSQL.
func TestKeyCheck(t *testing.T) {
	ctx := context.Background()
	sqlitePath := filepath.Join(t.TempDir(), "k.db")
	pgDSN := ""
	opens := map[string]func(t *testing.T) *sqlstore.DB{
		"sqlite": func(t *testing.T) *sqlstore.DB {
			db, err := sqlstore.OpenSQLite(ctx, sqlitePath)
			if err != nil {
				t.Fatal(err)
			}
			return db
		},
		"postgres": func(t *testing.T) *sqlstore.DB {
			if pgDSN == "" {
				pgDSN = testenv.PostgresSchema(t)
			}
			db, err := sqlstore.OpenPostgres(ctx, pgDSN)
			if err != nil {
				t.Fatal(err)
			}
			return db
		},
	}
	key := func(b byte) *chat.Keyring {
		k, err := chat.NewKeyring(bytes.Repeat([]byte{b}, chat.MasterKeySize))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for name, open := range opens {
		t.Run(name, func(t *testing.T) {
			for _, step := range []struct {
				key   byte
				wrong bool
			}{{1, false}, {1, false}, {2, true}, {1, false}} {
				db := open(t)
				db.SetCipher(key(step.key))
				err := db.CheckKey(ctx)
				db.Close()
				if step.wrong != errors.Is(err, sqlstore.ErrWrongKey) || (!step.wrong && err != nil) {
					t.Fatalf("key %d: %v (want wrong key: %v)", step.key, err, step.wrong)
				}
			}
		})
	}
}
