package layers

import (
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"

	"github.com/einsatzraum/einsatzraum/geo"
)

// MaxZoom is the deepest tile zoom served.
const MaxZoom = 22

// tileExtent is the MVT grid; points are thinned to one per cell of
// tileExtent/thinning so a low-zoom tile over a million points stays small.
const (
	tileExtent = 4096
	thinning   = 4
)

// Tile renders the Mapbox Vector Tile z/x/y with one layer named after the
// layer's ID: features clipped to the tile (with a small buffer),
// simplified for the zoom, points thinned to one per 4×4 pixels. It
// returns nil for an empty tile.
func (l *Layer) Tile(z, x, y uint32) ([]byte, error) {
	if z > MaxZoom || x >= 1<<z || y >= 1<<z {
		return nil, fmt.Errorf("tile %d/%d/%d does not exist", z, x, y)
	}
	tile := maptile.New(x, y, maptile.Zoom(z))
	b := tile.Bound(1.0 / 64) // a buffer of 64 of 4096 units, so lines do not end at tile edges
	fc := geojson.NewFeatureCollection()
	occupied := map[[2]uint16]bool{}
	for _, id := range l.search(geo.BBox{MinLon: b.Min[0], MinLat: b.Min[1], MaxLon: b.Max[0], MaxLat: b.Max[1]}) {
		f := l.features[id]
		if p, ok := f.Geometry.(orb.Point); ok {
			frac := maptile.Fraction(p, maptile.Zoom(z))
			cell := [2]uint16{uint16((frac[0] - float64(x)) * tileExtent / thinning), uint16((frac[1] - float64(y)) * tileExtent / thinning)}
			if occupied[cell] {
				continue
			}
			occupied[cell] = true
		}
		gf := geojson.NewFeature(orb.Clone(f.Geometry))
		gf.ID = f.ID
		gf.Properties = tileProperties(f.Properties)
		fc.Append(gf)
	}
	if len(fc.Features) == 0 {
		return nil, nil
	}
	layers := mvt.Layers{mvt.NewLayer(l.ID, fc)}
	layers.ProjectToTile(tile)
	layers.Clip(mvt.MapboxGLDefaultExtentBound)
	layers.Simplify(simplify.DouglasPeucker(1.0))
	layers.RemoveEmpty(1.0, 1.0)
	return mvt.Marshal(layers)
}

// tileProperties keeps the values a vector tile can hold (strings, numbers,
// booleans) and writes others (lists, objects) as JSON text.
func tileProperties(props map[string]any) geojson.Properties {
	out := make(geojson.Properties, len(props))
	for k, v := range props {
		switch v.(type) {
		case string, float64, bool, int, int64:
			out[k] = v
		case nil:
		default:
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}
