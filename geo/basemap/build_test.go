package basemap

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"

	"github.com/einsatzraum/einsatzraum/geo"
	"github.com/einsatzraum/einsatzraum/geo/geocode"
)

// shippedExtract is the demo's extract (cmd/einsatzraum/demodata/SOURCES.md).
const shippedExtract = "../../cmd/einsatzraum/demodata/north-bayreuth.osm.gz"

var (
	extractOnce sync.Once
	extract     *Extract
	extractErr  error
)

func readShipped(t testing.TB) *Extract {
	t.Helper()
	extractOnce.Do(func() { extract, extractErr = ReadFile(context.Background(), shippedExtract) })
	if extractErr != nil {
		t.Fatal(extractErr)
	}
	return extract
}

func TestReadShippedExtract(t *testing.T) {
	ext := readShipped(t)
	count := map[string]int{}
	for _, f := range ext.Features {
		count[f.Layer]++
	}
	// The extract's own figures (SOURCES.md): 4,269 buildings, 2,122 named
	// highways; a few ways leave the extract and are dropped.
	if count[LayerBuildings] < 4200 || count[LayerBuildings] > 4269 {
		t.Errorf("buildings %d, want about 4,269", count[LayerBuildings])
	}
	if count[LayerRoads] < 1900 || count[LayerWater] < 100 || count[LayerLanduse] < 500 || count[LayerPlaces] < 60 {
		t.Errorf("features per layer %v: too few", count)
	}
	kinds := map[string]int{}
	find := func(name, kind string) Place {
		for _, p := range ext.Places {
			if p.Name == name && p.Kind == kind {
				return p
			}
		}
		t.Fatalf("no %s %q in the index", kind, name)
		return Place{}
	}
	for _, p := range ext.Places {
		kinds[p.Kind]++
	}
	if kinds[KindPlace] < 60 || kinds[KindStreet] < 100 || kinds[KindAddress] < 400 || kinds[KindPOI] < 20 {
		t.Errorf("index entries per kind %v: too few", kinds)
	}
	if p := find("Neudrossenfeld", KindPlace); p.Class != "village" || !nearly(p.Lat, 50.0183, 0.001) || !nearly(p.Lon, 11.5011, 0.001) {
		t.Errorf("Neudrossenfeld at %+v", p)
	}
	find("Kulmbacher Straße", KindStreet)
	var schools, kitas int
	for _, o := range ext.Objects {
		switch o.Tags["amenity"] {
		case "school":
			schools++
		case "kindergarten":
			kitas++
		}
	}
	if kitas != 3 || schools != 0 {
		t.Errorf("kindergartens %d, schools %d: the extract tags 3 and 0", kitas, schools)
	}
}

func nearly(a, b, eps float64) bool { return a-b < eps && b-a < eps }

func TestBuildShippedExtract(t *testing.T) {
	ext := readShipped(t)
	out := filepath.Join(t.TempDir(), "bayreuth.mbtiles")
	calls, lastTotal := 0, 0
	stats, err := Build(context.Background(), ext, out, BuildOptions{Name: "north-bayreuth", Progress: func(done, total int) {
		calls++
		lastTotal = total
		if done > total {
			t.Errorf("progress %d of %d", done, total)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls != lastTotal || calls < stats.Tiles {
		t.Errorf("progress called %d times for %d tiles to render, %d written", calls, lastTotal, stats.Tiles)
	}
	// Below z6 every way of a 9 km extract is shorter than a pixel (and
	// its places are villages, drawn from z10): those zooms stay empty.
	for z := 6; z <= 16; z++ {
		if stats.TilesPerZ[z] == 0 {
			t.Errorf("zoom %d has no tile", z)
		}
	}
	// The extract is about 9 x 8 km (more where ways leave it): at z16 a
	// tile is about 390 m wide there.
	if n := stats.TilesPerZ[16]; n < 500 || n > 2500 {
		t.Errorf("z16 has %d tiles, want 500-2500", n)
	}
	if _, err := os.Stat(out + ".building"); !os.IsNotExist(err) {
		t.Errorf("the temporary file is left: %v", err)
	}

	m, err := OpenMBTiles(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Metadata.MaxZoom != 16 || m.Metadata.Name != "north-bayreuth" || !strings.Contains(m.Metadata.Attribution, "OpenStreetMap contributors") {
		t.Errorf("metadata %+v", m.Metadata)
	}
	b := m.Metadata.Bounds
	if b[0] > 11.49 || b[2] < 11.60 || b[1] > 49.98 || b[3] < 50.04 {
		t.Errorf("bounds %v do not cover the extract", b)
	}

	// A named street is in the tile that holds it, as a road with its name.
	var street Place
	for _, p := range ext.Places {
		if p.Kind == KindStreet && p.Name == "Kulmbacher Straße" {
			street = p
		}
	}
	layers := tileAt(t, m, orb.Point{street.Lon, street.Lat}, 15)
	if !hasFeature(layers, LayerRoads, func(props map[string]any) bool { return props["name"] == "Kulmbacher Straße" }) {
		t.Errorf("no road named Kulmbacher Straße in the z15 tile at %v", street)
	}
	// Water is drawn where the extract has water: the biggest lake's tile
	// holds a water polygon.
	var lake orb.Polygon
	for _, f := range ext.Features {
		if p, ok := f.Geometry.(orb.Polygon); ok && f.Layer == LayerWater && planar.Area(p) > planar.Area(lake) {
			lake = p
		}
	}
	if lake == nil {
		t.Fatal("the extract has no water polygon")
	}
	centre, _ := planar.CentroidArea(lake)
	layers = tileAt(t, m, centre, 14)
	if !hasFeature(layers, LayerWater, func(map[string]any) bool { return true }) {
		t.Errorf("no water in the z14 tile at the lake's centre %v", centre)
	}
	for _, l := range layers {
		if l.Version != 2 || l.Extent != 4096 {
			t.Errorf("layer %s: version %d extent %d, want 2 and 4096", l.Name, l.Version, l.Extent)
		}
	}
	// Buildings from z14 only; no tile outside the extract.
	if hasFeature(tileAt(t, m, centre, 13), LayerBuildings, func(map[string]any) bool { return true }) {
		t.Error("buildings in a z13 tile")
	}
	if data, err := m.Tile(context.Background(), 14, 0, 0); err != nil || data != nil {
		t.Errorf("a tile far from the extract: %d bytes, %v", len(data), err)
	}

	// The geocoding index travels in the file.
	places, err := m.Places(context.Background())
	if err != nil || len(places) != len(ext.Places) {
		t.Fatalf("places in the file: %d (%v), want %d", len(places), err, len(ext.Places))
	}
}

func tileAt(t *testing.T, m *MBTiles, p orb.Point, z maptile.Zoom) mvt.Layers {
	t.Helper()
	tile := maptile.At(p, z)
	data, err := m.Tile(context.Background(), uint32(z), tile.X, tile.Y)
	if err != nil {
		t.Fatal(err)
	}
	if data == nil {
		return nil
	}
	layers, err := mvt.UnmarshalGzipped(data)
	if err != nil {
		t.Fatalf("tile %v: %v", tile, err)
	}
	return layers
}

func hasFeature(layers mvt.Layers, name string, match func(map[string]any) bool) bool {
	for _, l := range layers {
		if l.Name != name {
			continue
		}
		for _, f := range l.Features {
			if match(f.Properties) {
				return true
			}
		}
	}
	return false
}

// A multipolygon of two open outer ways and an inner ring becomes one
// polygon with a hole; its rings are wound as the tile spec wants.
const multipolygonOSM = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="50.00" lon="11.50"/><node id="2" lat="50.00" lon="11.52"/>
 <node id="3" lat="50.02" lon="11.52"/><node id="4" lat="50.02" lon="11.50"/>
 <node id="5" lat="50.005" lon="11.505"/><node id="6" lat="50.005" lon="11.51"/><node id="7" lat="50.01" lon="11.51"/>
 <node id="8" lat="50.01" lon="11.51"><tag k="place" v="village"/><tag k="name" v="Seedorf"/></node>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/></way>
 <way id="11"><nd ref="1"/><nd ref="4"/><nd ref="3"/></way>
 <way id="12"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="5"/></way>
 <way id="13"><nd ref="1"/><nd ref="99"/><nd ref="2"/><tag k="highway" v="residential"/><tag k="name" v="Seeweg"/></way>
 <relation id="20"><member type="way" ref="10" role="outer"/><member type="way" ref="11" role="outer"/>
  <member type="way" ref="12" role="inner"/><tag k="type" v="multipolygon"/><tag k="natural" v="water"/></relation>
</osm>`

func TestMultipolygonAndMissingNodes(t *testing.T) {
	ext, err := Read(context.Background(), strings.NewReader(multipolygonOSM), false)
	if err != nil {
		t.Fatal(err)
	}
	var water orb.MultiPolygon
	var road orb.LineString
	for _, f := range ext.Features {
		switch g := f.Geometry.(type) {
		case orb.MultiPolygon:
			water = g
		case orb.LineString:
			road = g
		}
	}
	if len(water) != 1 || len(water[0]) != 2 {
		t.Fatalf("water %v, want one polygon with one hole", water)
	}
	if len(water[0][0]) != 5 {
		t.Errorf("outer ring %v: want the two ways joined into 4 corners and the closing point", water[0][0])
	}
	if len(road) != 2 {
		t.Errorf("road %v: the missing node is skipped, the two known ones kept", road)
	}
	got := geo.OrientForTile(orb.Clone(water[0]).(orb.Polygon)).(orb.Polygon)
	if got[0].Orientation() != orb.CCW || got[1].Orientation() != orb.CW {
		t.Errorf("after orient: outer %v, inner %v", got[0].Orientation(), got[1].Orientation())
	}
	var streets []string
	for _, p := range ext.Places {
		streets = append(streets, p.Kind+":"+p.Name)
	}
	if strings.Join(streets, ",") != "place:Seedorf,street:Seeweg" {
		t.Errorf("index %v", streets)
	}
}

func TestBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"not xml":  "this is no extract",
		"no nodes": `<osm version="0.6"></osm>`,
		"gzip cut": "\x1f\x8b\x08\x00garbage",
	} {
		if _, err := Read(context.Background(), strings.NewReader(in), false); err == nil {
			t.Errorf("%s: read without an error", name)
		}
	}
	if _, err := Read(context.Background(), strings.NewReader("no pbf"), true); err == nil {
		t.Error("bad PBF read without an error")
	}
	ext, err := Read(context.Background(), strings.NewReader(multipolygonOSM), false)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "x.mbtiles")
	if _, err := Build(context.Background(), ext, out, BuildOptions{MinZoom: 5, MaxZoom: 30}); err == nil {
		t.Error("zoom 30 was taken")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, ext, out, BuildOptions{}); err == nil {
		t.Error("a cancelled build succeeded")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed build left %s: %v", out, err)
	}
	if _, err := OpenMBTiles(context.Background(), filepath.Join(t.TempDir(), "missing.mbtiles")); err == nil {
		t.Error("a missing file opened")
	}
}

func TestGlyphsAndSprites(t *testing.T) {
	if b, ok := Glyphs("Noto Sans Regular", "0-255"); !ok || len(b) < 1000 {
		t.Errorf("Latin glyphs: %d bytes, %v", len(b), ok)
	}
	if b, ok := Glyphs("Arial Unicode MS,Noto Sans Medium", "256-511"); !ok || len(b) < 1000 {
		t.Errorf("a stack falls back to a served font: %d bytes, %v", len(b), ok)
	}
	if b, ok := Glyphs("Noto Sans Regular", "9472-9727"); !ok || len(b) != 0 {
		t.Errorf("a range no font has is empty: %d bytes, %v", len(b), ok)
	}
	for _, bad := range [][2]string{{"Comic Sans", "0-255"}, {"Noto Sans Regular", "../OFL"}, {"Noto Sans Regular", "0-255.pbf"}} {
		if _, ok := Glyphs(bad[0], bad[1]); ok {
			t.Errorf("Glyphs(%q, %q) served", bad[0], bad[1])
		}
	}
	if b, ok := Sprite("light@2x.png"); !ok || len(b) < 1000 {
		t.Errorf("sprite: %d bytes, %v", len(b), ok)
	}
	if _, ok := Sprite("../style.go"); ok {
		t.Error("a path outside the sprites was served")
	}
}

func BenchmarkBuild(b *testing.B) {
	ext := readShipped(b)
	dir := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stats, err := Build(context.Background(), ext, filepath.Join(dir, "b.mbtiles"), BuildOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(stats.Tiles), "tiles")
	}
	b.ReportMetric(float64(b.N)*float64(len(ext.Features))/b.Elapsed().Seconds(), "features/s")
}

func BenchmarkTileRead(b *testing.B) {
	ext := readShipped(b)
	out := filepath.Join(b.TempDir(), "b.mbtiles")
	if _, err := Build(context.Background(), ext, out, BuildOptions{}); err != nil {
		b.Fatal(err)
	}
	m, err := OpenMBTiles(context.Background(), out)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	var tiles []maptile.Tile
	for _, p := range ext.Places {
		tiles = append(tiles, maptile.At(orb.Point{p.Lon, p.Lat}, 16))
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			tl := tiles[i%len(tiles)]
			if _, err := m.Tile(context.Background(), 16, tl.X, tl.Y); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tiles/s")
}

func BenchmarkGeocodeShipped(b *testing.B) {
	ext := readShipped(b)
	entries := make([]geocode.Entry, len(ext.Places))
	for i, p := range ext.Places {
		entries[i] = geocode.Entry{Name: p.Name, Kind: p.Kind, Lon: p.Lon, Lat: p.Lat}
	}
	ix := geocode.NewIndex(entries)
	queries := []string{"Kulmbacher Str", "Neudrosenfeld", "Harsdorf", "Bahnhofstr", "Feuerwehr"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q, _ := geocode.NewQuery(queries[i%len(queries)])
		ix.Search(q, &geocode.Near{Lon: 11.53, Lat: 50.01}, 10)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}
