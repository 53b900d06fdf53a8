package einsatzraum

import (
	"sync"
	"time"
)

// pointBudget bounds the position points one device may report, on every
// transport (REST, WebSocket, TAK), as a token bucket per device: a
// sustained rate, and a burst big enough for a phone that uploads the
// track it buffered while offline. It is kept per node: a device talks to
// one node at a time, and n nodes allow at most n times the rate.
type pointBudget struct {
	perSecond float64
	burst     float64

	mu      sync.Mutex
	buckets map[string]*pointBucket
}

type pointBucket struct {
	tokens float64
	at     time.Time
}

func newPointBudget(perMinute, burst int) *pointBudget {
	return &pointBudget{perSecond: float64(perMinute) / 60, burst: float64(burst), buckets: map[string]*pointBucket{}}
}

// take takes up to n points for key at now and returns how many it may
// report; with the budget off (a negative rate) all of them.
func (b *pointBudget) take(key string, n int, now time.Time) int {
	if b.perSecond < 0 {
		return n
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.buckets[key]
	if k == nil {
		k = &pointBucket{tokens: b.burst, at: now}
		b.buckets[key] = k
	}
	if d := now.Sub(k.at).Seconds(); d > 0 {
		k.tokens = min(b.burst, k.tokens+d*b.perSecond)
		k.at = now
	}
	allowed := min(n, int(k.tokens))
	k.tokens -= float64(allowed)
	return allowed
}

// sweep forgets buckets that have filled up again: their devices are idle.
func (b *pointBudget) sweep(now time.Time) {
	if b.perSecond <= 0 {
		return
	}
	full := time.Duration(b.burst / b.perSecond * float64(time.Second))
	b.mu.Lock()
	defer b.mu.Unlock()
	for key, k := range b.buckets {
		if now.Sub(k.at) > full {
			delete(b.buckets, key)
		}
	}
}
