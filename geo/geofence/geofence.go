// Package geofence tells when a moving user crosses the edge of an area:
// polygons (with holes) and circles, grouped by room, checked against each
// position a user reports. It reports each crossing once, with hysteresis:
// a user counts as inside only when at least Margin metres inside the
// edge, and as outside only when at least Margin metres outside it, so
// GPS jitter along the edge does not flap. It knows nothing of drawings,
// stores or events; the caller turns crossings into events.
package geofence

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"github.com/einsatzraum/einsatzraum/geo"
)

// Trigger says which crossings of a fence are reported.
type Trigger uint8

// Triggers.
const (
	OnEnter Trigger = 1 << iota
	OnLeave
	OnBoth = OnEnter | OnLeave
)

// Transitions of a crossing.
const (
	Enter = "enter"
	Leave = "leave"
)

// Fence is one area. A fence is a Polygon (outer ring first, then holes;
// [lon, lat], WGS 84) or, with RadiusM > 0, a circle around Center.
// Fences must not cross the antimeridian.
type Fence struct {
	ID      string
	Room    string
	Label   string
	Trigger Trigger
	Polygon orb.Polygon
	Center  orb.Point
	RadiusM float64
}

// Crossing is one reported crossing of a fence's edge.
type Crossing struct {
	Fence      string
	Room       string
	Label      string
	User       string
	Transition string // Enter or Leave
	Lat, Lon   float64
	At         time.Time
}

// DefaultMargin is the hysteresis band on each side of an edge, in metres:
// about what a phone's GPS wanders when standing still.
const DefaultMargin = 15.0

// Index holds the fences of every room and, per user, which fences they
// are inside. It is safe for concurrent use; reports of one user are
// checked one at a time in the order they arrive, older points than the
// last checked are ignored.
type Index struct {
	margin float64

	mu     sync.RWMutex
	tree   rtree.RTreeG[*fence] // every fence by its bounding box
	byRoom map[string][]*fence
	gen    uint64 // bumped on every Set; a fence remembers the gen it came in

	usersMu sync.Mutex
	users   map[string]*userState
}

type fence struct {
	Fence
	bound orb.Bound
	gen   uint64
}

// state of a user against one fence they are near or inside. A fence
// missing from a user's states means outside.
type state int8

const (
	unknown state = iota // seen only in the band since the fence came in
	inside
)

type userState struct {
	mu      sync.Mutex
	checked uint64    // the index gen at this user's last check
	last    time.Time // the newest point checked
	fences  map[string]state
}

// New returns an empty index with the given hysteresis margin in metres
// (DefaultMargin when <= 0).
func New(margin float64) *Index {
	if margin <= 0 {
		margin = DefaultMargin
	}
	return &Index{margin: margin, byRoom: map[string][]*fence{}, users: map[string]*userState{}}
}

// Set replaces the fences of room with fs (none: the room has no fences).
// A fence that comes in, or changes, is first observed quietly: a user
// already inside a cordon drawn around them does not "enter" it.
func (ix *Index) Set(room string, fs []Fence) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.gen++
	old := map[string]*fence{}
	for _, f := range ix.byRoom[room] {
		ix.tree.Delete(f.bound.Min, f.bound.Max, f)
		old[f.ID] = f
	}
	delete(ix.byRoom, room)
	for _, f := range fs {
		if f.Trigger == 0 || (f.RadiusM <= 0 && len(f.Polygon) == 0) {
			continue
		}
		f.Room = room
		nf := &fence{Fence: f, gen: ix.gen}
		if o := old[f.ID]; o != nil && sameArea(o.Fence, f) {
			nf.gen = o.gen // unchanged: users' states of it stay valid
		}
		if f.RadiusM > 0 {
			bs := geo.CircleBounds(f.Center, f.RadiusM)
			nf.bound = bs[0]
			for _, b := range bs[1:] {
				nf.bound = nf.bound.Union(b)
			}
		} else {
			nf.bound = f.Polygon.Bound()
		}
		ix.tree.Insert(nf.bound.Min, nf.bound.Max, nf)
		ix.byRoom[room] = append(ix.byRoom[room], nf)
	}
}

// Rooms returns the rooms that have fences.
func (ix *Index) Rooms() []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]string, 0, len(ix.byRoom))
	for r := range ix.byRoom {
		out = append(out, r)
	}
	return out
}

// Len returns how many fences the index holds.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.tree.Len()
}

// Check takes a reported position of user, who belongs to rooms, and
// returns the crossings it makes (only those its fence's trigger asks
// for). quiet records where the user is without reporting anything: for
// positions another node accepted and reported already.
func (ix *Index) Check(user string, rooms []string, lat, lon float64, at time.Time, quiet bool) []Crossing {
	ix.usersMu.Lock()
	u := ix.users[user]
	if u == nil {
		u = &userState{fences: map[string]state{}}
		ix.users[user] = u
	}
	ix.usersMu.Unlock()

	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.last.IsZero() && at.Before(u.last) {
		return nil // an older point than one already checked: no crossing from it
	}
	u.last = at

	ix.mu.RLock()
	defer ix.mu.RUnlock()
	p := orb.Point{lon, lat}
	near := ix.near(p, rooms)
	var out []Crossing
	report := func(f *fence, transition string, want Trigger) {
		if !quiet && f.Trigger&want != 0 {
			out = append(out, Crossing{Fence: f.ID, Room: f.Room, Label: f.Label, User: user, Transition: transition, Lat: lat, Lon: lon, At: at})
		}
	}
	for _, f := range near {
		was, known := u.fences[f.ID]
		fresh := f.gen > u.checked // came in (or changed) since this user's last check
		switch d := signedDistance(f, p); {
		case d >= ix.margin: // clearly inside
			if !fresh && !known { // was outside: entered
				report(f, Enter, OnEnter)
			}
			u.fences[f.ID] = inside
		case d <= -ix.margin: // clearly outside
			if known && was == inside && !fresh {
				report(f, Leave, OnLeave)
			}
			delete(u.fences, f.ID)
		default: // in the band: keep what we knew
			if fresh && !known {
				u.fences[f.ID] = unknown
			}
		}
	}
	// Fences the user was inside but is now far from: left (or gone).
	for id, st := range u.fences {
		if slices.ContainsFunc(near, func(f *fence) bool { return f.ID == id }) {
			continue
		}
		delete(u.fences, id)
		if f := ix.fenceByID(id, rooms); f != nil && st == inside && f.gen <= u.checked {
			report(f, Leave, OnLeave)
		}
	}
	u.checked = ix.gen
	return out
}

// Forget drops what the index knows of user (they stopped sharing): their
// next position is observed quietly, as if new.
func (ix *Index) Forget(user string) {
	ix.usersMu.Lock()
	delete(ix.users, user)
	ix.usersMu.Unlock()
}

// near returns the fences of rooms whose bounds, widened by the margin,
// hold p. Called under ix.mu.
func (ix *Index) near(p orb.Point, rooms []string) []*fence {
	dLat := ix.margin / 111_000
	dLon := dLat / math.Max(0.01, math.Cos(p[1]*math.Pi/180))
	var out []*fence
	ix.tree.Search([2]float64{p[0] - dLon, p[1] - dLat}, [2]float64{p[0] + dLon, p[1] + dLat}, func(_, _ [2]float64, f *fence) bool {
		if slices.Contains(rooms, f.Room) {
			out = append(out, f)
		}
		return true
	})
	return out
}

// fenceByID finds a fence of rooms by ID, nil when it is gone. Called
// under ix.mu.
func (ix *Index) fenceByID(id string, rooms []string) *fence {
	for _, r := range rooms {
		for _, f := range ix.byRoom[r] {
			if f.ID == id {
				return f
			}
		}
	}
	return nil
}

// sameArea reports whether a and b cover the same area.
func sameArea(a, b Fence) bool {
	return a.RadiusM == b.RadiusM && a.Center == b.Center && orb.Equal(a.Polygon, b.Polygon)
}

// signedDistance is how far p lies inside f's area in metres: positive
// inside, negative outside.
func signedDistance(f *fence, p orb.Point) float64 {
	if f.RadiusM > 0 {
		return f.RadiusM - geo.DistanceM(f.Center, p)
	}
	// A local flat projection around p (metres east and north of p) is
	// exact enough over the few kilometres a cordon spans.
	kx := geo.EarthRadiusM * math.Pi / 180 * math.Cos(p[1]*math.Pi/180)
	ky := geo.EarthRadiusM * math.Pi / 180
	nearest := math.Inf(1)
	in := false
	for i, ring := range f.Polygon {
		ringIn := false
		for j := range ring {
			a, b := ring[j], ring[(j+1)%len(ring)]
			ax, ay := (a[0]-p[0])*kx, (a[1]-p[1])*ky
			bx, by := (b[0]-p[0])*kx, (b[1]-p[1])*ky
			if (ay > 0) != (by > 0) && ax+(0-ay)*(bx-ax)/(by-ay) > 0 {
				ringIn = !ringIn
			}
			nearest = math.Min(nearest, segmentDistance(ax, ay, bx, by))
		}
		if i == 0 {
			in = ringIn
		} else if ringIn {
			in = false // in a hole
		}
	}
	if in {
		return nearest
	}
	return -nearest
}

// segmentDistance is the distance from the origin to the segment a-b.
func segmentDistance(ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l))
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}
