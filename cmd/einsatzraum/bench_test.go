package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchCommandRuns runs "einsatzraum bench" briefly (a few users, two
// measurements) and checks that it prints its table; the figures
// themselves are for the notes, not for a test.
func TestBenchCommandRuns(t *testing.T) {
	t.Parallel()
	for _, only := range []string{"positions", "floor", "bbox", "posts"} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"bench", "--users", "4", "--conns", "4", "--posters", "4", "--duration", "300ms", "--only", only},
			func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
		if err != nil {
			t.Fatalf("bench --only %s: %v\n%s", only, err, errOut.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "measurement") || !strings.Contains(lines[1], "/s") {
			t.Fatalf("bench --only %s printed:\n%s", only, out.String())
		}
	}
}

// TestUUIDV7 checks the bench's client_ids: UUIDs of version 7 and variant
// 10 that begin with their time in milliseconds, so that one made a
// millisecond later sorts after it, whatever the random bits.
func TestUUIDV7(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	r := rand.New(rand.NewPCG(1, 2))
	at := time.UnixMilli(1_780_000_000_123)
	prev := ""
	for i := range 100 {
		id := uuidV7(at.Add(time.Duration(i)*time.Millisecond), r)
		if !shape.MatchString(id) {
			t.Fatalf("uuidV7 = %q, not a UUIDv7", id)
		}
		ms, err := strconv.ParseInt(strings.ReplaceAll(id, "-", "")[:12], 16, 64)
		if err != nil || ms != at.UnixMilli()+int64(i) {
			t.Errorf("uuidV7 %q begins with %d ms, want %d", id, ms, at.UnixMilli()+int64(i))
		}
		if id <= prev {
			t.Errorf("uuidV7 %q made later sorts before %q", id, prev)
		}
		prev = id
	}
}
