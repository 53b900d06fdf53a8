package layers

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// checkFeatures fails t unless every coordinate is finite WGS 84.
func checkFeatures(t *testing.T, fs []Feature) {
	for i, f := range fs {
		bound := f.Geometry.Bound()
		for _, p := range []orb.Point{bound.Min, bound.Max} {
			if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.Abs(p[0]) > 180 || math.Abs(p[1]) > 90 {
				t.Fatalf("feature %d has coordinate %v outside WGS 84", i, p)
			}
		}
	}
}

// FuzzReadGeoJSON: any bytes give features with valid coordinates or an
// ImportError naming the feature; never a panic.
func FuzzReadGeoJSON(f *testing.F) {
	for _, s := range []string{
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[9.99,53.55]},"properties":{"name":"Schule"}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[9,53],[10,53],[10,54],[9,53]]]},"properties":null}]}`,
		`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::25832"}},"features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[565000,5933000]}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[NaN,1]}}]}`,
		`{"type":"FeatureCollection","features":[`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := ReadGeoJSON(bytes.NewReader(data), WGS84, nil)
		if err != nil {
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("error is no ImportError: %v", err)
			}
			return
		}
		checkFeatures(t, fs)
	})
}

// FuzzReadCSV: any bytes, with either separator, give points with valid
// coordinates or an ImportError; never a panic.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{"name;alat;alon\nKita Sonnenschein;52.52;13.40\n", "\ufefflat,lon\n1,2\n", "x;y\n565000;5933000\n", "lat,lon\nNaN,1\n", "a\n\"unterminated", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := ReadCSV(bytes.NewReader(data), WGS84, CSVOptions{}, nil)
		if err != nil {
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("error is no ImportError: %v", err)
			}
			return
		}
		checkFeatures(t, fs)
	})
}
