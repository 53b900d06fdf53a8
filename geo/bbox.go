package geo

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// BBox is a query box minLon,minLat,maxLon,maxLat. When MinLon > MaxLon it
// crosses the antimeridian (RFC 7946, section 5.2).
type BBox struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

// ParseBBox parses "minLon,minLat,maxLon,maxLat". The error is an
// *InputError with code invalid_bbox.
func ParseBBox(s string) (BBox, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return BBox{}, &InputError{Field: "bbox", Code: "invalid_bbox", Msg: "bbox must be minLon,minLat,maxLon,maxLat"}
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || bad(f) {
			return BBox{}, &InputError{Field: "bbox", Code: "invalid_bbox", Msg: fmt.Sprintf("bbox value %q is not a number", p)}
		}
		v[i] = f
	}
	b := BBox{v[0], v[1], v[2], v[3]}
	if ValidateLatLon(b.MinLat, b.MinLon) != nil || ValidateLatLon(b.MaxLat, b.MaxLon) != nil || b.MinLat > b.MaxLat {
		return BBox{}, &InputError{Field: "bbox", Code: "invalid_bbox", Msg: "bbox must lie in [-180,180] x [-90,90] with minLat <= maxLat"}
	}
	return b, nil
}

// Bounds returns the box as one orb.Bound, or two when it crosses the
// antimeridian.
func (b BBox) Bounds() []orb.Bound {
	if b.MinLon <= b.MaxLon {
		return []orb.Bound{{Min: orb.Point{b.MinLon, b.MinLat}, Max: orb.Point{b.MaxLon, b.MaxLat}}}
	}
	return []orb.Bound{
		{Min: orb.Point{b.MinLon, b.MinLat}, Max: orb.Point{180, b.MaxLat}},
		{Min: orb.Point{-180, b.MinLat}, Max: orb.Point{b.MaxLon, b.MaxLat}},
	}
}

// Contains reports whether p ([lon, lat]) lies in the box.
func (b BBox) Contains(p orb.Point) bool {
	for _, bd := range b.Bounds() {
		if bd.Contains(p) {
			return true
		}
	}
	return false
}

// Extent returns the smallest box that holds all points: its longitude
// range is the shortest arc that covers every longitude, so points on both
// sides of the antimeridian give a box with MinLon > MaxLon. ok is false
// for no points.
func Extent(points []orb.Point) (b BBox, ok bool) {
	if len(points) == 0 {
		return BBox{}, false
	}
	lons := make([]float64, len(points))
	b.MinLat, b.MaxLat = math.Inf(1), math.Inf(-1)
	for i, p := range points {
		lons[i] = p[0]
		b.MinLat, b.MaxLat = math.Min(b.MinLat, p[1]), math.Max(b.MaxLat, p[1])
	}
	sort.Float64s(lons)
	// The largest gap between neighbouring longitudes (the wrap-around gap
	// included) is what the box leaves out.
	gap, gapEnd := lons[0]+360-lons[len(lons)-1], 0
	for i := 1; i < len(lons); i++ {
		if g := lons[i] - lons[i-1]; g > gap {
			gap, gapEnd = g, i
		}
	}
	if gapEnd == 0 {
		b.MinLon, b.MaxLon = lons[0], lons[len(lons)-1]
	} else {
		b.MinLon, b.MaxLon = lons[gapEnd], lons[gapEnd-1]
	}
	return b, true
}

// Slice returns the box as [minLon, minLat, maxLon, maxLat].
func (b BBox) Slice() []float64 { return []float64{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat} }
