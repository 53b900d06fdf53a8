package geo

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"

	"github.com/einsatzraum/einsatzraum/einsatzraum/testenv"
)

// TestKMLIsValidAgainstOGCSchema writes POIs and tracks with time spans
// and has xmllint check the document against OGC's KML 2.2 schema
// (testdata/kml; the export once put every TimeSpan after its geometry,
// 40 schema errors).
func TestKMLIsValidAgainstOGCSchema(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	track := TrackGeometry([]Position{{Lat: 50.01, Lon: 11.50, TS: t0}, {Lat: 50.02, Lon: 11.51, TS: t0.Add(time.Minute)}})
	var buf bytes.Buffer
	err := WriteKML(&buf, "Lage <Neudrossenfeld> & Umgebung", []Folder{
		{Name: "POIs", Placemarks: []Placemark{{Name: "Befehlsstelle", Description: "BefKw & Zelt", Geometry: geom.NewPointFlat(geom.XY, []float64{11.5015, 50.0166})}}},
		{Name: "Tracks", Placemarks: []Placemark{
			{Name: "Fuchs 14/21", Description: "Jan Petersen", Geometry: track, Begin: t0, End: t0.Add(time.Minute)},
			{Name: "Fuchs 14/22", Geometry: TrackGeometry([]Position{{Lat: 50, Lon: 11.5, TS: t0}}), Begin: t0, End: t0},
		}},
		{Name: "Drawings", Placemarks: []Placemark{
			{Name: "Absperrung", Description: "cordon", Color: "#d50000", Geometry: geom.NewPolygonFlat(geom.XY,
				[]float64{11.50, 50.01, 11.52, 50.01, 11.52, 50.02, 11.50, 50.01}, []int{8})},
			{Name: "Route", Description: "route", Color: "#0b2545", Geometry: geom.NewLineStringFlat(geom.XY, []float64{11.50, 50.01, 11.52, 50.02})},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	testenv.ValidateXML(t, filepath.Join("testdata", "kml", "ogckml22.xsd"), buf.Bytes())
	if !strings.Contains(buf.String(), "<color>ff0000d5</color>") || !strings.Contains(buf.String(), "<color>400000d5</color>") {
		t.Fatalf("the cordon's colours (aabbggrr) are missing:\n%s", buf.String())
	}
}

func TestCircleRing(t *testing.T) {
	c := orb.Point{11.55, 49.99}
	ring := CircleRing(c, 250, 64)
	if len(ring) != 65 || ring[0] != ring[64] {
		t.Fatalf("ring of %d points, closed %v", len(ring), ring[0] == ring[len(ring)-1])
	}
	for i, p := range ring {
		if d := DistanceM(c, p); math.Abs(d-250) > 0.01 {
			t.Fatalf("corner %d is %.3f m from the centre", i, d)
		}
	}
	if ring[16][0] <= c[0] || math.Abs(ring[16][1]-c[1]) > 1e-4 { // a quarter round: due east
		t.Fatalf("corner 16 at %v, want due east of %v", ring[16], c)
	}
}
