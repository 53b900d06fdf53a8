package layers

import (
	"math"
	"slices"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// The points of a layer are kept a second time for tiles, sorted along a
// Z-order (Morton) curve of their Web Mercator position: the points of one
// tile are then one contiguous run of that array, found by binary search,
// and read in memory order. An R-tree search for a tile of a dense layer
// visits hundreds of nodes scattered over the heap; this reads a few runs.

// pointKeyZoom is the zoom of the grid the Morton keys are made on: every
// tile down to this zoom is a contiguous run of keys (MaxZoom is deeper
// than any zoom served).
const pointKeyZoom = 24

// borderZoomStep: a tile's buffer is looked up in cells 2^borderZoomStep
// times smaller than the tile, so that the ring around it reads only a
// little more than the buffer itself (1/16 of a tile against 1/64).
const borderZoomStep = 4

// pointIndex is a layer's points in Morton order.
type pointIndex struct {
	keys []uint64       // ascending Morton keys at pointKeyZoom
	pts  []indexedPoint // the points, in the order of keys
}

// order returns the feature IDs of the points in index order.
func (ix *pointIndex) order() []int32 {
	out := make([]int32, len(ix.pts))
	for i, p := range ix.pts {
		out[i] = p.id
	}
	return out
}

// indexedPoint is one point: its Web Mercator position at zoom 0 (both in
// [0, 1], as maptile.Fraction at zoom 0, so that at zoom z the fraction is
// this times 2^z, exactly) and its feature ID.
type indexedPoint struct {
	x, y float64
	id   int32
}

// pointHit is a point of a tile: its feature ID, its slot in the layer's
// pointTags and its position in tile units (the buffer included:
// -64..4160).
type pointHit struct {
	id, slot int32
	x, y     int32
}

// newPointIndex indexes the point features among features (others are
// left out). The points' slots in it are their positions in ix.pts.
func newPointIndex(features []Feature) pointIndex {
	type keyed struct {
		key uint64
		pt  indexedPoint
	}
	var all []keyed
	for i, f := range features {
		p, ok := f.Geometry.(orb.Point)
		if !ok {
			continue
		}
		frac := maptile.Fraction(p, 0)
		all = append(all, keyed{mortonKey(frac[0], frac[1]), indexedPoint{frac[0], frac[1], int32(i)}})
	}
	slices.SortFunc(all, func(a, b keyed) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		return int(a.pt.id - b.pt.id)
	})
	ix := pointIndex{keys: make([]uint64, len(all)), pts: make([]indexedPoint, len(all))}
	for i, k := range all {
		ix.keys[i], ix.pts[i] = k.key, k.pt
	}
	return ix
}

// mortonKey is the Morton key at pointKeyZoom of a position at zoom 0
// (clamped to the world: a longitude of 180 belongs to the last column).
func mortonKey(fx, fy float64) uint64 {
	const cells = 1 << pointKeyZoom
	cell := func(f float64) uint64 {
		return uint64(min(max(math.Floor(f*cells), 0), cells-1))
	}
	return interleave(cell(fx)) | interleave(cell(fy))<<1
}

// interleave spreads the low 32 bits of v to the even bits of the result.
func interleave(v uint64) uint64 {
	v &= 0xffffffff
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff
	v = (v | v<<4) & 0x0f0f0f0f0f0f0f0f
	v = (v | v<<2) & 0x3333333333333333
	v = (v | v<<1) & 0x5555555555555555
	return v
}

// inTile appends to hits the points in tile z/x/y with its buffer
// (tileBuffer units on every side), in Morton order.
func (ix *pointIndex) inTile(hits []pointHit, z, x, y uint32) []pointHit {
	scale := float64(uint64(1) << z)
	lo, hi := -float64(tileBuffer), float64(tileExtent+tileBuffer)
	take := func(from, to uint64) { // the points with keys in [from, to)
		i := sort.Search(len(ix.keys), func(i int) bool { return ix.keys[i] >= from })
		for ; i < len(ix.keys) && ix.keys[i] < to; i++ {
			p := &ix.pts[i]
			tx, ty := (p.x*scale-float64(x))*tileExtent, (p.y*scale-float64(y))*tileExtent
			if tx >= lo && tx <= hi && ty >= lo && ty <= hi {
				hits = append(hits, pointHit{p.id, int32(i), int32(math.Floor(tx)), int32(math.Floor(ty))})
			}
		}
	}
	cellRange := func(zoom uint32, cx, cy uint64) (uint64, uint64) {
		shift := 2 * (pointKeyZoom - zoom)
		m := interleave(cx) | interleave(cy)<<1
		return m << shift, (m + 1) << shift
	}
	// The tile itself: one run.
	take(cellRange(z, uint64(x), uint64(y)))
	// The ring of finer cells around it that holds the buffer.
	bz := min(z+borderZoomStep, pointKeyZoom)
	n := int64(1) << (bz - z) // cells per tile side at bz
	cx0, cy0 := int64(x)*n, int64(y)*n
	last := int64(1)<<bz - 1
	for cy := cy0 - 1; cy <= cy0+n; cy++ {
		for cx := cx0 - 1; cx <= cx0+n; cx++ {
			inside := cx >= cx0 && cx < cx0+n && cy >= cy0 && cy < cy0+n
			if inside || cx < 0 || cy < 0 || cx > last || cy > last {
				continue
			}
			take(cellRange(bz, uint64(cx), uint64(cy)))
		}
	}
	return hits
}
