package layers

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Feature is one object of a layer. ID is its index in the layer, stable
// for one version of the layer.
type Feature struct {
	ID         int
	Geometry   orb.Geometry
	Properties map[string]any
}

// ImportError says which feature of a file is bad and why. Feature is the
// 0-based index in the file (the data row for CSV), -1 for the file as a
// whole.
type ImportError struct {
	Feature int
	Reason  string
}

func (e *ImportError) Error() string {
	if e.Feature < 0 {
		return e.Reason
	}
	return fmt.Sprintf("feature %d: %s", e.Feature, e.Reason)
}

// InputError lets the domain map an import error to a 400.
func (e *ImportError) InputError() (code, message string) { return "invalid_layer_file", e.Error() }

// checkGeometry accepts the GeoJSON geometry types of a layer with finite
// coordinates and at least the points each type needs.
func checkGeometry(g orb.Geometry) string {
	switch g := g.(type) {
	case orb.Point:
		return checkPoints([]orb.Point{g}, 1)
	case orb.MultiPoint:
		return checkPoints(g, 1)
	case orb.LineString:
		return checkPoints(g, 2)
	case orb.MultiLineString:
		if len(g) == 0 {
			return "empty MultiLineString"
		}
		for _, l := range g {
			if r := checkPoints(l, 2); r != "" {
				return r
			}
		}
		return ""
	case orb.Polygon:
		return checkPolygon(g)
	case orb.MultiPolygon:
		if len(g) == 0 {
			return "empty MultiPolygon"
		}
		for _, p := range g {
			if r := checkPolygon(p); r != "" {
				return r
			}
		}
		return ""
	case nil:
		return "no geometry"
	}
	return fmt.Sprintf("geometry type %s is not supported (Point, LineString, Polygon and their Multi types are)", g.GeoJSONType())
}

func checkPolygon(p orb.Polygon) string {
	if len(p) == 0 {
		return "empty Polygon"
	}
	for _, r := range p {
		if s := checkPoints(r, 4); s != "" {
			return s
		}
	}
	return ""
}

func checkPoints(ps []orb.Point, min int) string {
	if len(ps) < min {
		return fmt.Sprintf("needs at least %d positions, has %d", min, len(ps))
	}
	for _, p := range ps {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			return "coordinate is not a finite number"
		}
	}
	return ""
}

// checkRange reports a WGS 84 coordinate out of range.
func checkRange(g orb.Geometry) string {
	b := g.Bound()
	if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
		return fmt.Sprintf("coordinates out of range for WGS 84 (%.6g,%.6g .. %.6g,%.6g): a projected file needs --crs EPSG:25832 or EPSG:25833", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	}
	return ""
}

// eachRing calls fn with every run of positions of g: the points of a
// MultiPoint, each line, each polygon ring. A lone Point is not visited
// (it is a value, not a slice).
func eachRing(g orb.Geometry, fn func([]orb.Point)) {
	switch g := g.(type) {
	case orb.MultiPoint:
		fn(g)
	case orb.LineString:
		fn(g)
	case orb.MultiLineString:
		for _, l := range g {
			fn(l)
		}
	case orb.Polygon:
		for _, r := range g {
			fn(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				fn(r)
			}
		}
	}
}

// reproject converts g's positions in place with f (a Point is handled by
// the caller).
func reproject(g orb.Geometry, f func(x, y float64) (float64, float64)) {
	eachRing(g, func(ps []orb.Point) {
		for i := range ps {
			ps[i][0], ps[i][1] = f(ps[i][0], ps[i][1])
		}
	})
}

// toWGS84 reprojects every feature from crs and checks the ranges.
func toWGS84(fs []Feature, crs CRS) error {
	f := crs.ToWGS84()
	for i := range fs {
		if crs != WGS84 {
			if p, ok := fs[i].Geometry.(orb.Point); ok {
				p[0], p[1] = f(p[0], p[1])
				fs[i].Geometry = p
			} else {
				reproject(fs[i].Geometry, f)
			}
		}
		if r := checkRange(fs[i].Geometry); r != "" {
			return &ImportError{Feature: i, Reason: r}
		}
	}
	return nil
}
