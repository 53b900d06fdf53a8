package einsatzraum_test

import (
	"context"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

func TestMemoryLimiterWindows(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	l := einsatzraum.NewMemoryLimiter(func() time.Time { return now })
	ctx := context.Background()
	for want := int64(1); want <= 3; want++ {
		n, reset, _ := l.Hit(ctx, "k", time.Minute)
		if n != want || reset != time.Minute {
			t.Fatalf("hit %d: count %d, reset %v", want, n, reset)
		}
	}
	now = now.Add(59 * time.Second)
	if n, reset, _ := l.Count(ctx, "k"); n != 3 || reset != time.Second {
		t.Fatalf("Count = %d, %v; want 3, 1s", n, reset)
	}
	if n, _, _ := l.Hit(ctx, "other", time.Minute); n != 1 {
		t.Fatalf("another key counts %d", n)
	}
	now = now.Add(time.Second) // the window ends: counting starts again
	if n, _, _ := l.Count(ctx, "k"); n != 0 {
		t.Fatalf("Count after the window = %d", n)
	}
	if n, _, _ := l.Hit(ctx, "k", time.Minute); n != 1 {
		t.Fatalf("first hit of a new window counts %d", n)
	}
}
