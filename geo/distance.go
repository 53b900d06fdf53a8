package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// EarthRadiusM is the mean Earth radius (IUGG), used for great-circle distances.
const EarthRadiusM = 6_371_008.8

func rad(deg float64) float64 { return deg * math.Pi / 180 }
func deg(rad float64) float64 { return rad * 180 / math.Pi }

// DistanceM is the great-circle (haversine) distance in metres between two
// WGS 84 points given as [lon, lat].
func DistanceM(a, b orb.Point) float64 {
	lat1, lat2 := rad(a[1]), rad(b[1])
	dLat := lat2 - lat1
	dLon := rad(b[0] - a[0])
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1)*math.Cos(lat2)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * EarthRadiusM * math.Asin(math.Min(1, math.Sqrt(h)))
}

// CircleBounds returns bounding boxes (one, or two when the circle crosses
// the antimeridian) that contain every point within radiusM metres of
// center. Near the poles and for radii beyond half the globe the box spans
// every longitude. The boxes may contain more; callers filter by DistanceM.
func CircleBounds(center orb.Point, radiusM float64) []orb.Bound {
	if radiusM >= math.Pi*EarthRadiusM {
		return []orb.Bound{{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}}
	}
	angular := radiusM / EarthRadiusM
	lat, lon := rad(center[1]), rad(center[0])
	minLat, maxLat := lat-angular, lat+angular
	if minLat <= -math.Pi/2 || maxLat >= math.Pi/2 {
		// A pole is inside the circle: every longitude is.
		return []orb.Bound{{Min: orb.Point{-180, deg(math.Max(minLat, -math.Pi/2))}, Max: orb.Point{180, deg(math.Min(maxLat, math.Pi/2))}}}
	}
	dLon := math.Asin(math.Min(1, math.Sin(angular)/math.Cos(lat)))
	minLon, maxLon := deg(lon-dLon), deg(lon+dLon)
	latMin, latMax := deg(minLat), deg(maxLat)
	switch {
	case minLon < -180:
		return []orb.Bound{
			{Min: orb.Point{minLon + 360, latMin}, Max: orb.Point{180, latMax}},
			{Min: orb.Point{-180, latMin}, Max: orb.Point{maxLon, latMax}},
		}
	case maxLon > 180:
		return []orb.Bound{
			{Min: orb.Point{minLon, latMin}, Max: orb.Point{180, latMax}},
			{Min: orb.Point{-180, latMin}, Max: orb.Point{maxLon - 360, latMax}},
		}
	}
	return []orb.Bound{{Min: orb.Point{minLon, latMin}, Max: orb.Point{maxLon, latMax}}}
}

// CircleRing returns a closed ring of n corners ([lon, lat]) on the circle
// of radiusM metres around center: a circle for formats that have none
// (KML). n is at least 8.
func CircleRing(center orb.Point, radiusM float64, n int) orb.Ring {
	n = max(n, 8)
	angular := radiusM / EarthRadiusM
	lat1, lon1 := rad(center[1]), rad(center[0])
	ring := make(orb.Ring, 0, n+1)
	for i := range n {
		bearing := 2 * math.Pi * float64(i) / float64(n)
		lat2 := math.Asin(math.Sin(lat1)*math.Cos(angular) + math.Cos(lat1)*math.Sin(angular)*math.Cos(bearing))
		lon2 := lon1 + math.Atan2(math.Sin(bearing)*math.Sin(angular)*math.Cos(lat1), math.Cos(angular)-math.Sin(lat1)*math.Sin(lat2))
		ring = append(ring, orb.Point{deg(lon2), deg(lat2)})
	}
	return append(ring, ring[0])
}
