package einsatzraum

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) string {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// CheckPassword reports whether password matches a hash made by HashPassword.
// A malformed hash never matches.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem uint32
	var iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil || threads == 0 || iter == 0 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, iter, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// newToken returns a fresh bearer token and its SHA-256, which is all the
// store keeps.
func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// hashGate bounds the password hashes (argon2id, 19 MiB each) running at
// once, and the callers waiting for one: past the queue a caller is told to
// come back (429 server_busy) instead of piling up. A flood of logins for
// unknown accounts then holds slots x 19 MiB, however many there are.
type hashGate struct {
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
}

func newHashGate(slots, queue int) *hashGate {
	return &hashGate{slots: make(chan struct{}, slots), maxWaiting: int64(queue)}
}

// run runs fn (a hash) when a slot is free. Errors: 429 server_busy when
// the queue is full; ctx's error when the caller gave up waiting.
func (g *hashGate) run(ctx context.Context, fn func()) error {
	if g.waiting.Add(1) > g.maxWaiting {
		g.waiting.Add(-1)
		return &Error{Kind: KindRateLimited, Code: "server_busy", Message: "too many logins at once; try again in a second", RetryAfter: time.Second}
	}
	select {
	case g.slots <- struct{}{}:
		g.waiting.Add(-1)
	case <-ctx.Done():
		g.waiting.Add(-1)
		return ctx.Err()
	}
	defer func() { <-g.slots }()
	fn()
	return nil
}

// checkPassword is CheckPassword through the service's hash gate.
func (s *Service) checkPassword(ctx context.Context, hash, password string) (ok bool, err error) {
	err = s.hashes.run(ctx, func() { ok = CheckPassword(hash, password) })
	return ok, err
}

// hashPassword is HashPassword through the service's hash gate.
func (s *Service) hashPassword(ctx context.Context, password string) (hash string, err error) {
	err = s.hashes.run(ctx, func() { hash = HashPassword(password) })
	return hash, err
}
