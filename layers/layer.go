package layers

import (
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/tidwall/rtree"

	"github.com/einsatzraum/einsatzraum/geo"
	"github.com/einsatzraum/einsatzraum/geo/geocode"
)

// Meta describes a layer without its features.
type Meta struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Version   int64      `json:"version"`
	Count     int        `json:"count"`
	BBox      [4]float64 `json:"bbox"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Layer is an immutable, indexed version of a data layer: safe for
// concurrent readers. A re-import builds a new Layer and swaps it in.
type Layer struct {
	Meta
	features []Feature
	tree     rtree.RTreeG[int32] // feature index by bounding box
	tiles    tileCache

	namesOnce sync.Once
	names     *geocode.Index // see Names

	// What tiles of points read: which features are points, the points
	// in Morton order (a layer of points only) and their properties as
	// tiles write them.
	isPoint   []bool
	allPoints bool
	points    pointIndex
	tags      pointTags
}

// NewLayer indexes features (IDs must be 0..n-1 in order) under meta;
// Count and BBox are computed.
func NewLayer(meta Meta, features []Feature) *Layer {
	l := &Layer{Meta: meta, features: features, isPoint: make([]bool, len(features))}
	var b orb.Bound
	for i, f := range features {
		_, l.isPoint[i] = f.Geometry.(orb.Point)
		fb := f.Geometry.Bound()
		l.tree.Insert(fb.Min, fb.Max, int32(i))
		if i == 0 {
			b = fb
		} else {
			b = b.Union(fb)
		}
	}
	l.allPoints = !slices.Contains(l.isPoint, false)
	if l.allPoints {
		l.points = newPointIndex(features)
		l.tags = newPointTags(features, l.points.order(), l.isPoint)
	} else { // tiles of points come from the R-tree: slot = feature ID
		order := make([]int32, len(features))
		for i := range order {
			order[i] = int32(i)
		}
		l.tags = newPointTags(features, order, l.isPoint)
	}
	l.Count = len(features)
	if len(features) > 0 {
		l.BBox = [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	}
	return l
}

// Features returns every feature, in ID order. Callers must not modify them.
func (l *Layer) Features() []Feature { return l.features }

// Feature returns one feature by ID.
func (l *Layer) Feature(id int) (Feature, bool) {
	if id < 0 || id >= len(l.features) {
		return Feature{}, false
	}
	return l.features[id], true
}

// InBBox returns the features whose geometry intersects b (their bounding
// boxes, for lines and polygons), in ID order, with ID > after, at most
// limit; next is the cursor of the following page, -1 when there is none.
func (l *Layer) InBBox(b geo.BBox, after, limit int) (page []Feature, total int, next int) {
	ids := l.search(b)
	total = len(ids)
	start := sort.SearchInts(ids, after+1)
	ids = ids[start:]
	next = -1
	if len(ids) > limit {
		ids = ids[:limit]
		next = ids[len(ids)-1]
	}
	page = make([]Feature, len(ids))
	for i, id := range ids {
		page[i] = l.features[id]
	}
	return page, total, next
}

// search returns the sorted IDs of the features in b.
func (l *Layer) search(b geo.BBox) []int {
	var ids []int
	seen := map[int32]bool{}
	bounds := b.Bounds()
	for _, bd := range bounds {
		l.tree.Search(bd.Min, bd.Max, func(_, _ [2]float64, id int32) bool {
			if len(bounds) == 1 || !seen[id] {
				seen[id] = len(bounds) > 1
				ids = append(ids, int(id))
			}
			return true
		})
	}
	sort.Ints(ids)
	return ids
}

// Hit is a feature with its distance from a query point.
type Hit struct {
	Feature
	DistanceM float64
}

// Nearby returns the features within radiusM metres of center, nearest
// first, at most limit. The distance to a point is the great-circle
// distance; to a line or polygon it is the distance to its nearest edge in
// a local equirectangular projection around center (0 inside a polygon),
// exact to well under a metre at the radii of a city.
func (l *Layer) Nearby(center orb.Point, radiusM float64, limit int) []Hit {
	var hits []Hit
	bounds := geo.CircleBounds(center, radiusM)
	var seen map[int32]bool // only needed when two boxes may overlap
	if len(bounds) > 1 {
		seen = map[int32]bool{}
	}
	for _, bd := range bounds {
		l.tree.Search(bd.Min, bd.Max, func(_, _ [2]float64, id int32) bool {
			if seen != nil {
				if seen[id] {
					return true
				}
				seen[id] = true
			}
			f := l.features[id]
			if d := distanceM(center, f.Geometry); d <= radiusM {
				hits = append(hits, Hit{Feature: f, DistanceM: d})
			}
			return true
		})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].DistanceM != hits[j].DistanceM {
			return hits[i].DistanceM < hits[j].DistanceM
		}
		return hits[i].ID < hits[j].ID
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

func distanceM(c orb.Point, g orb.Geometry) float64 {
	if p, ok := g.(orb.Point); ok {
		return geo.DistanceM(c, p)
	}
	if mp, ok := g.(orb.MultiPoint); ok {
		best := math.Inf(1)
		for _, p := range mp {
			best = math.Min(best, geo.DistanceM(c, p))
		}
		return best
	}
	switch g := g.(type) {
	case orb.Polygon:
		if planar.PolygonContains(g, c) {
			return 0
		}
	case orb.MultiPolygon:
		if planar.MultiPolygonContains(g, c) {
			return 0
		}
	}
	// Local projection: metres east and north of c.
	kx := math.Cos(c[1]*math.Pi/180) * math.Pi / 180 * geo.EarthRadiusM
	ky := math.Pi / 180 * geo.EarthRadiusM
	local := func(p orb.Point) orb.Point { return orb.Point{(p[0] - c[0]) * kx, (p[1] - c[1]) * ky} }
	best := math.Inf(1)
	eachSegment(g, func(a, b orb.Point) {
		best = math.Min(best, pointSegment(local(a), local(b)))
	})
	return best
}

// pointSegment is the distance from the origin to segment ab.
func pointSegment(a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, -(a[0]*dx+a[1]*dy)/l2))
	}
	return math.Hypot(a[0]+t*dx, a[1]+t*dy)
}

// eachSegment calls fn with every edge of a line or polygon.
func eachSegment(g orb.Geometry, fn func(a, b orb.Point)) {
	if _, ok := g.(orb.MultiPoint); ok {
		return
	}
	eachRing(g, func(ps []orb.Point) {
		for i := 1; i < len(ps); i++ {
			fn(ps[i-1], ps[i])
		}
	})
}
