package einsatzraum

import (
	"strings"
	"testing"
	"time"
)

// TestTimeOrderedIDsSortByTime: IDs made later sort after those made
// before (to the millisecond), are valid IDs, and do not repeat.
func TestTimeOrderedIDsSortByTime(t *testing.T) {
	at := time.Date(2026, 12, 3, 16, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 2000 {
		// steps of 1 ms to about 9 years: every character of the time changes
		id := NewTimeOrderedID("msg", at.Add(time.Duration(i*i*i*71)*time.Millisecond))
		if !strings.HasPrefix(id, "msg_") || !validID(id) || len(id) != len("msg_")+24 {
			t.Fatalf("id %q: not a valid message ID", id)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		if i > 0 && id <= prev {
			t.Fatalf("id %q (step %d) sorts before %q made earlier", id, i, prev)
		}
		prev = id
	}
	a, b := NewTimeOrderedID("msg", at), NewTimeOrderedID("msg", at)
	if a == b || a[:4+8] != b[:4+8] {
		t.Errorf("two IDs of one millisecond: %q and %q (want a shared time prefix, different random parts)", a, b)
	}
}
