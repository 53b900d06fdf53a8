package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// buildDemoBasemap runs "einsatzraum basemap build" on the demo's extract,
// as make run does, and returns the MBTiles file.
func buildDemoBasemap(t testing.TB) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "demo.mbtiles")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"basemap", "build", "--osm", filepath.Join("demodata", "north-bayreuth.osm.gz"), "--out", out},
		func(string) string { return "" }, nil, &stdout, &stderr)
	if err != nil {
		t.Fatalf("basemap build: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "tiles (z0-z16") || !strings.Contains(stdout.String(), "places to search") {
		t.Errorf("basemap build said %q", stdout.String())
	}
	return out
}

func TestBasemapServedAndGeocoded(t *testing.T) {
	t.Parallel()
	file := buildDemoBasemap(t)
	f := newLiveFixture(t, func(c *serveConfig) { c.Basemap = file })
	ts := f.ts

	// The style: public, every URL on this server, the attribution.
	style := ts.call(t, "GET", "/api/v1/basemap/style.json", "", nil).want(t, 200)
	src := style.Body["sources"].(map[string]any)["basemap"].(map[string]any)
	tilesURL := src["tiles"].([]any)[0].(string)
	if !strings.HasPrefix(tilesURL, ts.URL+"/api/v1/basemap/tiles/") || !strings.HasPrefix(style.str("glyphs"), ts.URL) || !strings.HasPrefix(style.str("sprite"), ts.URL) {
		t.Errorf("style URLs: tiles %s, glyphs %s, sprite %s", tilesURL, style.str("glyphs"), style.str("sprite"))
	}
	if !strings.Contains(src["attribution"].(string), "OpenStreetMap contributors") || src["maxzoom"].(float64) != 16 {
		t.Errorf("source %v", src)
	}
	if cfg := ts.call(t, "GET", "/api/v1/config", "", nil).want(t, 200); cfg.Body["basemap"] != true {
		t.Errorf("config %v", cfg.Body)
	}

	// A tile with Neudrossenfeld's streets, gzipped as stored when the
	// client takes gzip, plain otherwise.
	tile := maptile.At(orb.Point{11.5011, 50.0183}, 15)
	path := "/api/v1/basemap/tiles/15/" + itoa(int(tile.X)) + "/" + itoa(int(tile.Y)) + ".mvt"
	req, _ := http.NewRequest("GET", ts.URL+path, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	gz, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("tile: %d %v", resp.StatusCode, resp.Header)
	}
	layers, err := mvt.UnmarshalGzipped(gz)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, l := range layers {
		for _, feat := range l.Features {
			if n, ok := feat.Properties["name"].(string); ok && l.Name == "roads" {
				names[n] = true
			}
		}
	}
	if !names["Kulmbacher Straße"] {
		t.Errorf("roads in the tile at Neudrossenfeld: %v", names)
	}
	plain := ts.call(t, "GET", path, "", nil).want(t, 200) // Go's client unpacks what it asked gzip for itself
	if _, err := mvt.Unmarshal(plain.Raw); err != nil {
		t.Errorf("plain tile: %v", err)
	}
	ts.call(t, "GET", "/api/v1/basemap/tiles/15/0/0.mvt", "", nil).want(t, 204)
	ts.call(t, "GET", "/api/v1/basemap/tiles/15/99999/0.mvt", "", nil).want(t, 404, "tile_not_found")
	ts.call(t, "GET", "/api/v1/basemap/tiles/x/1/1.mvt", "", nil).want(t, 400, "invalid_tile")

	// Glyphs and sprites of the style.
	if g := ts.call(t, "GET", "/api/v1/basemap/glyphs/Noto%20Sans%20Regular,Arial/0-255.pbf", "", nil).want(t, 200); len(g.Raw) < 1000 {
		t.Errorf("glyphs: %d bytes", len(g.Raw))
	}
	ts.call(t, "GET", "/api/v1/basemap/glyphs/Comic%20Sans/0-255.pbf", "", nil).want(t, 404, "no_such_glyphs")
	var sprite map[string]any
	if err := json.Unmarshal(ts.call(t, "GET", "/api/v1/basemap/sprites/light.json", "", nil).want(t, 200).Raw, &sprite); err != nil || sprite["townspot"] == nil {
		t.Errorf("sprite index: %v %v", err, sprite)
	}
	ts.call(t, "GET", "/api/v1/basemap/sprites/dark.png", "", nil).want(t, 404, "no_such_sprite")

	// Geocoding: a street by its abbreviation, a village with a typo, a POI
	// of the caller's room, a layer feature; another room's POI stays hidden.
	hit := func(token, q string) (name, kind, source string) {
		t.Helper()
		r := ts.call(t, "GET", "/api/v1/geocode?q="+q+"&lat=50.02&lon=11.53", token, nil).want(t, 200)
		fs := r.Body["features"].([]any)
		if len(fs) == 0 {
			return "", "", ""
		}
		p := fs[0].(map[string]any)["properties"].(map[string]any)
		return p["name"].(string), p["kind"].(string), p["source"].(string)
	}
	if n, k, s := hit(f.member, "Kulmbacher%20Str"); n != "Kulmbacher Straße" || k != "street" || s != "osm" {
		t.Errorf("Kulmbacher Str: %s %s %s", n, k, s)
	}
	if n, k, _ := hit(f.member, "Neudrosenfeld"); n != "Neudrossenfeld" || k != "place" {
		t.Errorf("Neudrosenfeld: %s %s", n, k)
	}
	ts.call(t, "POST", "/api/v1/rooms/"+f.room+"/pois", f.lead, map[string]any{"name": "Einsatzleitung Zeltlager", "category": "command_post", "lat": 50.02, "lon": 11.55}).want(t, 201)
	if n, k, s := hit(f.member, "zeltlag"); n != "Einsatzleitung Zeltlager" || k != "poi" || s != "poi" {
		t.Errorf("POI: %s %s %s", n, k, s)
	}
	ts.addUser(t, "other@polizei.example", "Otto")
	if n, _, _ := hit(ts.login(t, "other@polizei.example"), "zeltlag"); n != "" {
		t.Errorf("another room's POI was found: %s", n)
	}
	ts.addUser(t, "admin@polizei.example", "Ada", "admin")
	ts.uploadFile(t, ts.login(t, "admin@polizei.example"), "/api/v1/admin/layers", "kitas.geojson",
		[]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[11.57,50.025]},"properties":{"Name":"Kita Sonnenschein"}}]}`),
		map[string]string{"name": "Kitas"}).want(t, 201)
	if n, k, _ := hit(f.member, "Sonnensch"); n != "Kita Sonnenschein" || k != "layer" {
		t.Errorf("layer feature: %s %s", n, k)
	}
	ts.call(t, "GET", "/api/v1/geocode?q=", f.member, nil).want(t, 400, "invalid_query")
	ts.call(t, "GET", "/api/v1/geocode?q="+strings.Repeat("a", 101), f.member, nil).want(t, 400, "invalid_query")
	ts.call(t, "GET", "/api/v1/geocode?q=Harsdorf&limit=0", f.member, nil).want(t, 400, "invalid_limit")
	ts.call(t, "GET", "/api/v1/geocode?q=Harsdorf&lat=NaN&lon=11", f.member, nil).want(t, 400, "invalid_position")
	ts.call(t, "GET", "/api/v1/geocode?q=Harsdorf", "", nil).want(t, 401)
	if r := ts.call(t, "GET", "/api/v1/geocode?q=Harsdorf&limit=3", f.member, nil).want(t, 200); len(r.Body["features"].([]any)) > 3 {
		t.Errorf("limit 3 gave %d", len(r.Body["features"].([]any)))
	}
}

func TestBasemapFlagRefusesOtherFiles(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	for _, bad := range []string{"map.png", filepath.Join(t.TempDir(), "missing.mbtiles"), filepath.Join(t.TempDir(), "missing.pmtiles")} {
		if _, _, err := openBasemap(context.Background(), bad, log); err == nil {
			t.Errorf("--basemap %s was taken", bad)
		}
	}
}
