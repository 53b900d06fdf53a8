package geo

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// TrackerConfig sets when positions go stale and when they leave the map.
type TrackerConfig struct {
	StaleAfter  time.Duration    // default 5 minutes
	ExpireAfter time.Duration    // default 1 hour
	Now         func() time.Time // default time.Now
}

// Tracker keeps the latest position of every user and, per room, an R-tree
// of the latest positions of the room's members. A user's position shows
// in every room the caller says they belong to. It is safe for concurrent use.
type Tracker struct {
	cfg TrackerConfig

	mu        sync.RWMutex
	latest    map[string]Position              // user -> latest position
	userRooms map[string]map[string]*roomIndex // user -> rooms where they are indexed
	rooms     map[string]*roomIndex
	onChange  func(room string, p Position, removed bool)
	lastSweep time.Time // stale transitions after it are reported by the next Sweep
}

type roomIndex struct {
	tree rtree.RTreeG[string] // user IDs at their latest [lon, lat]
}

// Entry is a position as the map shows it.
type Entry struct {
	Position
	Stale bool `json:"stale"`
}

// NewTracker returns an empty tracker.
func NewTracker(cfg TrackerConfig) *Tracker {
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 5 * time.Minute
	}
	if cfg.ExpireAfter <= 0 {
		cfg.ExpireAfter = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Tracker{cfg: cfg, latest: map[string]Position{}, userRooms: map[string]map[string]*roomIndex{}, rooms: map[string]*roomIndex{},
		lastSweep: cfg.Now()}
}

// OnChange registers fn, called (under the tracker's lock: it must not call
// back) for every change of a room's map: a new latest position or a
// removal. The hub uses it to coalesce positions frames.
func (t *Tracker) OnChange(fn func(room string, p Position, removed bool)) {
	t.mu.Lock()
	t.onChange = fn
	t.mu.Unlock()
}

func pt(p Position) [2]float64 { return [2]float64{p.Lon, p.Lat} }

// Update records p as the user's latest position, in every room of rooms,
// unless the tracker already holds a newer one (out-of-order points do not
// overwrite). It reports whether p became the latest. Rooms the user was
// indexed in but that are not in rooms are left: use Leave for that.
func (t *Tracker) Update(p Position, rooms []string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, had := t.latest[p.User]
	if had && !p.TS.After(old.TS) {
		return false
	}
	t.latest[p.User] = p
	in := t.roomsOfLocked(p.User)
	for _, room := range rooms {
		if ri, indexed := in[room]; indexed && had {
			ri.tree.Replace(pt(old), pt(old), p.User, pt(p), pt(p), p.User)
			if t.onChange != nil {
				t.onChange(room, p, false)
			}
			continue
		}
		t.indexLocked(in, room, p)
	}
	return true
}

// Join shows the user's latest position (if any) in room.
func (t *Tracker) Join(room, user string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.latest[user]
	if !ok {
		return
	}
	in := t.roomsOfLocked(user)
	if _, indexed := in[room]; indexed {
		return
	}
	t.indexLocked(in, room, p)
}

// roomsOfLocked returns the rooms where user is indexed, creating the
// empty set; the caller holds the lock.
func (t *Tracker) roomsOfLocked(user string) map[string]*roomIndex {
	in := t.userRooms[user]
	if in == nil {
		in = map[string]*roomIndex{}
		t.userRooms[user] = in
	}
	return in
}

// indexLocked indexes p in room and records it in in, the user's rooms;
// the caller holds the lock.
func (t *Tracker) indexLocked(in map[string]*roomIndex, room string, p Position) {
	ri := t.rooms[room]
	if ri == nil {
		ri = &roomIndex{}
		t.rooms[room] = ri
	}
	ri.tree.Insert(pt(p), pt(p), p.User)
	in[room] = ri
	if t.onChange != nil {
		t.onChange(room, p, false)
	}
}

// Leave removes the user's position from room at once.
func (t *Tracker) Leave(room, user string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.removeLocked(room, user)
}

func (t *Tracker) removeLocked(room, user string) {
	in := t.userRooms[user]
	ri, indexed := in[room]
	if !indexed {
		return
	}
	p := t.latest[user]
	ri.tree.Delete(pt(p), pt(p), user)
	if ri.tree.Len() == 0 {
		delete(t.rooms, room)
	}
	delete(in, room)
	if t.onChange != nil {
		t.onChange(room, p, true)
	}
}

// Rooms returns the rooms where the user's position is shown.
func (t *Tracker) Rooms(user string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]string, 0, len(t.userRooms[user]))
	for r := range t.userRooms[user] {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Sweep removes positions older than the expiry from every room and
// returns how many users it removed. Positions that turned stale since the
// previous Sweep are reported to OnChange once more (not removed), so that
// the live map shows them stale at once. Call it often (every second): it
// looks at every user's latest position.
func (t *Tracker) Sweep() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.cfg.Now()
	cutoff := now.Add(-t.cfg.ExpireAfter)
	n := 0
	for user, p := range t.latest {
		if !p.TS.Before(cutoff) {
			continue
		}
		t.forgetLocked(user)
		n++
	}
	if t.onChange != nil {
		for user, p := range t.latest {
			at := p.TS.Add(t.cfg.StaleAfter)
			if p.StaleAt != nil && p.StaleAt.Before(at) {
				at = *p.StaleAt
			}
			if !at.Before(t.lastSweep) && at.Before(now) {
				for room := range t.userRooms[user] {
					t.onChange(room, p, false)
				}
			}
		}
	}
	t.lastSweep = now
	return n
}

// Forget takes the user off every room's map at once (they stopped
// sharing their position) and reports whether they were on one.
func (t *Tracker) Forget(user string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, had := t.latest[user]
	t.forgetLocked(user)
	return had
}

func (t *Tracker) forgetLocked(user string) {
	for room := range t.userRooms[user] {
		t.removeLocked(room, user)
	}
	delete(t.latest, user)
	delete(t.userRooms, user)
}

// Latest returns the user's latest position.
func (t *Tracker) Latest(user string) (Position, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	p, ok := t.latest[user]
	return p, ok
}

// Filter selects users; nil selects all.
type Filter func(user string) bool

// entryLocked turns the user's latest position into an entry, or reports
// false when it has expired or the filter rejects the user.
func (t *Tracker) entryLocked(user string, now time.Time, keep Filter) (Entry, bool) {
	if keep != nil && !keep(user) {
		return Entry{}, false
	}
	p := t.latest[user]
	age := now.Sub(p.TS)
	if age > t.cfg.ExpireAfter {
		return Entry{}, false
	}
	return Entry{Position: p, Stale: t.staleAt(p, now)}, true
}

// InBBox returns the room's live positions inside b, sorted by user.
func (t *Tracker) InBBox(room string, b BBox, keep Filter) []Entry {
	t.mu.RLock()
	defer t.mu.RUnlock()
	ri := t.rooms[room]
	out := []Entry{}
	if ri == nil {
		return out
	}
	now := t.cfg.Now()
	for _, bd := range b.Bounds() {
		ri.tree.Search(bd.Min, bd.Max, func(_, _ [2]float64, user string) bool {
			if e, ok := t.entryLocked(user, now, keep); ok {
				out = append(out, e)
			}
			return true
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out
}

// All returns every live position of the room, sorted by user.
func (t *Tracker) All(room string, keep Filter) []Entry {
	return t.InBBox(room, BBox{-180, -90, 180, 90}, keep)
}

// RoomExtent is the smallest box of the room's live positions ("show all
// forces"), with their count; ok is false when there are none.
func (t *Tracker) RoomExtent(room string, keep Filter) (b BBox, count int, ok bool) {
	entries := t.All(room, keep)
	pts := make([]orb.Point, len(entries))
	for i, e := range entries {
		pts[i] = orb.Point{e.Lon, e.Lat}
	}
	b, ok = Extent(pts)
	return b, len(pts), ok
}

// Hit is an entry with its distance from a query point.
type Hit struct {
	Entry
	DistanceM float64 `json:"distance_m"`
}

// Nearby returns the room's live positions within radiusM metres
// (great-circle) of center, nearest first, at most limit (0: all).
func (t *Tracker) Nearby(room string, center orb.Point, radiusM float64, limit int, keep Filter) []Hit {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := []Hit{}
	ri := t.rooms[room]
	if ri == nil || radiusM < 0 || math.IsNaN(radiusM) {
		return out
	}
	now := t.cfg.Now()
	seen := map[string]bool{}
	for _, bd := range CircleBounds(center, radiusM) {
		ri.tree.Search(bd.Min, bd.Max, func(_, _ [2]float64, user string) bool {
			if seen[user] {
				return true
			}
			seen[user] = true
			e, ok := t.entryLocked(user, now, keep)
			if !ok {
				return true
			}
			if d := DistanceM(center, orb.Point{e.Lon, e.Lat}); d <= radiusM {
				out = append(out, Hit{Entry: e, DistanceM: d})
			}
			return true
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DistanceM != out[j].DistanceM {
			return out[i].DistanceM < out[j].DistanceM
		}
		return out[i].User < out[j].User
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Stale reports whether p is stale now: older than StaleAfter, or past
// the stale time its reporter gave.
func (t *Tracker) Stale(p Position) bool { return t.staleAt(p, t.cfg.Now()) }

func (t *Tracker) staleAt(p Position, now time.Time) bool {
	return now.Sub(p.TS) > t.cfg.StaleAfter || (p.StaleAt != nil && now.After(*p.StaleAt))
}
