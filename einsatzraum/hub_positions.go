package einsatzraum

import (
	"context"
	"sync"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/geo"
)

// PositionItem is one member's latest position in a PositionsFrame.
type PositionItem struct {
	User      string
	Name      string
	Callsign  string
	Lat, Lon  float64
	TS        time.Time
	AccuracyM float64
	Heading   *float64   // degrees clockwise from north; nil: unknown
	SpeedMps  *float64   // nil: unknown
	Stale     bool       // no report for StaleAfter, or past StaleAt
	StaleAt   *time.Time // the reporter's own stale time, if it gave one
}

// positionFanout coalesces position changes per room: between two flushes
// only the latest position of each user is kept, so a room's subscribers
// get at most one positions frame per interval however many reports come.
type positionFanout struct {
	hub   *Hub
	mu    sync.Mutex
	dirty map[string]map[string]positionChange // room -> user -> latest change

}

type positionChange struct {
	p       geo.Position
	removed bool
}

func newPositionFanout(h *Hub) *positionFanout {
	return &positionFanout{hub: h, dirty: map[string]map[string]positionChange{}}
}

// changed is the tracker's OnChange callback; it must be quick.
func (pf *positionFanout) changed(room string, p geo.Position, removed bool) {
	pf.mu.Lock()
	m := pf.dirty[room]
	if m == nil {
		m = map[string]positionChange{}
		pf.dirty[room] = m
	}
	m[p.User] = positionChange{p: p, removed: removed}
	pf.mu.Unlock()
}

// run flushes every interval until ctx ends.
func (pf *positionFanout) run(ctx context.Context, interval time.Duration) {
	t := pf.hub.svc.cfg.Clock.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			pf.flush(ctx)
		}
	}
}

func (pf *positionFanout) flush(ctx context.Context) {
	pf.mu.Lock()
	dirty := pf.dirty
	pf.dirty = make(map[string]map[string]positionChange, len(dirty))
	pf.mu.Unlock()
	for room, changes := range dirty {
		pf.hub.mu.Lock()
		f := pf.hub.feeds[room]
		pf.hub.mu.Unlock()
		if f == nil {
			continue // nobody on this node follows the room
		}
		var ps []geo.Position
		var removed []string
		for user, c := range changes {
			if c.removed {
				removed = append(removed, user)
			} else {
				ps = append(ps, c.p)
			}
		}
		frame := pf.frame(ctx, room, ps, removed)
		for _, s := range f.subscribers() {
			s.client.send(frame)
		}
		pf.hub.metrics.positionFrames.Inc()
	}
}

// snapshot is the frame with every live position of the room, sent to a
// new subscriber.
func (pf *positionFanout) snapshot(ctx context.Context, room string) *PositionsFrame {
	es := pf.hub.svc.tracker.All(room, nil)
	ps := make([]geo.Position, len(es))
	for i, e := range es {
		ps[i] = e.Position
	}
	return pf.frame(ctx, room, ps, nil)
}

func (pf *positionFanout) frame(ctx context.Context, room string, ps []geo.Position, removed []string) *PositionsFrame {
	names := pf.lookup(ctx, ps)
	items := make([]PositionItem, len(ps))
	for i, p := range ps {
		items[i] = PositionItem{User: p.User, Name: names[p.User].Name, Callsign: names[p.User].Callsign, Lat: p.Lat, Lon: p.Lon, TS: p.TS,
			AccuracyM: p.AccuracyM, Heading: p.Heading, SpeedMps: p.SpeedMps, StaleAt: p.StaleAt, Stale: pf.hub.svc.tracker.Stale(p)}
	}
	return &PositionsFrame{Room: room, Items: items, Removed: removed}
}

// lookup returns the names of the positions' users (the service's name
// cache; unknown ones come from the store in one query).
func (pf *positionFanout) lookup(ctx context.Context, ps []geo.Position) map[string]chat.UserRef {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.User
	}
	names, err := pf.hub.svc.userRefs(ctx, ids)
	if err != nil {
		pf.hub.log.Warn("hub: names for positions", "err", err)
		return map[string]chat.UserRef{}
	}
	return names
}
