// Package clocktest is a manual einsatzraum.Clock for tests: time stands
// still until the test moves it, and tickers tick as it passes.
package clocktest

import (
	"sync"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// Manual is a clock that only Advance and Set move. It is safe for
// concurrent use.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	tickers map[*ticker]struct{}
}

// New returns a manual clock at start.
func New(start time.Time) *Manual {
	return &Manual{now: start, tickers: map[*ticker]struct{}{}}
}

// Now implements einsatzraum.Clock.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// NewTicker implements einsatzraum.Clock. Its first tick is d after the
// clock's time now.
func (m *Manual) NewTicker(d time.Duration) einsatzraum.Ticker {
	if d <= 0 {
		panic("clocktest: non-positive ticker interval")
	}
	m.mu.Lock()
	t := &ticker{clock: m, period: d, next: m.now.Add(d), c: make(chan time.Time, 1)}
	m.tickers[t] = struct{}{}
	m.mu.Unlock()
	return t
}

// Advance moves the clock by d. Every ticker due in that span ticks once
// (a receiver that is behind misses ticks, as with time.Ticker).
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	now := m.now
	var due []*ticker
	for t := range m.tickers {
		if !t.next.After(now) {
			due = append(due, t)
			for !t.next.After(now) {
				t.next = t.next.Add(t.period)
			}
		}
	}
	m.mu.Unlock()
	for _, t := range due {
		select {
		case t.c <- now:
		default:
		}
	}
}

type ticker struct {
	clock  *Manual
	period time.Duration
	next   time.Time
	c      chan time.Time
}

func (t *ticker) C() <-chan time.Time { return t.c }

func (t *ticker) Stop() {
	t.clock.mu.Lock()
	delete(t.clock.tickers, t)
	t.clock.mu.Unlock()
}

// Shifted is the wall clock moved by an offset that Advance grows: time
// runs, tickers tick in real time, and a test jumps days ahead (end-to-end
// tests of retention and token expiry, where the server's own periodic
// work must go on).
type Shifted struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now implements einsatzraum.Clock.
func (s *Shifted) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.offset)
}

// NewTicker implements einsatzraum.Clock with a real ticker.
func (s *Shifted) NewTicker(d time.Duration) einsatzraum.Ticker {
	return einsatzraum.SystemClock().NewTicker(d)
}

// Advance moves the clock ahead by d.
func (s *Shifted) Advance(d time.Duration) {
	s.mu.Lock()
	s.offset += d
	s.mu.Unlock()
}
