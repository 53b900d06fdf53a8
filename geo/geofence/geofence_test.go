package geofence

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// A square cordon of about 200 m around (49.99, 11.55), in Bayreuth's north.
var cordon = orb.Polygon{{{11.5486, 49.9891}, {11.5514, 49.9891}, {11.5514, 49.9909}, {11.5486, 49.9909}, {11.5486, 49.9891}}}

// metresEast returns the longitude x metres east of lon at lat.
func metresEast(lon, lat, x float64) float64 {
	return lon + x/(111_195*math.Cos(lat*math.Pi/180))
}

type step struct {
	east float64 // metres east of the cordon's west edge, at its middle latitude
	want string  // the transition this report must raise, "" none
}

// TestScriptedPath walks an officer in through the west edge, lets the GPS
// jitter around the edge, and out again: exactly two events.
func TestScriptedPath(t *testing.T) {
	ix := New(15)
	ix.Set("room1", []Fence{{ID: "c1", Label: "Absperrung", Trigger: OnBoth, Polygon: cordon}})
	lat, edge := 49.99, 11.5486
	path := []step{
		{-200, ""},     // first sight, far outside: quiet
		{-50, ""},      // walking towards the edge
		{-10, ""},      // in the band, outside
		{5, ""},        // in the band, inside: not yet
		{30, "enter"},  // clearly inside
		{8, ""},        // jitter back to the edge
		{-12, ""},      // just out, in the band
		{9, ""},        // and in again
		{-14, ""},      // still in the band
		{60, ""},       // deep inside
		{-16, "leave"}, // clearly outside
		{-3, ""},       // jitter back
		{-40, ""},
	}
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var got []string
	for i, s := range path {
		at = at.Add(5 * time.Second)
		cs := ix.Check("u1", []string{"room1"}, lat, metresEast(edge, lat, s.east), at, false)
		want := 0
		if s.want != "" {
			want = 1
		}
		if len(cs) != want || (want == 1 && cs[0].Transition != s.want) {
			t.Fatalf("step %d (%.0f m): got %+v, want %q", i, s.east, cs, s.want)
		}
		for _, c := range cs {
			if c.Fence != "c1" || c.Room != "room1" || c.User != "u1" || c.Label != "Absperrung" || !c.At.Equal(at) {
				t.Fatalf("step %d: crossing %+v", i, c)
			}
			got = append(got, c.Transition)
		}
	}
	if fmt.Sprint(got) != "[enter leave]" {
		t.Fatalf("events %v, want exactly [enter leave]", got)
	}
}

func TestCheck(t *testing.T) {
	lat := 49.99
	inside, outside := 11.55, 11.545
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	tick := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }

	t.Run("trigger enter only reports no leave", func(t *testing.T) {
		ix := New(15)
		ix.Set("r", []Fence{{ID: "c", Trigger: OnEnter, Polygon: cordon}})
		ix.Check("u", []string{"r"}, lat, outside, tick(0), false)
		if cs := ix.Check("u", []string{"r"}, lat, inside, tick(1), false); len(cs) != 1 {
			t.Fatalf("enter: %+v", cs)
		}
		if cs := ix.Check("u", []string{"r"}, lat, outside, tick(2), false); len(cs) != 0 {
			t.Fatalf("leave reported to an enter-only fence: %+v", cs)
		}
	})
	t.Run("a fence drawn around a user is observed quietly", func(t *testing.T) {
		ix := New(15)
		ix.Check("u", []string{"r"}, lat, inside, tick(0), false)
		ix.Set("r", []Fence{{ID: "c", Trigger: OnBoth, Polygon: cordon}})
		if cs := ix.Check("u", []string{"r"}, lat, inside+0.0001, tick(1), false); len(cs) != 0 {
			t.Fatalf("new fence raised %+v", cs)
		}
		if cs := ix.Check("u", []string{"r"}, lat, outside, tick(2), false); len(cs) != 1 || cs[0].Transition != Leave {
			t.Fatalf("leave after quiet start: %+v", cs)
		}
	})
	t.Run("another fence of the room changing keeps the state", func(t *testing.T) {
		ix := New(15)
		a := Fence{ID: "a", Trigger: OnBoth, Polygon: cordon}
		ix.Set("r", []Fence{a})
		ix.Check("u", []string{"r"}, lat, outside, tick(0), false)
		ix.Set("r", []Fence{a, {ID: "b", Trigger: OnBoth, Center: orb.Point{11.6, 50}, RadiusM: 100}})
		if cs := ix.Check("u", []string{"r"}, lat, inside, tick(1), false); len(cs) != 1 || cs[0].Fence != "a" {
			t.Fatalf("enter after an unrelated change: %+v", cs)
		}
	})
	t.Run("a user of another room is not checked", func(t *testing.T) {
		ix := New(15)
		ix.Set("r", []Fence{{ID: "c", Trigger: OnBoth, Polygon: cordon}})
		ix.Check("u", []string{"other"}, lat, outside, tick(0), false)
		if cs := ix.Check("u", []string{"other"}, lat, inside, tick(1), false); len(cs) != 0 {
			t.Fatalf("crossing of another room's fence: %+v", cs)
		}
	})
	t.Run("an older point does not cross", func(t *testing.T) {
		ix := New(15)
		ix.Set("r", []Fence{{ID: "c", Trigger: OnBoth, Polygon: cordon}})
		ix.Check("u", []string{"r"}, lat, outside, tick(5), false)
		if cs := ix.Check("u", []string{"r"}, lat, inside, tick(1), false); len(cs) != 0 {
			t.Fatalf("old point crossed: %+v", cs)
		}
	})
	t.Run("quiet checks record without reporting", func(t *testing.T) {
		ix := New(15)
		ix.Set("r", []Fence{{ID: "c", Trigger: OnBoth, Polygon: cordon}})
		ix.Check("u", []string{"r"}, lat, outside, tick(0), false)
		if cs := ix.Check("u", []string{"r"}, lat, inside, tick(1), true); len(cs) != 0 {
			t.Fatalf("quiet check reported %+v", cs)
		}
		if cs := ix.Check("u", []string{"r"}, lat, inside+0.0002, tick(2), false); len(cs) != 0 {
			t.Fatalf("enter reported twice (once by another node): %+v", cs)
		}
	})
	t.Run("a hole is outside", func(t *testing.T) {
		ix := New(5)
		ring := cordon[0]
		hole := orb.Ring{{11.5495, 49.9897}, {11.5505, 49.9897}, {11.5505, 49.9903}, {11.5495, 49.9903}, {11.5495, 49.9897}}
		ix.Set("r", []Fence{{ID: "c", Trigger: OnBoth, Polygon: orb.Polygon{ring, hole}}})
		ix.Check("u", []string{"r"}, 49.99, 11.5489, tick(0), false) // in the ring, outside the hole: quiet first sight
		if cs := ix.Check("u", []string{"r"}, 49.99, 11.55, tick(1), false); len(cs) != 1 || cs[0].Transition != Leave {
			t.Fatalf("into the hole: %+v", cs)
		}
	})
	t.Run("circle", func(t *testing.T) {
		ix := New(10)
		ix.Set("r", []Fence{{ID: "k", Trigger: OnBoth, Center: orb.Point{11.55, 49.99}, RadiusM: 100}})
		ix.Check("u", []string{"r"}, 49.99, metresEast(11.55, 49.99, 200), tick(0), false)
		for i, s := range []step{{95, ""}, {85, "enter"}, {105, ""}, {95, ""}, {115, "leave"}} {
			cs := ix.Check("u", []string{"r"}, 49.99, metresEast(11.55, 49.99, s.east), tick(i+1), false)
			if (s.want == "" && len(cs) != 0) || (s.want != "" && (len(cs) != 1 || cs[0].Transition != s.want)) {
				t.Fatalf("%.0f m from the centre: %+v, want %q", s.east, cs, s.want)
			}
		}
	})
	t.Run("a deleted fence raises nothing", func(t *testing.T) {
		ix := New(15)
		ix.Set("r", []Fence{{ID: "c", Trigger: OnBoth, Polygon: cordon}})
		ix.Check("u", []string{"r"}, lat, outside, tick(0), false)
		ix.Check("u", []string{"r"}, lat, inside, tick(1), false)
		ix.Set("r", nil)
		if cs := ix.Check("u", []string{"r"}, lat, outside, tick(2), false); len(cs) != 0 || ix.Len() != 0 {
			t.Fatalf("crossing of a deleted fence: %+v", cs)
		}
	})
}

// BenchmarkCheck measures geofence checks per second with 5,000 fences
// (one per room: polygons of 12 corners and circles, some 1-2 km across,
// over an area the size of Bavaria) and 25,000 officers, each in one room,
// moving about their room's fence.
func BenchmarkCheck(b *testing.B) {
	const rooms, officers = 5000, 25000
	rng := rand.New(rand.NewPCG(1, 2))
	ix := New(DefaultMargin)
	centres := make([]orb.Point, rooms)
	for r := range rooms {
		c := orb.Point{9 + rng.Float64()*4.8, 47.3 + rng.Float64()*3.2}
		centres[r] = c
		f := Fence{ID: fmt.Sprintf("f%d", r), Trigger: OnBoth}
		if r%3 == 0 {
			f.Center, f.RadiusM = c, 300+rng.Float64()*700
		} else {
			ring := make(orb.Ring, 0, 13)
			for k := range 12 {
				a := float64(k) / 12 * 2 * math.Pi
				d := 0.004 + rng.Float64()*0.006
				ring = append(ring, orb.Point{c[0] + d*math.Cos(a)*1.5, c[1] + d*math.Sin(a)})
			}
			f.Polygon = orb.Polygon{append(ring, ring[0])}
		}
		ix.Set(fmt.Sprintf("room%d", r), []Fence{f})
	}
	users := make([]string, officers)
	userRooms := make([][]string, officers)
	for i := range officers {
		users[i] = fmt.Sprintf("u%d", i)
		userRooms[i] = []string{fmt.Sprintf("room%d", i%rooms)}
	}
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	crossings := 0
	b.ResetTimer()
	for i := range b.N {
		o := i % officers
		c := centres[o%rooms]
		// Each officer walks back and forth through their room's fence.
		phase := float64(i/officers%40) / 40 * 2 * math.Pi
		lon := c[0] + 0.02*math.Sin(phase+float64(o))
		lat := c[1] + 0.003*math.Cos(float64(o))
		crossings += len(ix.Check(users[o], userRooms[o], lat, lon, at.Add(time.Duration(i)*time.Millisecond), false))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
	b.ReportMetric(float64(crossings)/float64(b.N), "crossings/check")
}
