package geo

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twpayne/go-geom"
)

// TestKMLIsValidAgainstOGCSchema writes POIs and tracks with time spans
// and has xmllint check the document against OGC's KML 2.2 schema
// (testdata/kml; the export once put every TimeSpan after its geometry,
// 40 schema errors).
func TestKMLIsValidAgainstOGCSchema(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmllint is missing in CI: make test installs libxml2-utils")
		}
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	track := TrackGeometry([]Position{{Lat: 50.01, Lon: 11.50, TS: t0}, {Lat: 50.02, Lon: 11.51, TS: t0.Add(time.Minute)}})
	var buf bytes.Buffer
	err = WriteKML(&buf, "Lage <Neudrossenfeld> & Umgebung", []Folder{
		{Name: "POIs", Placemarks: []Placemark{{Name: "Befehlsstelle", Description: "BefKw & Zelt", Geometry: geom.NewPointFlat(geom.XY, []float64{11.5015, 50.0166})}}},
		{Name: "Tracks", Placemarks: []Placemark{
			{Name: "Fuchs 14/21", Description: "Jan Petersen", Geometry: track, Begin: t0, End: t0.Add(time.Minute)},
			{Name: "Fuchs 14/22", Geometry: TrackGeometry([]Position{{Lat: 50, Lon: 11.5, TS: t0}}), Begin: t0, End: t0},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "lage.kml")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", filepath.Join("testdata", "kml", "ogckml22.xsd"), file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "validates") {
		t.Fatalf("xmllint: %v\n%s\n%s", err, out, buf.String())
	}
}
