package layers

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// openDataPath is where a test data file lives in this repository
// (testdata/opendata/SOURCES.md names source and licence).
func openDataPath(name string) string {
	return filepath.Join("testdata", "opendata", name)
}

func readFile(t *testing.T, name string, crs CRS) []Feature {
	t.Helper()
	f, err := os.Open(openDataPath(name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fs []Feature
	if strings.HasSuffix(name, ".csv") {
		fs, err = ReadCSV(f, crs, CSVOptions{}, nil)
	} else {
		fs, err = ReadGeoJSON(f, crs, nil)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return fs
}

// flatten lists every vertex of g.
func flatten(g orb.Geometry) []orb.Point {
	if p, ok := g.(orb.Point); ok {
		return []orb.Point{p}
	}
	var out []orb.Point
	eachRing(g, func(ps []orb.Point) { out = append(out, ps...) })
	return out
}

// TestReprojectionMatchesGDAL reprojects the UTM files of the open test data and
// compares every vertex with GDAL's WGS 84 copies: within 1 cm.
func TestReprojectionMatchesGDAL(t *testing.T) {
	pairs := []struct {
		utm, wgs string
		crs      CRS
		count    int
	}{
		{"hamburg-schulen-epsg25832.geojson", "hamburg-schulen-wgs84.geojson", UTM32N, 581},
		{"berlin-einschulbereiche-2019-epsg25833.geojson", "berlin-einschulbereiche-2019-wgs84.geojson", UTM33N, 346},
	}
	for _, p := range pairs {
		ours, gdal := readFile(t, p.utm, p.crs), readFile(t, p.wgs, WGS84)
		if len(ours) != p.count || len(gdal) != p.count {
			t.Fatalf("%s: %d features, GDAL %d, SOURCES.md %d", p.utm, len(ours), len(gdal), p.count)
		}
		worst, n := 0.0, 0
		for i := range ours {
			a, b := flatten(ours[i].Geometry), flatten(gdal[i].Geometry)
			if len(a) != len(b) {
				t.Fatalf("%s feature %d: %d vertices, GDAL %d", p.utm, i, len(a), len(b))
			}
			for j := range a {
				dLat := (a[j][1] - b[j][1]) * 111_320
				dLon := (a[j][0] - b[j][0]) * 111_320 * math.Cos(a[j][1]*math.Pi/180)
				d := math.Hypot(dLat, dLon)
				worst = math.Max(worst, d)
				n++
			}
		}
		t.Logf("%s: %d vertices, worst difference to GDAL %.4f m", p.utm, n, worst)
		if worst > 0.01 {
			t.Errorf("%s: a vertex is %.4f m from GDAL's, want <= 0.01", p.utm, worst)
		}
	}
}

func TestImportRealFiles(t *testing.T) {
	tests := []struct {
		name  string
		crs   CRS
		count int
		bound orb.Bound // a box the data must lie in (Hamburg or Berlin)
	}{
		// Neuwerk island (8.49°E, 53.92°N) belongs to Hamburg and has a school.
		{"hamburg-schulen-epsg25832.geojson", UTM32N, 581, orb.Bound{Min: orb.Point{8.49, 53.40}, Max: orb.Point{10.28, 53.92}}},
		{"hamburg-stadtteile.geojson", WGS84, 518, orb.Bound{Min: orb.Point{8.1, 53.3}, Max: orb.Point{10.4, 54.0}}},
		// SOURCES.md says 2,551 rows: that is wc -l less the header, but the
		// last row has no line end; the file (and GDAL) hold 2,552 Kitas.
		{"berlin-kitas.csv", WGS84, 2552, orb.Bound{Min: orb.Point{13.0, 52.3}, Max: orb.Point{13.8, 52.7}}},
		{"berlin-einschulbereiche-2019-epsg25833.geojson", UTM33N, 346, orb.Bound{Min: orb.Point{13.0, 52.3}, Max: orb.Point{13.8, 52.7}}},
	}
	for _, tc := range tests {
		fs := readFile(t, tc.name, tc.crs)
		if len(fs) != tc.count {
			t.Errorf("%s: %d features, want %d", tc.name, len(fs), tc.count)
		}
		b := fs[0].Geometry.Bound()
		for _, f := range fs {
			b = b.Union(f.Geometry.Bound())
		}
		if !tc.bound.Contains(b.Min) || !tc.bound.Contains(b.Max) {
			t.Errorf("%s: extent %v outside %v", tc.name, b, tc.bound)
		}
	}
	kitas := readFile(t, "berlin-kitas.csv", WGS84)
	if kitas[0].Properties["name"] != "casa dei bambini" || kitas[0].Properties["plz"] != 12683.0 {
		t.Errorf("first Kita = %v", kitas[0].Properties)
	}
}

func TestBadFiles(t *testing.T) {
	fc := func(features ...string) string {
		return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
	}
	pt := `{"type":"Feature","geometry":{"type":"Point","coordinates":[10,53]},"properties":{}}`
	tests := []struct {
		name, body string
		feature    int
		reason     string
	}{
		{"not JSON", "hello", -1, "not a GeoJSON object"},
		{"array", "[]", -1, "not a GeoJSON object"},
		{"wrong type", `{"type":"Feature","geometry":null}`, -1, "FeatureCollection"},
		{"empty", fc(), -1, "no features"},
		{"truncated", fc(pt, pt)[:len(fc(pt, pt))-30], 1, "truncated"},
		{"geometry collection", fc(pt, `{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[]},"properties":{}}`), 1, "not supported"},
		{"no geometry", fc(`{"type":"Feature","geometry":null,"properties":{}}`), 0, "no geometry"},
		{"out of range", fc(pt, pt, `{"type":"Feature","geometry":{"type":"Point","coordinates":[565000,5934000]},"properties":{}}`), 2, "out of range"},
		{"short line", fc(`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[10,53]]},"properties":{}}`), 0, "at least 2"},
		{"unclosed polygon ring", fc(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[10,53],[11,53],[10,53]]]},"properties":{}}`), 0, "at least 4"},
		{"string coordinate", fc(`{"type":"Feature","geometry":{"type":"Point","coordinates":["10",53]},"properties":{}}`), 0, "bad geometry"},
		{"unknown crs", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:31467"}},"features":[` + pt + `]}`, -1, "unsupported CRS"},
	}
	for _, tc := range tests {
		_, err := ReadGeoJSON(strings.NewReader(tc.body), crsEmpty, nil)
		ie, ok := err.(*ImportError)
		if !ok || ie.Feature != tc.feature || !strings.Contains(ie.Reason, tc.reason) {
			t.Errorf("%s: %v, want feature %d %q", tc.name, err, tc.feature, tc.reason)
		}
	}
	// NaN cannot be written in JSON; in CSV it can.
	csvTests := []struct{ name, body, reason string }{
		{"NaN", "lat,lon,name\n53,10,a\nNaN,10,b\n", "finite"},
		{"text", "lat;lon\n53;x\n", "not numbers"},
		{"no coordinate columns", "a,b\n1,2\n", "no coordinate columns"},
		{"empty", "lat,lon\n", "no rows"},
		{"out of range", "lat,lon\n95,10\n", "out of range"},
	}
	for _, tc := range csvTests {
		_, err := ReadCSV(strings.NewReader(tc.body), crsEmpty, CSVOptions{}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("CSV %s: %v, want %q", tc.name, err, tc.reason)
		}
	}
}

func TestCSVVariants(t *testing.T) {
	bom := "\xEF\xBB\xBF"
	tests := []struct {
		name, body string
		crs        CRS
		opt        CSVOptions
		lon, lat   float64
	}{
		{"comma", "name,lat,lon\nA,53.55,9.99\n", WGS84, CSVOptions{}, 9.99, 53.55},
		{"semicolon decimal comma BOM", bom + "Name;Breite;Länge\nA;53,55;9,99\n", WGS84, CSVOptions{}, 9.99, 53.55},
		{"named columns", "n,b,l\nA,53.55,9.99\n", WGS84, CSVOptions{LatCol: "b", LonCol: "l"}, 9.99, 53.55},
		{"UTM x/y", "name;x;y\nA;566000;5934000\n", UTM32N, CSVOptions{}, 10.0, 53.55},
	}
	for _, tc := range tests {
		fs, err := ReadCSV(strings.NewReader(tc.body), tc.crs, tc.opt, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		p := fs[0].Geometry.(orb.Point)
		if math.Abs(p[0]-tc.lon) > 0.01 || math.Abs(p[1]-tc.lat) > 0.01 {
			t.Errorf("%s: %v", tc.name, p)
		}
	}
}

func TestLegacyCRSMemberIsHonoured(t *testing.T) {
	body := `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::25832"}},"features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[566000,5934000]},"properties":{"a":1}}]}`
	fs, err := ReadGeoJSON(strings.NewReader(body), crsEmpty, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := fs[0].Geometry.(orb.Point)
	if math.Abs(p[0]-10.0) > 0.01 || math.Abs(p[1]-53.55) > 0.01 {
		t.Errorf("point = %v", p)
	}
	b, _ := json.Marshal(fs[0].Properties)
	if !bytes.Equal(b, []byte(`{"a":1}`)) {
		t.Errorf("properties = %s", b)
	}
}

// TestForwardProjectionMatchesGDAL projects GDAL's WGS 84 copy back to UTM
// and compares it with the authority's original coordinates.
func TestForwardProjectionMatchesGDAL(t *testing.T) {
	for _, p := range []struct {
		utm, wgs string
		crs      CRS
	}{
		{"hamburg-schulen-epsg25832.geojson", "hamburg-schulen-wgs84.geojson", UTM32N},
		{"berlin-einschulbereiche-2019-epsg25833.geojson", "berlin-einschulbereiche-2019-wgs84.geojson", UTM33N},
	} {
		// The original's raw metres, read without any reprojection.
		data, err := os.ReadFile(openDataPath(p.utm))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := geojson.UnmarshalFeatureCollection(data)
		if err != nil {
			t.Fatal(err)
		}
		wgs := readFile(t, p.wgs, WGS84)
		fwd := p.crs.FromWGS84()
		worst := 0.0
		for i := range wgs {
			a, b := flatten(raw.Features[i].Geometry), flatten(wgs[i].Geometry)
			for j := range a {
				x, y := fwd(b[j][0], b[j][1])
				worst = math.Max(worst, math.Hypot(x-a[j][0], y-a[j][1]))
			}
		}
		t.Logf("%s: worst difference %.4f m", p.utm, worst)
		if worst > 0.05 { // GDAL's copy is rounded to 7 decimals (about 1 cm)
			t.Errorf("%s: a vertex is %.4f m from the original, want <= 0.05", p.utm, worst)
		}
	}
}

// TestCSVColumnsHaveOneType: a column of numbers stays numbers (empty
// cells left out), one that mixes numbers with "NaN" or words is text in
// every row (GDAL warned 484 times about mixed types), postal codes stay
// text.
func TestCSVColumnsHaveOneType(t *testing.T) {
	in := "name,lat,lon,plaetze,note,plz\nA,52.5,13.4,40,NaN,01067\nB,52.6,13.5,,12,10115\nC,52.7,13.6,25,7,10117\n"
	fs, err := ReadCSV(strings.NewReader(in), WGS84, CSVOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range fs {
		if _, ok := f.Properties["note"].(string); !ok {
			t.Errorf("row %d: note %#v, want text in every row", i, f.Properties["note"])
		}
		if _, ok := f.Properties["plz"].(string); !ok {
			t.Errorf("row %d: plz %#v, want text", i, f.Properties["plz"])
		}
		if p, ok := f.Properties["plaetze"]; ok {
			if _, isNum := p.(float64); !isNum {
				t.Errorf("row %d: plaetze %#v, want a number", i, p)
			}
		} else if i != 1 {
			t.Errorf("row %d lost plaetze", i)
		}
	}
	if _, ok := fs[1].Properties["plaetze"]; ok {
		t.Errorf("the empty cell of a number column is %#v, want it left out", fs[1].Properties["plaetze"])
	}
}
