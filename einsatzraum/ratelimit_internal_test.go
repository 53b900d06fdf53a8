package einsatzraum

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

// flakyLimiter fails while down and counts the calls it gets.
type flakyLimiter struct {
	down  bool
	calls int
	inner *MemoryLimiter
}

func (f *flakyLimiter) Hit(ctx context.Context, key string, w time.Duration) (int64, time.Duration, error) {
	f.calls++
	if f.down {
		return 0, 0, errors.New("redis: connection refused")
	}
	return f.inner.Hit(ctx, key, w)
}

func (f *flakyLimiter) Count(ctx context.Context, key string) (int64, time.Duration, error) {
	f.calls++
	if f.down {
		return 0, 0, errors.New("redis: connection refused")
	}
	return f.inner.Count(ctx, key)
}

// TestFallbackLimiter: while the shared limiter fails, counting goes on in
// process and the shared one is asked again only after the cool-down.
func TestFallbackLimiter(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	primary := &flakyLimiter{down: true, inner: NewMemoryLimiter(clock)}
	f := &fallbackLimiter{primary: primary, local: NewMemoryLimiter(clock), log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: clock}
	ctx := context.Background()
	for want := int64(1); want <= 3; want++ {
		if n, _, err := f.Hit(ctx, "k", time.Minute); err != nil || n != want {
			t.Fatalf("hit %d while the primary is down: %d, %v", want, n, err)
		}
	}
	if primary.calls != 1 {
		t.Fatalf("a down primary was asked %d times within the cool-down, want 1", primary.calls)
	}
	primary.down = false
	now = now.Add(limiterCoolDown + time.Second)
	if n, _, _ := f.Hit(ctx, "k", time.Minute); n != 1 || primary.calls != 2 {
		t.Fatalf("after the cool-down: count %d (want the primary's 1), primary calls %d", n, primary.calls)
	}
}
