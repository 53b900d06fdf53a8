package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
