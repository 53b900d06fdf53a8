package einsatzraum

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
)

// Caches on the request path: who a bearer token is, and members' names
// and call signs for the map. Both are bounded and say how they stay
// right.

// tokenCacheTTL bounds how long a cached token is trusted without a store
// read, as a safety net: every revocation removes the entry at once (this
// node directly, other nodes through the bus, and in a cluster a shared
// revocation counter that every lookup compares).
const tokenCacheTTL = time.Minute

// maxCachedTokens bounds the token cache (a state force's devices fit).
const maxCachedTokens = 100_000

// tokenCache maps the SHA-256 of bearer tokens to the actor they were
// last found to be.
type tokenCache struct {
	mu       sync.Mutex
	byHash   map[[32]byte]*cachedActor
	byDevice map[string][32]byte
}

type cachedActor struct {
	user    User
	device  Device
	gen     int64 // the cluster's revocation counter when loaded
	checked time.Time
}

func newTokenCache() *tokenCache {
	return &tokenCache{byHash: map[[32]byte]*cachedActor{}, byDevice: map[string][32]byte{}}
}

// get returns a copy of the cached actor of hash if it was checked after
// notBefore and at revocation counter gen.
func (c *tokenCache) get(hash [32]byte, notBefore time.Time, gen int64) (*Actor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byHash[hash]
	if !ok || e.checked.Before(notBefore) || e.gen != gen {
		return nil, false
	}
	u, d := e.user, e.device
	return &Actor{User: &u, Device: &d}, true
}

// put caches a (copied), replacing an old entry; a full cache is emptied
// first (entries come back on their next use).
func (c *tokenCache) put(hash [32]byte, a *Actor, gen int64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byHash) >= maxCachedTokens {
		clear(c.byHash)
		clear(c.byDevice)
	}
	c.byHash[hash] = &cachedActor{user: *a.User, device: *a.Device, gen: gen, checked: now}
	c.byDevice[a.Device.ID] = hash
}

// touched records that the device was seen at.
func (c *tokenCache) touched(deviceID string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.byDevice[deviceID]; ok {
		if e := c.byHash[h]; e != nil {
			e.device.LastSeenAt = at
		}
	}
}

// forget drops the device's entry (revoked, its scope changed).
func (c *tokenCache) forget(deviceID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.byDevice[deviceID]; ok {
		delete(c.byHash, h)
		delete(c.byDevice, deviceID)
	}
}

// ForgetDevice drops what this node cached of a device's token; the hub
// calls it for revocations that other nodes announce.
func (s *Service) ForgetDevice(deviceID string) { s.tokens.forget(deviceID) }

// revocationGen is the cluster's revocation counter (0 on a single node,
// whose revocations are all its own). ok is false when it cannot be read:
// then nothing cached is trusted.
// After a failed read the counter is not asked again for a second (a
// Redis outage must not add a timeout to every request).
func (s *Service) revocationGen(ctx context.Context) (int64, bool) {
	if s.cfg.Cluster.Revocations == nil {
		return 0, true
	}
	if last := s.revocationFail.Load(); last != 0 && time.Since(time.Unix(0, last)) < time.Second {
		return 0, false
	}
	gen, err := s.cfg.Cluster.Revocations.RevocationGen(ctx)
	if err != nil {
		s.revocationFail.Store(time.Now().UnixNano())
		return 0, false
	}
	return gen, true
}

// tokenChanged tells the cluster a token died or changed (revoked,
// approved, its scope lifted): the counter moves (no node trusts its cache
// from now on) before the caller answers; for a revocation the bus names
// the device next.
func (s *Service) tokenChanged(ctx context.Context, deviceID string) {
	s.tokens.forget(deviceID)
	if r := s.cfg.Cluster.Revocations; r != nil {
		if err := r.BumpRevocationGen(ctx); err != nil {
			s.log.Error("bump the revocation counter; other nodes notice the revocation through the bus", "device", deviceID, "err", err)
		}
	}
}

// hashKey is the cache key of a token.
func hashKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// nameTTL is how long a member's name and call sign are kept (a change
// made on another node shows after it at the latest).
const nameTTL = 10 * time.Minute

// nameCache keeps users' names and call signs for the map.
type nameCache struct {
	mu   sync.Mutex
	refs map[string]cachedRef
}

type cachedRef struct {
	ref chat.UserRef
	at  time.Time
}

// userRefs returns the names and call signs of ids, reading the unknown
// (or too old) ones from the store in one query.
func (s *Service) userRefs(ctx context.Context, ids []string) (map[string]chat.UserRef, error) {
	now := time.Now()
	out := make(map[string]chat.UserRef, len(ids))
	var missing []string
	s.names.mu.Lock()
	for _, id := range ids {
		if r, ok := s.names.refs[id]; ok && now.Sub(r.at) < nameTTL {
			out[id] = r.ref
		} else {
			missing = append(missing, id)
		}
	}
	s.names.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	var users []User
	if err := s.view(ctx, "user_names", func(tx Tx) (err error) { users, err = tx.UsersByIDs(ctx, missing); return err }); err != nil {
		return nil, err
	}
	s.names.mu.Lock()
	defer s.names.mu.Unlock()
	if len(s.names.refs) > maxCachedTokens {
		clear(s.names.refs)
	}
	for _, u := range users {
		out[u.ID] = u.Ref()
		s.names.refs[u.ID] = cachedRef{ref: u.Ref(), at: now}
	}
	return out, nil
}

// forgetName drops a user's cached name (it changed here).
func (s *Service) forgetName(userID string) {
	s.names.mu.Lock()
	delete(s.names.refs, userID)
	s.names.mu.Unlock()
}
