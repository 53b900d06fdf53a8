package geo

import "github.com/paulmach/orb"

// OrientForTile winds a polygon's rings as the vector tile spec (2.1,
// 4.3.4.4) wants them in tile coordinates, whose y axis points down:
// exterior rings with a positive surveyor's area, interior rings with a
// negative one. It changes g in place and returns it; other geometries
// are returned as they are.
func OrientForTile(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Polygon:
		orientPolygon(g)
	case orb.MultiPolygon:
		for _, p := range g {
			orientPolygon(p)
		}
	}
	return g
}

func orientPolygon(p orb.Polygon) {
	for i, r := range p {
		want := orb.CW
		if i == 0 {
			want = orb.CCW
		}
		if o := r.Orientation(); o != 0 && o != want {
			r.Reverse()
		}
	}
}
