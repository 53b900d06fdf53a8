package layers

import (
	"container/list"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"

	"github.com/einsatzraum/einsatzraum/geo"
)

// MaxZoom is the deepest tile zoom served.
const MaxZoom = 22

// tileExtent is the MVT grid (4096 units for 256 screen pixels).
const tileExtent = 4096

// ThinBelowZoom is the first zoom whose tiles hold every point of a layer.
// Below it, points are thinned: of the points within one cell of 2×2
// screen pixels (32×32 tile units) only the first (in feature order) is
// kept, with the property point_count saying how many points of the tile
// it stands for, so a tile over a million points stays small and a client
// can still show the density. From ThinBelowZoom on, every point is its
// own feature, points at the same spot included (six schools at one
// address are six features).
const ThinBelowZoom = 14

// thinCell is the size, in tile units, of a thinning cell.
const thinCell = 32

// Tile renders the Mapbox Vector Tile z/x/y with one layer named after the
// layer's ID: features clipped to the tile (with a small buffer),
// simplified for the zoom, points thinned (see thinCell). It returns nil
// for an empty tile. Rendered tiles are cached with the layer version.
func (l *Layer) Tile(z, x, y uint32) ([]byte, error) {
	if cached, ok := l.tiles.get(tileKey{z, x, y}); ok {
		return cached, nil
	}
	data, err := l.Render(z, x, y)
	if err != nil {
		return nil, err
	}
	l.tiles.put(tileKey{z, x, y}, data)
	return data, nil
}

// Render renders the tile z/x/y as Tile does, without the cache.
func (l *Layer) Render(z, x, y uint32) ([]byte, error) {
	if z > MaxZoom || x >= 1<<z || y >= 1<<z {
		return nil, fmt.Errorf("tile %d/%d/%d does not exist", z, x, y)
	}
	if l.allPoints {
		hits := l.points.inTile(nil, z, x, y)
		if len(hits) == 0 {
			return nil, nil
		}
		if z < ThinBelowZoom {
			slices.SortFunc(hits, func(a, b pointHit) int { return int(a.id - b.id) })
		}
		return l.renderPoints(z, hits), nil
	}
	tile := maptile.New(x, y, maptile.Zoom(z))
	b := tile.Bound(1.0 / 64) // a buffer of 64 of 4096 units, so lines do not end at tile edges
	var ids []int32
	l.tree.Search(b.Min, b.Max, func(_, _ [2]float64, id int32) bool {
		ids = append(ids, id)
		return true
	})
	if len(ids) == 0 {
		return nil, nil
	}
	// The R-tree answers in no fixed order; features are taken in ID order
	// so that the point kept in a cell is the same on every render.
	slices.Sort(ids)
	if slices.ContainsFunc(ids, func(id int32) bool { return !l.isPoint[id] }) {
		return l.renderFeatures(tile, ids)
	}
	// A mixed layer: a tile of its points only still takes the short way.
	hits := make([]pointHit, len(ids))
	for i, id := range ids {
		frac := maptile.Fraction(l.features[id].Geometry.(orb.Point), maptile.Zoom(z))
		hits[i] = pointHit{id, id, int32(math.Floor((frac[0] - float64(x)) * tileExtent)), int32(math.Floor((frac[1] - float64(y)) * tileExtent))}
	}
	return l.renderPoints(z, hits), nil
}

// Thinning cells of a tile, with the buffer.
const (
	tileBuffer = tileExtent / 64 // in tile units, as the bound's buffer in Render
	tileCells  = (tileExtent+2*tileBuffer)/thinCell + 1
)

// renderPoints writes a tile of points only (encodePointTile), thinned
// below ThinBelowZoom. Below it, hits must be in ID order (the point kept
// in a cell is the first); from it on, the order of hits is the order of
// the tile's features.
func (l *Layer) renderPoints(z uint32, hits []pointHit) []byte {
	thin := z < ThinBelowZoom
	var kept map[int]int // thinning cell -> index in pts
	if thin {
		kept = map[int]int{}
	}
	pts := make([]tilePoint, 0, len(hits))
	for _, h := range hits {
		if thin {
			cx, cy := int((h.x+tileBuffer)/thinCell), int((h.y+tileBuffer)/thinCell)
			if h.x >= -tileBuffer && h.y >= -tileBuffer && cx < tileCells && cy < tileCells {
				cell := cy*tileCells + cx
				if k, ok := kept[cell]; ok {
					pts[k].pointCount++
					continue
				}
				kept[cell] = len(pts)
				pts = append(pts, tilePoint{id: h.id, slot: h.slot, x: h.x, y: h.y, pointCount: 1})
				continue
			}
		}
		pts = append(pts, tilePoint{id: h.id, slot: h.slot, x: h.x, y: h.y})
	}
	return encodePointTile(l.ID, &l.tags, pts)
}

// renderFeatures writes a tile of any geometries through orb's encoder:
// clipped, simplified for the zoom, rings wound for the spec.
func (l *Layer) renderFeatures(tile maptile.Tile, ids []int32) ([]byte, error) {
	z, x, y := uint32(tile.Z), tile.X, tile.Y
	fc := geojson.NewFeatureCollection()
	thin := z < ThinBelowZoom
	const buffer = tileBuffer
	cells := tileCells
	var kept map[int]*geojson.Feature // thinning cell -> the point kept there
	if thin {
		kept = map[int]*geojson.Feature{}
	}
	for _, id := range ids {
		f := l.features[id]
		p, isPoint := f.Geometry.(orb.Point)
		cell := -1
		if thin && isPoint {
			frac := maptile.Fraction(p, maptile.Zoom(z))
			cx := int(((frac[0]-float64(x))*tileExtent + buffer) / thinCell)
			cy := int(((frac[1]-float64(y))*tileExtent + buffer) / thinCell)
			if cx >= 0 && cy >= 0 && cx < cells && cy < cells {
				cell = cy*cells + cx
				if k := kept[cell]; k != nil {
					k.Properties["point_count"] = k.Properties["point_count"].(int) + 1
					continue
				}
			}
		}
		gf := geojson.NewFeature(orb.Clone(f.Geometry))
		gf.ID = f.ID
		gf.Properties = tileProperties(f.Properties)
		if cell >= 0 {
			gf.Properties["point_count"] = 1
			kept[cell] = gf
		}
		fc.Append(gf)
	}
	var data []byte
	if len(fc.Features) > 0 {
		layer := mvt.NewLayer(l.ID, fc)
		layer.Version = 2 // orb's default is 1; what we write is spec 2
		layers := mvt.Layers{layer}
		layers.ProjectToTile(tile)
		layers.Clip(mvt.MapboxGLDefaultExtentBound)
		layers.Simplify(simplify.DouglasPeucker(1.0))
		layers.RemoveEmpty(1.0, 1.0)
		for _, f := range layer.Features {
			f.Geometry = geo.OrientForTile(f.Geometry)
		}
		var err error
		if data, err = mvt.Marshal(layers); err != nil {
			return nil, err
		}
	}
	return data, nil
}

type tileKey struct{ z, x, y uint32 }

// tileCache keeps the most recently rendered tiles of one layer version.
type tileCache struct {
	mu    sync.Mutex
	tiles map[tileKey]*list.Element
	order list.List // front: most recent; values are tileEntry
}

type tileEntry struct {
	key  tileKey
	data []byte
}

// tileCacheSize bounds the cached tiles per layer.
const tileCacheSize = 2048

func (c *tileCache) get(k tileKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.tiles[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(tileEntry).data, true
}

func (c *tileCache) put(k tileKey, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tiles == nil {
		c.tiles = map[tileKey]*list.Element{}
	}
	if _, ok := c.tiles[k]; ok {
		return
	}
	c.tiles[k] = c.order.PushFront(tileEntry{k, data})
	if c.order.Len() > tileCacheSize {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.tiles, last.Value.(tileEntry).key)
	}
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
