package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
)

// openDataPath is where a test data file lives in this repository (see
// layers/testdata/opendata/SOURCES.md).
func openDataPath(name string) string {
	return filepath.Join("..", "..", "layers", "testdata", "opendata", name)
}

// upload posts a layer file as multipart with extra fields first.
func (ts *testServer) upload(t *testing.T, token, name, file string, body []byte, fields map[string]string) reply {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("name", name)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", file)
	_, _ = fw.Write(body)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/admin/layers", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return ts.do(t, req)
}

func (ts *testServer) do(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{Status: resp.StatusCode, Raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		_ = jsonUnmarshal(raw, &r.Body)
	}
	return r
}

// TestLayersEndToEnd imports every open data test file over HTTP and checks
// counts and extents, bad files, replacement, paging, nearby, tiles, the
// command line import into a running server and the OGC API.
func TestLayersEndToEnd(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.addUser(t, "admin@polizei.example", "Ada", "admin")
	ts.addUser(t, "officer@polizei.example", "Otto")
	admin, officer := ts.login(t, "admin@polizei.example"), ts.login(t, "officer@polizei.example")

	files := []struct {
		file, crs string
		count     float64
		bbox      [4]float64 // "Extent" of GDAL 3.6.2's ogrinfo on the WGS 84 data (6 decimals)
	}{
		{"hamburg-schulen-epsg25832.geojson", "EPSG:25832", 581, [4]float64{8.490148, 53.400938, 10.270485, 53.919341}},
		{"hamburg-stadtteile.geojson", "", 518, [4]float64{9.730474, 53.395112, 10.325195, 53.739438}},
		// SOURCES.md says 2,551; ogrinfo counts 2,552 (the last row has no line end).
		{"berlin-kitas.csv", "", 2552, [4]float64{13.100680, 52.375230, 13.727890, 52.654800}},
		{"berlin-einschulbereiche-2019-epsg25833.geojson", "EPSG:25833", 346, [4]float64{13.088346, 52.338242, 13.761140, 52.675507}},
	}
	ids := map[string]string{}
	for _, f := range files {
		body, err := os.ReadFile(openDataPath(f.file))
		if err != nil {
			t.Fatal(err)
		}
		fields := map[string]string{}
		if f.crs != "" {
			fields["crs"] = f.crs
		}
		r := ts.upload(t, admin, f.file, f.file, body, fields).want(t, 201)
		if r.Body["count"].(float64) != f.count {
			t.Errorf("%s: count %v, want %v", f.file, r.Body["count"], f.count)
		}
		bb := r.Body["bbox"].([]any)
		for i := range 4 {
			if d := bb[i].(float64) - f.bbox[i]; d > 1e-6 || d < -1e-6 {
				t.Errorf("%s: bbox %v, want %v", f.file, bb, f.bbox)
				break
			}
		}
		ids[f.file] = r.str("id")
	}
	ts.upload(t, officer, "x", "x.geojson", []byte(`{}`), nil).want(t, 403, "not_admin")

	// Bad files: 400 naming the feature; nothing kept.
	bad := []struct{ file, body, want string }{
		{"a.geojson", `not json`, "not a GeoJSON object"},
		{"a.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[10,53]},"properties":{}},{"type":"Feature","geometry":{"type":"Point","coordinates":[10,95]},"properties":{}}]}`, "feature 1: coordinates out of range"},
		{"a.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[10,53]},"properties":{}},`, "feature 1"},
		{"a.csv", "lat,lon\n53,10\nNaN,10\n", "feature 1: coordinate is not a finite number"},
		{"a.geojson", `{"type":"FeatureCollection","features":[]}`, "no features"},
	}
	for _, b := range bad {
		r := ts.upload(t, admin, "Kaputt", b.file, []byte(b.body), nil).want(t, 400, "invalid_layer_file")
		if msg := r.Body["error"].(map[string]any)["message"].(string); !strings.Contains(msg, b.want) {
			t.Errorf("%s: message %q, want %q", b.body[:min(20, len(b.body))], msg, b.want)
		}
	}
	list := ts.call(t, "GET", "/api/v1/layers", officer, nil).want(t, 200).items()
	if len(list) != 4 {
		t.Fatalf("layers after bad imports: %d, want 4", len(list))
	}

	// Replacing keeps the ID and raises the version.
	kitas := ids["berlin-kitas.csv"]
	r := ts.upload(t, admin, "berlin-kitas.csv", "k.csv", []byte("name;lat;lon\nA;52,5;13,4\nB;52,6;13,5\n"), nil).want(t, 201)
	if r.str("id") != kitas || r.Body["version"].(float64) != 2 || r.Body["count"].(float64) != 2 {
		t.Errorf("re-import = %s", r.Raw)
	}

	// Paging through a bbox never repeats or skips.
	schools := ids["hamburg-schulen-epsg25832.geojson"]
	seen := map[string]bool{}
	path := "/api/v1/layers/" + schools + "/features?bbox=9.8,53.45,10.2,53.7&limit=37"
	matched := 0.0
	for {
		r := ts.call(t, "GET", path, officer, nil).want(t, 200)
		matched = r.Body["numberMatched"].(float64)
		for _, f := range r.Body["features"].([]any) {
			id := f.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("feature %s on two pages", id)
			}
			seen[id] = true
		}
		next := r.str("next_cursor")
		if next == "" {
			break
		}
		path = "/api/v1/layers/" + schools + "/features?bbox=9.8,53.45,10.2,53.7&limit=37&cursor=" + next
	}
	if float64(len(seen)) != matched || matched < 400 {
		t.Errorf("paged %d features, numberMatched %v", len(seen), matched)
	}
	ts.call(t, "GET", "/api/v1/layers/ly_nope/features", officer, nil).want(t, 404, "layer_not_found")
	ts.call(t, "GET", "/api/v1/layers/"+schools+"/features?limit=0", officer, nil).want(t, 400, "invalid_limit")
	ts.call(t, "GET", "/api/v1/layers/"+schools+"/features", "", nil).want(t, 401)

	near := ts.call(t, "GET", "/api/v1/layers/"+schools+"/nearby?lat=53.5511&lon=9.9937&radius_m=1500&limit=5", officer, nil).want(t, 200)
	nf := near.Body["features"].([]any)
	if len(nf) != 5 {
		t.Fatalf("nearby = %d", len(nf))
	}
	last := 0.0
	for _, f := range nf {
		d := f.(map[string]any)["properties"].(map[string]any)["distance_m"].(float64)
		if d < last || d > 1500 {
			t.Errorf("nearby distances not ascending within 1500 m: %v after %v", d, last)
		}
		last = d
	}

	// A tile over Hamburg's centre decodes to school points; gzip; ETag.
	tilePath := "/api/v1/layers/" + schools + "/tiles/10/540/330.mvt"
	req, _ := http.NewRequest("GET", ts.URL+tilePath, nil)
	req.Header.Set("Authorization", "Bearer "+officer)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("ETag") == "" {
		t.Fatalf("tile: %d %v", resp.StatusCode, resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	tl, err := mvt.Unmarshal(plain)
	if err != nil || len(tl) != 1 || tl[0].Name != schools || len(tl[0].Features) < 100 {
		t.Fatalf("tile decodes to %v, %v", tl, err)
	}
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	resp2, _ := http.DefaultTransport.RoundTrip(req)
	resp2.Body.Close()
	if resp2.StatusCode != 304 {
		t.Errorf("If-None-Match: %d, want 304", resp2.StatusCode)
	}
	ts.call(t, "GET", "/api/v1/layers/"+schools+"/tiles/10/2000/330.mvt", officer, nil).want(t, 404, "tile_not_found")
	ts.call(t, "GET", "/api/v1/layers/"+schools+"/tiles/10/0/0.mvt", officer, nil).want(t, 204)

	// The command line imports into the running server's store; the
	// server serves the new layer within 5 seconds.
	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"layer", "import", "--data", ts.Data, "--name", "Einschulbereiche Berlin (CLI)", "--crs", "EPSG:25833",
		openDataPath("berlin-einschulbereiche-2019-epsg25833.geojson")}, func(string) string { return "" }, nil, &out, &errOut)
	if err != nil {
		t.Fatalf("layer import: %v %s", err, errOut.String())
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if n := len(ts.call(t, "GET", "/api/v1/layers", officer, nil).want(t, 200).items()); n == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the CLI-imported layer is not served within 5 s")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Both imports, over HTTP and at the command line, went through the
	// same use case and left the same audit entry.
	ts.addUser(t, "auditor@polizei.example", "Aude", "auditor")
	adminID := ts.call(t, "GET", "/api/v1/me", admin, nil).want(t, 200).str("id")
	byActor := map[string]int{}
	for _, e := range ts.call(t, "GET", "/api/v1/audit/log?case=AZ-4711&limit=500", ts.login(t, "auditor@polizei.example"), nil).want(t, 200).items() {
		if e["action"] == "import_layer" {
			byActor[e["actor"].(string)]++
		}
	}
	if byActor["command line"] != 1 || byActor[adminID] < 4 {
		t.Errorf("import_layer audit entries by actor: %v; want 1 by the command line and one per HTTP import by %s", byActor, adminID)
	}

	// OGC API - Features.
	land := ts.call(t, "GET", "/ogc", officer, nil).want(t, 200)
	if len(land.Body["links"].([]any)) < 3 {
		t.Errorf("landing = %s", land.Raw)
	}
	conf := ts.call(t, "GET", "/ogc/conformance", officer, nil).want(t, 200)
	if !strings.Contains(string(conf.Raw), "conf/core") {
		t.Errorf("conformance = %s", conf.Raw)
	}
	cols := ts.call(t, "GET", "/ogc/collections", officer, nil).want(t, 200)
	if len(cols.Body["collections"].([]any)) != 5 {
		t.Errorf("collections = %s", cols.Raw)
	}
	items := ts.call(t, "GET", "/ogc/collections/"+schools+"/items?limit=500", officer, nil).want(t, 200)
	if items.Body["numberReturned"].(float64) != 500 || items.Body["numberMatched"].(float64) != 581 || !strings.Contains(string(items.Raw), `"rel":"next"`) {
		t.Errorf("items page: returned %v matched %v", items.Body["numberReturned"], items.Body["numberMatched"])
	}
	one := ts.call(t, "GET", "/ogc/collections/"+schools+"/items/0", officer, nil).want(t, 200)
	if one.str("type") != "Feature" {
		t.Errorf("item = %s", one.Raw)
	}
	ts.call(t, "GET", "/ogc/collections/"+schools+"/items/99999", officer, nil).want(t, 404)
	ts.call(t, "GET", "/ogc/collections", "", nil).want(t, 401)
	if !strings.Contains(string(one.Raw), `"rel":"collection"`) {
		t.Errorf("a single feature lacks its collection link: %s", one.Raw)
	}
	if !strings.Contains(string(conf.Raw), "ogcapi-features-2/1.0/conf/crs") {
		t.Errorf("conformance without Part 2: %s", conf.Raw)
	}

	// Part 1's rules on parameters: unknown ones and limits below 1 are
	// 400; 6-number boxes are taken; a limit above the maximum is cut.
	items0 := "/ogc/collections/" + schools + "/items"
	ts.call(t, "GET", items0+"?foo=bar", officer, nil).want(t, 400, "unknown_parameter")
	ts.call(t, "GET", items0+"?limit=0", officer, nil).want(t, 400, "invalid_limit")
	ts.call(t, "GET", items0+"?limit=-5", officer, nil).want(t, 400, "invalid_limit")
	ts.call(t, "GET", items0+"?crs=EPSG:31467", officer, nil).want(t, 400, "invalid_crs")
	ts.call(t, "GET", items0+"?bbox=1,2,3", officer, nil).want(t, 400, "invalid_bbox")
	if r := ts.call(t, "GET", items0+"?limit=20000", officer, nil).want(t, 200); r.Body["numberReturned"].(float64) != 581 {
		t.Errorf("limit 20000 returned %v", r.Body["numberReturned"])
	}
	box4 := ts.call(t, "GET", items0+"?bbox=9.9,53.5,10.1,53.6", officer, nil).want(t, 200).Body["numberMatched"].(float64)
	box6 := ts.call(t, "GET", items0+"?bbox=9.9,53.5,-10,10.1,53.6,100", officer, nil).want(t, 200).Body["numberMatched"].(float64)
	if box4 == 0 || box4 != box6 {
		t.Errorf("bbox with 4 numbers matched %v, with 6 %v", box4, box6)
	}

	// Part 2: the first school in EPSG:25832, as the authority published
	// it (the original file's metres), with Content-Crs; a box in metres.
	raw, err = os.ReadFile(openDataPath("hamburg-schulen-epsg25832.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	orig, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := orig.Features[0].Geometry.(orb.Point)
	utmURI := "http://www.opengis.net/def/crs/EPSG/0/25832"
	resp, body := ts.get(t, "/ogc/collections/"+schools+"/items/0?crs="+url.QueryEscape(utmURI), officer, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Crs") != "<"+utmURI+">" {
		t.Fatalf("item in EPSG:25832: %d, Content-Crs %q", resp.StatusCode, resp.Header.Get("Content-Crs"))
	}
	var inUTM struct {
		Geometry struct{ Coordinates [2]float64 } `json:"geometry"`
	}
	if err := json.Unmarshal(body, &inUTM); err != nil {
		t.Fatal(err)
	}
	if d := math.Hypot(inUTM.Geometry.Coordinates[0]-want[0], inUTM.Geometry.Coordinates[1]-want[1]); d > 0.05 {
		t.Errorf("the school in EPSG:25832 is %.3f m from the authority's coordinates %v: %v", d, want, inUTM.Geometry.Coordinates)
	}
	metreBox := fmt.Sprintf("%f,%f,%f,%f", want[0]-50, want[1]-50, want[0]+50, want[1]+50)
	nearSchool := ts.call(t, "GET", items0+"?bbox-crs="+url.QueryEscape(utmURI)+"&bbox="+metreBox, officer, nil).want(t, 200)
	if n := nearSchool.Body["numberMatched"].(float64); n < 1 || n > 10 {
		t.Errorf("a 100 m box in metres around the school matched %v", n)
	}

	// GDAL's OAPIF driver, a real client, counts the features.
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ogrinfo is missing in CI: make test installs gdal-bin")
		}
		t.Skip("ogrinfo not installed (apt-get install gdal-bin)")
	}
	header := filepath.Join(t.TempDir(), "auth.txt")
	if err := os.WriteFile(header, []byte("Authorization: Bearer "+officer+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ogrinfo, "-ro", "-so", "--config", "GDAL_HTTP_HEADER_FILE", header, "OAPIF:"+ts.URL+"/ogc", schools)
	outb, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, outb)
	}
	m := regexp.MustCompile(`Feature Count: (\d+)`).FindSubmatch(outb)
	if m == nil || string(m[1]) != "581" {
		t.Fatalf("ogrinfo reports %q, want 581 features:\n%s", m, outb)
	}
	fmt.Fprintln(io.Discard, string(outb))

	// GDAL pages (100 a page: 6 requests), filters by a box and reads the
	// UTM coordinates; an unknown parameter makes it fail.
	copyFile := filepath.Join(t.TempDir(), "schools.geojson")
	cmd = exec.Command("ogr2ogr", "-f", "GeoJSON", "--config", "GDAL_HTTP_HEADER_FILE", header, "-oo", "PAGE_SIZE=100", copyFile, "OAPIF:"+ts.URL+"/ogc", schools)
	if outb, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr with pages of 100: %v\n%s", err, outb)
	}
	copied, err := os.ReadFile(copyFile)
	if err != nil {
		t.Fatal(err)
	}
	if fc, err := geojson.UnmarshalFeatureCollection(copied); err != nil || len(fc.Features) != 581 {
		t.Fatalf("ogr2ogr copied %v features (%v), want 581", len(fc.Features), err)
	}
	cmd = exec.Command(ogrinfo, "-ro", "-so", "--config", "GDAL_HTTP_HEADER_FILE", header, "-spat", "9.9", "53.5", "10.1", "53.6", "OAPIF:"+ts.URL+"/ogc", schools)
	outb, err = cmd.CombinedOutput()
	if m := regexp.MustCompile(`Feature Count: (\d+)`).FindSubmatch(outb); err != nil || m == nil || string(m[1]) != fmt.Sprint(box4) {
		t.Errorf("ogrinfo -spat: %v, %q, want %v features:\n%s", err, m, box4, outb)
	}
	cmd = exec.Command(ogrinfo, "-ro", "-al", "-fid", "0", "--config", "GDAL_HTTP_HEADER_FILE", header,
		"GeoJSON:"+ts.URL+"/ogc/collections/"+schools+"/items?crs="+url.QueryEscape(utmURI)+"&limit=1")
	outb, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(outb), fmt.Sprintf("POINT (%.0f", want[0])[:12]) {
		t.Errorf("GDAL reading the items in EPSG:25832: %v\n%s", err, outb)
	}
	cmd = exec.Command(ogrinfo, "-ro", "-so", "--config", "GDAL_HTTP_HEADER_FILE", header, "GeoJSON:"+ts.URL+"/ogc/collections/"+schools+"/items?foo=bar")
	if outb, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("GDAL read items with an unknown parameter:\n%s", outb)
	}
}
