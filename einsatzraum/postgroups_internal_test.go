package einsatzraum

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// TestPublishTurnsKeepTheirOrder: groups that took their turns in one
// order publish in that order, however their transactions end; a group
// without a turn neither waits nor holds anyone up.
func TestPublishTurnsKeepTheirOrder(t *testing.T) {
	var order publishOrder
	const groups = 6
	turns := make([]publishTurn, groups)
	for i := range turns {
		turns[i].take(&order)
		turns[i].take(&order) // a transaction run again keeps its turn
	}
	var (
		mu        sync.Mutex
		published []int
		wg        sync.WaitGroup
	)
	for i := range turns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Later turns end their transactions first.
			time.Sleep(time.Duration(groups-i) * 5 * time.Millisecond)
			turns[i].wait()
			mu.Lock()
			published = append(published, i)
			mu.Unlock()
			turns[i].done()
		}()
	}
	var none publishTurn
	none.wait() // would block if it waited for the turns above
	none.done()
	wg.Wait()
	if want := []int{0, 1, 2, 3, 4, 5}; !slices.Equal(published, want) {
		t.Fatalf("published in order %v, want %v", published, want)
	}
	// The next turn goes at once: the last one is done.
	var next publishTurn
	next.take(&order)
	next.wait()
	next.done()
}
