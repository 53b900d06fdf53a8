package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrWrongKey is returned by CheckKey when the store's data is sealed with
// another master key than the one given.
var ErrWrongKey = errors.New("the master key does not open this store's data")

// keyCheckText is the constant the key check seals.
const keyCheckText = "einsatzraum key check v1"

// CheckKey makes sure the cipher set with SetCipher is the key the store's
// data is sealed with, before anything is written under it. A store
// without a key check gets one: at once when it is new, and after one of
// its sealed event payloads opened under the key when it holds data from
// before key checks. Errors: ErrWrongKey (wrapped) for another key.
func (db *DB) CheckKey(ctx context.Context) error {
	var sealed []byte
	err := db.w.QueryRowContext(ctx, db.dialect.rebind(`SELECT value FROM store_meta WHERE name = ?`), "key_check").Scan(&sealed)
	switch {
	case err == nil:
		plain, err := db.cipher.Open(sealed)
		if err != nil || string(plain) != keyCheckText {
			return fmt.Errorf("%w (the key check sealed with the store's key does not open)", ErrWrongKey)
		}
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("read the key check: %w", err)
	}
	var sample []byte
	err = db.w.QueryRowContext(ctx, `SELECT data FROM events ORDER BY created_at DESC LIMIT 1`).Scan(&sample)
	switch {
	case err == nil:
		if _, err := db.cipher.Open(sample); err != nil {
			return fmt.Errorf("%w (the newest stored event does not open)", ErrWrongKey)
		}
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("read a stored event: %w", err)
	}
	// Nodes starting together may both get here: one check is kept, and
	// every node verifies the kept one.
	_, err = db.w.ExecContext(ctx, db.dialect.rebind(`INSERT INTO store_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`),
		"key_check", db.cipher.Seal([]byte(keyCheckText)))
	if err != nil {
		return fmt.Errorf("write the key check: %w", err)
	}
	if err := db.w.QueryRowContext(ctx, db.dialect.rebind(`SELECT value FROM store_meta WHERE name = ?`), "key_check").Scan(&sealed); err != nil {
		return fmt.Errorf("read the key check: %w", err)
	}
	if plain, err := db.cipher.Open(sealed); err != nil || string(plain) != keyCheckText {
		return fmt.Errorf("%w (another node wrote the key check with another key)", ErrWrongKey)
	}
	return nil
}
