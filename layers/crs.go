package layers

import (
	"fmt"
	"math"
	"strings"
)

// CRS is a coordinate reference system the importer reads.
type CRS string

// The supported systems: WGS 84 and ETRS89 / UTM zones 32N and 33N, in
// which German authorities publish (EPSG:25832 west of 12°E, 25833 east).
const (
	WGS84    CRS = "EPSG:4326"
	UTM32N   CRS = "EPSG:25832"
	UTM33N   CRS = "EPSG:25833"
	crsEmpty CRS = ""
)

// ParseCRS accepts "EPSG:25832", "25832", the OGC URN
// "urn:ogc:def:crs:EPSG::25832" and the CRS84 URN for WGS 84.
func ParseCRS(s string) (CRS, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	switch {
	case s == "", s == "EPSG:4326", s == "4326", s == "URN:OGC:DEF:CRS:OGC:1.3:CRS84", s == "URN:OGC:DEF:CRS:EPSG::4326", s == "CRS84":
		return WGS84, nil
	case strings.HasSuffix(s, "25832") && (s == "25832" || strings.HasPrefix(s, "EPSG:") || strings.HasPrefix(s, "URN:OGC:DEF:CRS:EPSG:")):
		return UTM32N, nil
	case strings.HasSuffix(s, "25833") && (s == "25833" || strings.HasPrefix(s, "EPSG:") || strings.HasPrefix(s, "URN:OGC:DEF:CRS:EPSG:")):
		return UTM33N, nil
	}
	return crsEmpty, fmt.Errorf("unsupported CRS %q (want EPSG:4326, EPSG:25832 or EPSG:25833)", s)
}

// FromWGS84 returns the function that turns (lon, lat) into (x, y) of c:
// easting and northing in metres for the UTM zones, the same for WGS 84.
func (c CRS) FromWGS84() func(lon, lat float64) (x, y float64) {
	switch c {
	case UTM32N:
		return utm(9).forward
	case UTM33N:
		return utm(15).forward
	}
	return func(lon, lat float64) (float64, float64) { return lon, lat }
}

// ToWGS84 returns the function that turns (x, y) of c into (lon, lat).
// ETRS89 and WGS 84 agree within the accuracy that matters here (GDAL
// treats the datum shift as null as well).
func (c CRS) ToWGS84() func(x, y float64) (lon, lat float64) {
	switch c {
	case UTM32N:
		return utm(9).inverse
	case UTM33N:
		return utm(15).inverse
	}
	return func(x, y float64) (float64, float64) { return x, y }
}

// transverseMercator is the inverse of a transverse Mercator projection on
// the GRS80 ellipsoid, with Krüger's series to the fourth order of the
// third flattening n (Karney 2011): millimetre accurate within a UTM zone.
type transverseMercator struct {
	lon0, k0, falseE, falseN float64
	a                        float64 // rectifying radius A
	e                        float64 // eccentricity
	alpha, beta, delta       [4]float64
}

func utm(centralMeridian float64) *transverseMercator {
	const (
		a = 6378137.0         // GRS80 semi-major axis
		f = 1 / 298.257222101 // GRS80 flattening
	)
	n := f / (2 - f)
	n2, n3, n4 := n*n, n*n*n, n*n*n*n
	return &transverseMercator{
		lon0: centralMeridian * math.Pi / 180, k0: 0.9996, falseE: 500000, falseN: 0,
		a: a / (1 + n) * (1 + n2/4 + n4/64),
		e: 2 * math.Sqrt(n) / (1 + n),
		alpha: [4]float64{
			n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180,
			13*n2/48 - 3*n3/5 + 557*n4/1440,
			61*n3/240 - 103*n4/140,
			49561 * n4 / 161280,
		},
		beta: [4]float64{
			n/2 - 2*n2/3 + 37*n3/96 - n4/360,
			n2/48 + n3/15 - 437*n4/1440,
			17*n3/480 - 37*n4/840,
			4397 * n4 / 161280,
		},
		delta: [4]float64{
			2*n - 2*n2/3 - 2*n3 + 116*n4/45,
			7*n2/3 - 8*n3/5 - 227*n4/45,
			56*n3/15 - 136*n4/35,
			4279 * n4 / 630,
		},
	}
}

func (t *transverseMercator) inverse(easting, northing float64) (lon, lat float64) {
	xi := (northing - t.falseN) / (t.k0 * t.a)
	eta := (easting - t.falseE) / (t.k0 * t.a)
	xiP, etaP := xi, eta
	for j := 1; j <= 4; j++ {
		b := t.beta[j-1]
		xiP -= b * math.Sin(2*float64(j)*xi) * math.Cosh(2*float64(j)*eta)
		etaP -= b * math.Cos(2*float64(j)*xi) * math.Sinh(2*float64(j)*eta)
	}
	chi := math.Asin(math.Sin(xiP) / math.Cosh(etaP))
	phi := chi
	for j := 1; j <= 4; j++ {
		phi += t.delta[j-1] * math.Sin(2*float64(j)*chi)
	}
	lambda := t.lon0 + math.Atan2(math.Sinh(etaP), math.Cos(xiP))
	return lambda * 180 / math.Pi, phi * 180 / math.Pi
}

// forward projects (lon, lat) in degrees to easting and northing: the
// conformal latitude, then Krüger's series (Karney 2011, eq. 7-11).
func (t *transverseMercator) forward(lon, lat float64) (easting, northing float64) {
	phi := lat * math.Pi / 180
	lambda := lon*math.Pi/180 - t.lon0
	tau := math.Sinh(math.Atanh(math.Sin(phi)) - t.e*math.Atanh(t.e*math.Sin(phi)))
	xiP := math.Atan2(tau, math.Cos(lambda))
	etaP := math.Atanh(math.Sin(lambda) / math.Sqrt(1+tau*tau))
	xi, eta := xiP, etaP
	for j := 1; j <= 4; j++ {
		a := t.alpha[j-1]
		xi += a * math.Sin(2*float64(j)*xiP) * math.Cosh(2*float64(j)*etaP)
		eta += a * math.Cos(2*float64(j)*xiP) * math.Sinh(2*float64(j)*etaP)
	}
	return t.falseE + t.k0*t.a*eta, t.falseN + t.k0*t.a*xi
}
