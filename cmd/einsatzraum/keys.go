package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/sqlstore"

	"github.com/einsatzraum/einsatzraum/chat"
)

// loadKeyring returns the master key's keyring: from EINSATZRAUM_MASTER_KEY
// (base64), else from keyFile (default: master.key in the data dir), which
// the embedded default creates with mode 0600 on first start.
//
// A shared store (PostgreSQL, several nodes) needs the same key on every
// node, so with shared set a key must be given: none is generated.
//
// generated names the key file made now, if one was: a store that holds
// data refuses the new key (openStore's key check), and the caller then
// removes the file, so a lost key is never silently replaced.
func loadKeyring(getenv func(string) string, dataDir, keyFile string, shared bool, log *slog.Logger) (keys *chat.Keyring, generated string, err error) {
	if v := getenv("EINSATZRAUM_MASTER_KEY"); v != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil {
			return nil, "", fmt.Errorf("EINSATZRAUM_MASTER_KEY is not base64: %w", err)
		}
		keys, err := chat.NewKeyring(key)
		return keys, "", err
	}
	if keyFile == "" && shared {
		return nil, "", errors.New("a shared store needs the same master key on every node: set EINSATZRAUM_MASTER_KEY (base64 of 32 random bytes) or --master-key-file")
	}
	if keyFile == "" {
		keyFile = filepath.Join(dataDir, "master.key")
	}
	b, err := os.ReadFile(keyFile)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, chat.MasterKeySize)
		_, _ = rand.Read(key)
		if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
			return nil, "", err
		}
		if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
			return nil, "", fmt.Errorf("write master key: %w", err)
		}
		keys, err := chat.NewKeyring(key)
		return keys, keyFile, err
	}
	if err != nil {
		return nil, "", fmt.Errorf("read master key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, "", fmt.Errorf("master key file %s is not base64: %w", keyFile, err)
	}
	keys, err = chat.NewKeyring(key)
	return keys, "", err
}

// openStoreWithKey opens the store with the master key, checking that the
// key is the data's. A key generated now for a store that holds data is
// removed again, and the error says to restore the real one.
func openStoreWithKey(ctx context.Context, getenv func(string) string, dataDir, dsn, keyFile string, log *slog.Logger) (einsatzraum.Store, *chat.Keyring, error) {
	keys, generated, err := loadKeyring(getenv, dataDir, keyFile, isPostgres(dsn), log)
	if err != nil {
		return nil, nil, err
	}
	store, err := openStore(ctx, dataDir, dsn, keys)
	if err != nil {
		if generated != "" {
			_ = os.Remove(generated)
			if errors.Is(err, sqlstore.ErrWrongKey) {
				err = fmt.Errorf("%w: the master key file %s was missing and this store holds data sealed with the old key; restore the key from its backup (a new key would make the data unreadable)", err, generated)
			}
		}
		return nil, nil, err
	}
	if generated != "" {
		log.Warn("generated a new master key: everything at rest is encrypted with it; back it up apart from the data, without it the data is lost", "file", generated)
	}
	return store, keys, nil
}
