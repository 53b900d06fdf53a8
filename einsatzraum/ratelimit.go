package einsatzraum

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter counts events per key in fixed windows. The embedded default
// counts in process; several nodes count in Redis, so that a limit holds
// whichever node a request reaches.
type Limiter interface {
	// Hit counts one event for key in the current window of length window
	// and returns the count so far and how long until the window ends.
	Hit(ctx context.Context, key string, window time.Duration) (count int64, resetIn time.Duration, err error)
	// Count returns key's count in its current window without adding one.
	Count(ctx context.Context, key string) (count int64, resetIn time.Duration, err error)
}

// RateLimits sets the limits the service enforces. Zero fields take the
// defaults; a negative field turns that limit off.
type RateLimits struct {
	// LoginFailuresPerAccount failed logins of one account from one
	// address within LoginWindow are allowed (default 5 per 15 minutes);
	// each further one from that address doubles its wait (1 s up to
	// LoginWindow). Other addresses, the real user's, are not slowed.
	LoginFailuresPerAccount int
	// LoginAttemptsPerAddress bounds logins from one address per
	// LoginWindow (default 1000: a police network may put many officers
	// behind one proxy).
	LoginAttemptsPerAddress int
	LoginWindow             time.Duration
	// WritesPerMinute bounds one user's writes (default 600).
	WritesPerMinute int
	// PasswordHashes is how many password hashes (argon2id, 19 MiB each)
	// run at once (default: the number of CPUs); PasswordQueue how many
	// logins may wait for one (default 64) before the next gets 429.
	PasswordHashes int
	PasswordQueue  int
}

func (r *RateLimits) defaults() {
	if r.LoginFailuresPerAccount == 0 {
		r.LoginFailuresPerAccount = 5
	}
	if r.LoginAttemptsPerAddress == 0 {
		r.LoginAttemptsPerAddress = 1000
	}
	if r.LoginWindow <= 0 {
		r.LoginWindow = 15 * time.Minute
	}
	if r.WritesPerMinute == 0 {
		r.WritesPerMinute = 600
	}
	if r.PasswordHashes <= 0 {
		r.PasswordHashes = runtime.GOMAXPROCS(0)
	}
	if r.PasswordQueue <= 0 {
		r.PasswordQueue = 64
	}
}

// limit counts one event for key; past allowed events in the window it
// returns 429 rate_limited saying msg. A negative allowed is no limit.
func (s *Service) limit(ctx context.Context, key string, allowed int, window time.Duration, msg string) error {
	if allowed < 0 {
		return nil
	}
	n, reset, err := s.limiter.Hit(ctx, key, window)
	if err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	if n > int64(allowed) {
		return &Error{Kind: KindRateLimited, Code: "rate_limited", Message: fmt.Sprintf("%s; try again in %d s", msg, int(reset.Seconds()+0.999)), RetryAfter: reset}
	}
	return nil
}

// AllowWrite counts one write of the caller: 429 rate_limited past the
// configured writes per minute.
func (s *Service) AllowWrite(ctx context.Context, a *Actor) error {
	return s.limit(ctx, "writes:"+a.User.ID, s.cfg.RateLimits.WritesPerMinute, time.Minute, "too many writes")
}

// MemoryLimiter is a Limiter in process memory.
type MemoryLimiter struct {
	now     func() time.Time
	mu      sync.Mutex
	windows map[string]*window
	sweep   time.Time
}

type window struct {
	count int64
	end   time.Time
}

// NewMemoryLimiter returns an empty limiter on clock now (nil: time.Now).
func NewMemoryLimiter(now func() time.Time) *MemoryLimiter {
	if now == nil {
		now = time.Now
	}
	return &MemoryLimiter{now: now, windows: map[string]*window{}}
}

// Hit counts one event for key.
func (l *MemoryLimiter) Hit(_ context.Context, key string, length time.Duration) (int64, time.Duration, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.After(l.sweep) { // forget ended windows now and then
		for k, w := range l.windows {
			if !now.Before(w.end) {
				delete(l.windows, k)
			}
		}
		l.sweep = now.Add(time.Minute)
	}
	w := l.windows[key]
	if w == nil || !now.Before(w.end) {
		w = &window{end: now.Add(length)}
		l.windows[key] = w
	}
	w.count++
	return w.count, w.end.Sub(now), nil
}

// Count returns key's count in its current window.
func (l *MemoryLimiter) Count(_ context.Context, key string) (int64, time.Duration, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[key]
	if w == nil || !now.Before(w.end) {
		return 0, 0, nil
	}
	return w.count, w.end.Sub(now), nil
}

// fallbackLimiter counts in primary (Redis) and, while primary fails, in
// local: limits then hold per node, and no request waits for a dead
// Redis more than once per cool-down.
type fallbackLimiter struct {
	primary, local Limiter
	log            *slog.Logger
	now            func() time.Time
	downUntil      atomic.Int64 // Unix nanoseconds; 0: primary is up
}

// limiterCoolDown is how long the fallback skips a failed primary.
const limiterCoolDown = 5 * time.Second

func (f *fallbackLimiter) use(ctx context.Context, call func(Limiter) (int64, time.Duration, error)) (int64, time.Duration, error) {
	now := f.now().UnixNano()
	if until := f.downUntil.Load(); until != 0 && now < until {
		return call(f.local)
	}
	n, reset, err := call(f.primary)
	if err != nil {
		if f.downUntil.Swap(now+int64(limiterCoolDown)) == 0 {
			f.log.Warn("rate limiter unavailable; counting on this node until it answers again", "err", err)
		}
		return call(f.local)
	}
	if f.downUntil.Swap(0) != 0 {
		f.log.Info("rate limiter answers again")
	}
	return n, reset, nil
}

func (f *fallbackLimiter) Hit(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	return f.use(ctx, func(l Limiter) (int64, time.Duration, error) { return l.Hit(ctx, key, window) })
}

func (f *fallbackLimiter) Count(ctx context.Context, key string) (int64, time.Duration, error) {
	return f.use(ctx, func(l Limiter) (int64, time.Duration, error) { return l.Count(ctx, key) })
}
