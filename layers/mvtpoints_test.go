package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// TestPointTilesMatchTheGeneralEncoder: a tile of points written by the
// point encoder decodes to the same features (IDs, positions, properties,
// point_count when thinned) as the general encoder writes, at a thinned
// and at a full zoom.
func TestPointTilesMatchTheGeneralEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	fs := make([]Feature, 3000)
	for i := range fs {
		props := map[string]any{"name": fmt.Sprintf("Schule %d", i), "n": float64(i) / 3, "open": i%2 == 0, "count": i, "none": nil,
			"tags": map[string]any{"kind": "school"}}
		fs[i] = Feature{ID: i, Geometry: orb.Point{9.9 + r.Float64()*0.2, 53.5 + r.Float64()*0.1}, Properties: props}
	}
	l := NewLayer(Meta{ID: "ly_points", Version: 1}, fs)
	// Renders at once share the layer's converted properties safely (-race).
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := maptile.At(orb.Point{10.0, 53.55}, 13)
			if _, err := l.Render(uint32(t0.Z), t0.X, t0.Y); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, z := range []maptile.Zoom{10, 12, 15} {
		tile := maptile.At(orb.Point{10.0, 53.55}, z)
		var ids []int32
		b := tile.Bound(1.0 / 64)
		l.tree.Search(b.Min, b.Max, func(_, _ [2]float64, id int32) bool { ids = append(ids, id); return true })
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		fast, err := l.Render(uint32(z), tile.X, tile.Y) // from the point index
		if err != nil {
			t.Fatal(err)
		}
		general, err := l.renderFeatures(tile, ids)
		if err != nil {
			t.Fatal(err)
		}
		a, b2 := decodeTile(t, fast), decodeTile(t, general)
		if len(a) == 0 || len(a) != len(b2) {
			t.Fatalf("z%d: %d features fast, %d general", z, len(a), len(b2))
		}
		for id, fa := range a {
			if fb := b2[id]; fa != fb {
				t.Fatalf("z%d feature %v:\n fast    %s\n general %s", z, id, fa, fb)
			}
		}
	}
}

// TestPointIndexFindsTheTilesPoints: the points the Morton index returns
// for a tile are exactly those within the tile and its buffer, computed
// point by point, at every zoom, for tiles in a dense area, at its edges,
// and at the edges of the world.
func TestPointIndexFindsTheTilesPoints(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	fs := make([]Feature, 20000)
	for i := range fs {
		p := orb.Point{9.9 + r.Float64()*0.2, 53.5 + r.Float64()*0.1}
		switch i % 10 {
		case 0: // anywhere in the world, poles and the antimeridian included
			p = orb.Point{-180 + r.Float64()*360, -85 + r.Float64()*170}
		case 1: // on a grid, so points fall on tile edges
			p = orb.Point{9.9 + float64(r.IntN(64))/256, 53.5 + float64(r.IntN(32))/512}
		}
		fs[i] = Feature{ID: i, Geometry: p}
	}
	fs[2].Geometry, fs[3].Geometry = orb.Point{180, 0}, orb.Point{-180, 85}
	ix := newPointIndex(fs)
	want := func(z, x, y uint32) map[pointHit]bool {
		out := map[pointHit]bool{}
		for i, f := range fs {
			frac := maptile.Fraction(f.Geometry.(orb.Point), maptile.Zoom(z))
			tx, ty := (frac[0]-float64(x))*tileExtent, (frac[1]-float64(y))*tileExtent
			if tx >= -tileBuffer && tx <= tileExtent+tileBuffer && ty >= -tileBuffer && ty <= tileExtent+tileBuffer {
				out[pointHit{int32(i), -1, int32(math.Floor(tx)), int32(math.Floor(ty))}] = true
			}
		}
		return out
	}
	checked := 0
	for z := uint32(0); z <= MaxZoom; z++ {
		for k := range 12 {
			c := orb.Point{9.9 + r.Float64()*0.2, 53.5 + r.Float64()*0.1}
			if k%4 == 0 {
				c = fs[r.IntN(len(fs))].Geometry.(orb.Point)
			}
			tile := maptile.At(c, maptile.Zoom(z))
			if k == 11 { // the world's corners
				tile = maptile.New(0, 0, maptile.Zoom(z))
				if z%2 == 1 {
					tile = maptile.New(1<<z-1, 1<<z-1, maptile.Zoom(z))
				}
			}
			got := ix.inTile(nil, z, tile.X, tile.Y)
			w := want(z, tile.X, tile.Y)
			if len(got) != len(w) {
				t.Fatalf("tile %d/%d/%d: %d points, want %d", z, tile.X, tile.Y, len(got), len(w))
			}
			for _, h := range got {
				if ix.pts[h.slot].id != h.id {
					t.Fatalf("tile %d/%d/%d: %+v: slot holds feature %d", z, tile.X, tile.Y, h, ix.pts[h.slot].id)
				}
				h.slot = -1
				if !w[h] {
					t.Fatalf("tile %d/%d/%d: %+v is not in it", z, tile.X, tile.Y, h)
				}
			}
			checked += len(got)
		}
	}
	if checked < 20000 {
		t.Fatalf("only %d points checked", checked)
	}
}

// decodeTile reads a tile's features as text by ID: geometry in tile units
// and properties with numbers as float64.
func decodeTile(t *testing.T, data []byte) map[any]string {
	t.Helper()
	ls, err := mvt.Unmarshal(data)
	if err != nil || len(ls) != 1 || ls[0].Version != 2 || ls[0].Extent != 4096 {
		t.Fatalf("decode: %v %+v", err, ls)
	}
	out := map[any]string{}
	for _, f := range ls[0].Features {
		keys := make([]string, 0, len(f.Properties))
		for k := range f.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		s := fmt.Sprint(f.Geometry)
		for _, k := range keys {
			v := f.Properties[k]
			switch n := v.(type) {
			case int64:
				v = float64(n)
			case uint64:
				v = float64(n)
			case float32:
				v = float64(n)
			}
			s += fmt.Sprintf(" %s=%v", k, v)
		}
		out[f.ID] = s
	}
	return out
}
