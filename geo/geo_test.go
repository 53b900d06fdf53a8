package geo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b orb.Point
		want float64 // metres
		tol  float64
	}{
		{orb.Point{9.9937, 53.5511}, orb.Point{13.4050, 52.5200}, 255_500, 1500}, // Hamburg - Berlin
		{orb.Point{179.9, 0}, orb.Point{-179.9, 0}, 22_239, 10},                  // across the antimeridian
		{orb.Point{0, 89.9}, orb.Point{180, 89.9}, 22_239, 10},                   // over the pole
		{orb.Point{0, 0}, orb.Point{180, 0}, math.Pi * EarthRadiusM, 1},          // antipodes
		{orb.Point{10, 50}, orb.Point{10, 50}, 0, 0},
	}
	for _, tc := range tests {
		if got := DistanceM(tc.a, tc.b); math.Abs(got-tc.want) > tc.tol {
			t.Errorf("DistanceM(%v, %v) = %.0f, want %.0f ± %.0f", tc.a, tc.b, got, tc.want, tc.tol)
		}
	}
}

func TestValidatePosition(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	ok := Position{User: "u", Lat: 53.5, Lon: 10, AccuracyM: 5, Heading: f(359.9), SpeedMps: f(3), TS: t0}
	tests := []struct {
		name string
		edit func(p *Position)
		code string
	}{
		{"ok", func(p *Position) {}, ""},
		{"NaN lat", func(p *Position) { p.Lat = math.NaN() }, "invalid_lat"},
		{"lon range", func(p *Position) { p.Lon = 180.01 }, "invalid_lon"},
		{"negative accuracy", func(p *Position) { p.AccuracyM = -1 }, "invalid_accuracy_m"},
		{"Inf accuracy", func(p *Position) { p.AccuracyM = math.Inf(1) }, "invalid_accuracy_m"},
		{"heading 360", func(p *Position) { p.Heading = f(360) }, "invalid_heading"},
		{"speed", func(p *Position) { p.SpeedMps = f(1000) }, "invalid_speed_mps"},
		{"no ts", func(p *Position) { p.TS = time.Time{} }, "missing_ts"},
		{"future", func(p *Position) { p.TS = t0.Add(time.Minute) }, "ts_in_future"},
		{"small skew", func(p *Position) { p.TS = t0.Add(20 * time.Second) }, ""},
		{"too old", func(p *Position) { p.TS = t0.Add(-48 * time.Hour) }, "ts_too_old"},
	}
	for _, tc := range tests {
		p := ok
		tc.edit(&p)
		err := p.Validate(t0, 30*time.Second, 24*time.Hour)
		code := ""
		if err != nil {
			code = err.(*InputError).Code
		}
		if code != tc.code {
			t.Errorf("%s: %q, want %q", tc.name, code, tc.code)
		}
	}
}

// randomTracker fills a tracker with n users in one room, spread over the
// whole globe or near the antimeridian and the poles.
func randomTracker(r *rand.Rand, n int) (*Tracker, []Position) {
	tr := NewTracker(TrackerConfig{Now: func() time.Time { return t0 }})
	var ps []Position
	for i := range n {
		var lat, lon float64
		switch i % 4 {
		case 0: // anywhere
			lat, lon = r.Float64()*180-90, r.Float64()*360-180
		case 1: // near the antimeridian
			lat, lon = r.Float64()*20-10, 180-r.Float64()*2
		case 2:
			lat, lon = r.Float64()*20-10, -180+r.Float64()*2
		case 3: // near a pole
			lat, lon = 88+r.Float64()*2, r.Float64()*360-180
		}
		p := Position{User: fmt.Sprintf("u%04d", i), Lat: lat, Lon: lon, TS: t0}
		tr.Update(p, []string{"room"})
		ps = append(ps, p)
	}
	return tr, ps
}

func TestTrackerAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tr, ps := randomTracker(r, 2000)
	for q := range 300 {
		// bbox, some crossing the antimeridian
		b := BBox{MinLon: r.Float64()*360 - 180, MaxLon: r.Float64()*360 - 180, MinLat: r.Float64()*180 - 90}
		b.MaxLat = b.MinLat + r.Float64()*(90-b.MinLat)
		var want []string
		for _, p := range ps {
			if b.Contains(orb.Point{p.Lon, p.Lat}) {
				want = append(want, p.User)
			}
		}
		var got []string
		for _, e := range tr.InBBox("room", b, nil) {
			got = append(got, e.User)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("bbox %+v: got %d users, want %d", b, len(got), len(want))
		}

		// nearby, any radius, centres anywhere (poles and antimeridian included)
		center := orb.Point{r.Float64()*360 - 180, r.Float64()*180 - 90}
		if q%3 == 0 {
			center = orb.Point{179.5, r.Float64()*10 - 5}
		}
		if q%5 == 0 {
			center = orb.Point{r.Float64()*360 - 180, 89.5}
		}
		radius := math.Pow(10, 3+r.Float64()*4.5) // 1 km .. 30,000 km
		type hit struct {
			u string
			d float64
		}
		var wantHits []hit
		for _, p := range ps {
			if d := DistanceM(center, orb.Point{p.Lon, p.Lat}); d <= radius {
				wantHits = append(wantHits, hit{p.User, d})
			}
		}
		sort.Slice(wantHits, func(i, j int) bool {
			if wantHits[i].d != wantHits[j].d {
				return wantHits[i].d < wantHits[j].d
			}
			return wantHits[i].u < wantHits[j].u
		})
		limit := 10
		if len(wantHits) > limit {
			wantHits = wantHits[:limit]
		}
		got2 := tr.Nearby("room", center, radius, limit, nil)
		if len(got2) != len(wantHits) {
			t.Fatalf("nearby %v r=%.0f: %d hits, want %d", center, radius, len(got2), len(wantHits))
		}
		for i := range got2 {
			if got2[i].User != wantHits[i].u || math.Abs(got2[i].DistanceM-wantHits[i].d) > 1e-6 {
				t.Fatalf("nearby %v r=%.0f hit %d: %s %.1f, want %s %.1f", center, radius, i, got2[i].User, got2[i].DistanceM, wantHits[i].u, wantHits[i].d)
			}
		}
	}
}

func TestExtent(t *testing.T) {
	tests := []struct {
		name string
		pts  []orb.Point
		want BBox
	}{
		{"Hamburg", []orb.Point{{9.9, 53.5}, {10.1, 53.6}, {10.0, 53.4}}, BBox{9.9, 53.4, 10.1, 53.6}},
		{"one point", []orb.Point{{9.9, 53.5}}, BBox{9.9, 53.5, 9.9, 53.5}},
		{"across the antimeridian", []orb.Point{{179.5, -1}, {-179.5, 1}, {178, 0}}, BBox{178, -1, -179.5, 1}},
		{"around the world", []orb.Point{{-170, 0}, {-50, 0}, {70, 0}}, BBox{-170, 0, 70, 0}},
	}
	for _, tc := range tests {
		got, ok := Extent(tc.pts)
		if !ok || got != tc.want {
			t.Errorf("%s: Extent = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if _, ok := Extent(nil); ok {
		t.Error("Extent of nothing is ok")
	}
	// Every point lies in the extent, on random data.
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		var pts []orb.Point
		for range 1 + r.IntN(20) {
			pts = append(pts, orb.Point{r.Float64()*360 - 180, r.Float64()*180 - 90})
		}
		b, _ := Extent(pts)
		for _, p := range pts {
			if !b.Contains(p) {
				t.Fatalf("extent %+v misses %v", b, p)
			}
		}
	}
}

func TestTrackerStaleExpiryOrderAndMembership(t *testing.T) {
	clock := &fakeClock{t: t0}
	tr := NewTracker(TrackerConfig{StaleAfter: 5 * time.Minute, ExpireAfter: time.Hour, Now: clock.Now})
	var changes []string
	tr.OnChange(func(room string, p Position, removed bool) {
		changes = append(changes, fmt.Sprintf("%s/%s/%v", room, p.User, removed))
	})
	a := Position{User: "a", Lat: 53.55, Lon: 9.99, TS: t0}
	if !tr.Update(a, []string{"r1", "r2"}) {
		t.Fatal("first position refused")
	}
	older := a
	older.Lat, older.TS = 10, t0.Add(-time.Second)
	if tr.Update(older, []string{"r1", "r2"}) {
		t.Fatal("an older point overwrote a newer one")
	}
	if p, _ := tr.Latest("a"); p.Lat != 53.55 {
		t.Fatalf("latest = %+v", p)
	}
	for _, room := range []string{"r1", "r2"} {
		if es := tr.All(room, nil); len(es) != 1 || es[0].Stale {
			t.Fatalf("%s: %+v", room, es)
		}
	}
	clock.t = t0.Add(6 * time.Minute)
	if es := tr.All("r1", nil); len(es) != 1 || !es[0].Stale {
		t.Fatalf("after 6 min: %+v, want stale", es)
	}
	tr.Leave("r2", "a")
	if es := tr.All("r2", nil); len(es) != 0 {
		t.Fatalf("after leaving r2: %+v", es)
	}
	tr.Join("r3", "a")
	if _, n, ok := tr.RoomExtent("r3", nil); !ok || n != 1 {
		t.Fatal("join did not show the latest position")
	}
	if es := tr.All("r1", func(u string) bool { return u != "a" }); len(es) != 0 {
		t.Fatal("filter ignored")
	}
	clock.t = t0.Add(61 * time.Minute)
	if es := tr.All("r1", nil); len(es) != 0 {
		t.Fatalf("expired position still shown: %+v", es)
	}
	if n := tr.Sweep(); n != 1 {
		t.Fatalf("Sweep removed %d users, want 1", n)
	}
	if _, ok := tr.Latest("a"); ok {
		t.Fatal("sweep kept the user")
	}
	want := "[r1/a/false r2/a/false r2/a/true r3/a/false r1/a/true r3/a/true]"
	sort.Strings(changes[4:])
	if fmt.Sprint(changes) != want {
		t.Errorf("changes = %v, want %v", changes, want)
	}
}
