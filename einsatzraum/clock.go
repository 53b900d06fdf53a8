package einsatzraum

import "time"

// Clock is the time of the service and the hub: what time it is, and the
// tickers that pace their background work (position flushes, pings, gap
// checks, the track history writer, the sweeper of expired positions,
// retention, cluster sharing). Tests inject a manual clock
// (einsatzraum/clocktest) and move it, so staleness, retention and every
// periodic step run without sleeping. Socket write deadlines are not the
// Clock's: they are the network's wall clock.
type Clock interface {
	Now() time.Time
	// NewTicker returns a ticker that ticks every d (d > 0) and, like
	// time.Ticker, drops ticks a slow receiver misses.
	NewTicker(d time.Duration) Ticker
}

// Ticker is a stoppable source of ticks.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// SystemClock is the wall clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTicker(d time.Duration) Ticker { return systemTicker{time.NewTicker(d)} }

type systemTicker struct{ t *time.Ticker }

func (t systemTicker) C() <-chan time.Time { return t.t.C }
func (t systemTicker) Stop()               { t.t.Stop() }
