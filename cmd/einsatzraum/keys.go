package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/einsatzraum/einsatzraum/chat"
)

// loadKeyring returns the master key's keyring: from EINSATZRAUM_MASTER_KEY
// (base64), else from keyFile (default: master.key in the data dir), which
// the embedded default creates with mode 0600 on first start.
//
// A shared store (PostgreSQL, several nodes) needs the same key on every
// node, so with shared set a key must be given: none is generated.
func loadKeyring(getenv func(string) string, dataDir, keyFile string, shared bool, log *slog.Logger) (*chat.Keyring, error) {
	if v := getenv("EINSATZRAUM_MASTER_KEY"); v != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("EINSATZRAUM_MASTER_KEY is not base64: %w", err)
		}
		return chat.NewKeyring(key)
	}
	if keyFile == "" && shared {
		return nil, errors.New("a shared store needs the same master key on every node: set EINSATZRAUM_MASTER_KEY (base64 of 32 random bytes) or --master-key-file")
	}
	if keyFile == "" {
		keyFile = filepath.Join(dataDir, "master.key")
	}
	b, err := os.ReadFile(keyFile)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, chat.MasterKeySize)
		_, _ = rand.Read(key)
		if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write master key: %w", err)
		}
		log.Warn("generated a new master key: everything at rest is encrypted with it; back it up apart from the data, without it the data is lost", "file", keyFile)
		return chat.NewKeyring(key)
	}
	if err != nil {
		return nil, fmt.Errorf("read master key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("master key file %s is not base64: %w", keyFile, err)
	}
	return chat.NewKeyring(key)
}
