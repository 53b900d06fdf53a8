package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/einsatzraum/einsatzraum/geo"
)

// randomLayer makes n features around Hamburg: mostly points, some lines
// and polygons.
func randomLayer(r *rand.Rand, n int) *Layer {
	fs := make([]Feature, n)
	for i := range fs {
		lon, lat := 9.7+r.Float64()*0.6, 53.4+r.Float64()*0.35
		var g orb.Geometry = orb.Point{lon, lat}
		switch i % 10 {
		case 8:
			g = orb.LineString{{lon, lat}, {lon + 0.01, lat + 0.005}, {lon + 0.02, lat}}
		case 9:
			g = orb.Polygon{{{lon, lat}, {lon + 0.01, lat}, {lon + 0.01, lat + 0.01}, {lon, lat + 0.01}, {lon, lat}}}
		}
		fs[i] = Feature{ID: i, Geometry: g, Properties: map[string]any{"n": float64(i)}}
	}
	return NewLayer(Meta{ID: "ly_test", Name: "test", Version: 1}, fs)
}

func TestBBoxAgainstBruteForceAndPaging(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	l := randomLayer(r, 5000)
	for range 100 {
		b := geo.BBox{MinLon: 9.7 + r.Float64()*0.5, MinLat: 53.4 + r.Float64()*0.3}
		b.MaxLon, b.MaxLat = b.MinLon+r.Float64()*0.2, b.MinLat+r.Float64()*0.1
		var want []int
		bd := orb.Bound{Min: orb.Point{b.MinLon, b.MinLat}, Max: orb.Point{b.MaxLon, b.MaxLat}}
		for _, f := range l.features {
			if f.Geometry.Bound().Intersects(bd) {
				want = append(want, f.ID)
			}
		}
		// Page through with a random page size: never a repeat, never a gap.
		var got []int
		after, limit := -1, 1+r.IntN(50)
		for {
			page, total, next := l.InBBox(b, after, limit)
			if total != len(want) {
				t.Fatalf("total %d, want %d", total, len(want))
			}
			for _, f := range page {
				got = append(got, f.ID)
			}
			if next < 0 {
				break
			}
			after = next
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("bbox %+v paged by %d: got %d ids, want %d", b, limit, len(got), len(want))
		}
	}
}

func TestNearbyAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	l := randomLayer(r, 3000)
	for range 100 {
		c := orb.Point{9.7 + r.Float64()*0.6, 53.4 + r.Float64()*0.35}
		radius := 100 + r.Float64()*5000
		type hit struct {
			id int
			d  float64
		}
		var want []hit
		for _, f := range l.features {
			if d := distanceM(c, f.Geometry); d <= radius {
				want = append(want, hit{f.ID, d})
			}
		}
		sort.Slice(want, func(i, j int) bool {
			if want[i].d != want[j].d {
				return want[i].d < want[j].d
			}
			return want[i].id < want[j].id
		})
		got := l.Nearby(c, radius, 0)
		if len(got) != len(want) {
			t.Fatalf("nearby %v r=%.0f: %d hits, want %d", c, radius, len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i].id {
				t.Fatalf("hit %d: %d, want %d", i, got[i].ID, want[i].id)
			}
		}
	}
	// A point inside a polygon is 0 m from it; a point 1 km east of a
	// point feature is 1 km from it.
	sq := NewLayer(Meta{}, []Feature{
		{ID: 0, Geometry: orb.Polygon{{{10, 53}, {10.1, 53}, {10.1, 53.1}, {10, 53.1}, {10, 53}}}},
		{ID: 1, Geometry: orb.Point{10.2, 53.05}},
	})
	hits := sq.Nearby(orb.Point{10.05, 53.05}, 20000, 0)
	if len(hits) != 2 || hits[0].ID != 0 || hits[0].DistanceM != 0 || math.Abs(hits[1].DistanceM-geo.DistanceM(orb.Point{10.05, 53.05}, orb.Point{10.2, 53.05})) > 1e-6 {
		t.Errorf("hits = %+v", hits)
	}
}

// TestTilesDecode renders tiles and decodes them: at a deep zoom every
// point of the tile is there with its properties; empty tiles are nil.
func TestTilesDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	l := randomLayer(r, 2000)
	tile := maptile.At(orb.Point{10.0, 53.55}, 12)
	data, err := l.Tile(uint32(tile.Z), tile.X, tile.Y)
	if err != nil || data == nil {
		t.Fatalf("tile: %v", err)
	}
	layers, err := mvt.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 || layers[0].Name != "ly_test" {
		t.Fatalf("layers = %v", layers)
	}
	layers.ProjectToWGS84(tile)
	b := tile.Bound()
	want := map[float64]bool{}
	for _, f := range l.features {
		if p, ok := f.Geometry.(orb.Point); ok && b.Contains(p) {
			want[f.Properties["n"].(float64)] = true
		}
	}
	got := map[float64]bool{}
	for _, f := range layers[0].Features {
		if p, ok := f.Geometry.(orb.Point); ok {
			n := f.Properties["n"].(float64)
			got[n] = true
			orig := l.features[int(n)].Geometry.(orb.Point)
			if geo.DistanceM(p, orig) > 20 { // one tile pixel at z12 is ~ 23 m / 4096*256
				t.Errorf("feature %v decoded at %v, is at %v", n, p, orig)
			}
		}
	}
	for n := range want {
		if !got[n] {
			t.Errorf("point %v missing from the tile", n)
		}
	}
	if empty, err := l.Tile(12, 0, 0); err != nil || empty != nil {
		t.Errorf("tile far away: %d bytes, %v", len(empty), err)
	}
	if _, err := l.Tile(3, 8, 0); err == nil {
		t.Error("a tile outside the zoom's grid rendered")
	}
	// At zoom 5 the 2000 points are thinned but the tile is not empty.
	low := maptile.At(orb.Point{10.0, 53.55}, 5)
	if data, _ := l.Tile(5, low.X, low.Y); len(data) == 0 {
		t.Error("low-zoom tile empty")
	}
}

// TestEverySchoolInItsZ14Tile: from zoom 14 every point is in its tile,
// points at one address too (64 of Hamburg's 581 schools were once in no
// tile at all); below, the points kept stand for the others by
// point_count, which adds up to every point of the tile.
func TestEverySchoolInItsZ14Tile(t *testing.T) {
	l := NewLayer(Meta{ID: "ly_schools", Version: 1}, readFile(t, "hamburg-schulen-epsg25832.geojson", UTM32N))
	if l.Count != 581 {
		t.Fatalf("%d schools", l.Count)
	}
	decoded := map[maptile.Tile]map[uint64]bool{}
	for _, f := range l.features {
		tile := maptile.At(f.Geometry.(orb.Point), 14)
		if decoded[tile] == nil {
			data, err := l.Tile(uint32(tile.Z), tile.X, tile.Y)
			if err != nil {
				t.Fatal(err)
			}
			layers, err := mvt.Unmarshal(data)
			if err != nil {
				t.Fatal(err)
			}
			ids := map[uint64]bool{}
			for _, tf := range layers[0].Features {
				switch id := tf.ID.(type) {
				case uint64:
					ids[id] = true
				case float64:
					ids[uint64(id)] = true
				}
			}
			decoded[tile] = ids
		}
		if !decoded[tile][uint64(f.ID)] {
			t.Errorf("school %d (%v) is not in its z14 tile %v", f.ID, f.Properties["Name"], tile)
		}
	}
	// Hamburg's centre at z10: the point counts add up to every school in
	// the tile and its buffer.
	tile := maptile.At(orb.Point{10.0, 53.55}, 10)
	data, err := l.Tile(uint32(tile.Z), tile.X, tile.Y)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := mvt.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	sum, within := 0.0, 0
	for _, tf := range layers[0].Features {
		sum += toFloat(tf.Properties["point_count"])
	}
	buffered := tile.Bound(1.0 / 64)
	for _, f := range l.features {
		if buffered.Contains(f.Geometry.(orb.Point)) {
			within++
		}
	}
	if len(layers[0].Features) >= within || int(sum) != within {
		t.Errorf("z10: %d features with point counts adding up to %v; %d schools in the tile", len(layers[0].Features), sum, within)
	}
	if layers[0].Version != 2 {
		t.Errorf("layer version %d, want 2", layers[0].Version)
	}
}

func toFloat(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	case uint64:
		return float64(v)
	}
	return 0
}
