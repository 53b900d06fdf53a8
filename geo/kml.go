package geo

import (
	"fmt"
	"image/color"
	"io"
	"time"

	"github.com/twpayne/go-geom"
	geomkml "github.com/twpayne/go-geom/encoding/kml"
	"github.com/twpayne/go-kml/v3"
)

// Placemark is one named geometry of a KML document. Begin and End, when
// set, give it a time span (a track's first and last point); Color
// ("#rrggbb"), when set, its line colour and a light fill.
type Placemark struct {
	Name, Description string
	Geometry          geom.T
	Begin, End        time.Time
	Color             string
}

// Folder groups placemarks.
type Folder struct {
	Name       string
	Placemarks []Placemark
}

// WriteKML writes a KML 2.2 document with the folders, valid against OGC's
// schema: a Placemark's children in the schema's order (name, description,
// the time span, then the geometry).
func WriteKML(w io.Writer, name string, folders []Folder) error {
	var children []kml.Element
	children = append(children, kml.Name(name))
	for _, f := range folders {
		elems := []kml.Element{kml.Name(f.Name)}
		for _, p := range f.Placemarks {
			g, err := geomkml.Encode(p.Geometry)
			if err != nil {
				return err
			}
			pm := []kml.Element{kml.Name(p.Name), kml.Description(p.Description)}
			if !p.Begin.IsZero() {
				pm = append(pm, kml.TimeSpan(kml.Begin(p.Begin), kml.End(p.End)))
			}
			if line, ok := kmlColor(p.Color, 0xff); ok {
				fill, _ := kmlColor(p.Color, 0x40)
				pm = append(pm, kml.Style(kml.LineStyle(kml.Color(line), kml.Width(3)), kml.PolyStyle(kml.Color(fill))))
			}
			elems = append(elems, kml.Placemark(append(pm, g)...))
		}
		children = append(children, kml.Folder(elems...))
	}
	return kml.KML(kml.Document(children...)).WriteIndent(w, "", "  ")
}

// TrackGeometry is a track as a KML/GeoJSON geometry: a LineString, or a
// Point when it has one position.
func TrackGeometry(ps []Position) geom.T {
	if len(ps) == 1 {
		return geom.NewPointFlat(geom.XY, []float64{ps[0].Lon, ps[0].Lat})
	}
	flat := make([]float64, 0, 2*len(ps))
	for _, p := range ps {
		flat = append(flat, p.Lon, p.Lat)
	}
	return geom.NewLineStringFlat(geom.XY, flat)
}

// kmlColor turns "#rrggbb" into KML's colour (alpha, blue, green, red).
// KML's colours are not premultiplied; go-kml writes a color.RGBA's
// channels as they are, so the plain channels go into one.
func kmlColor(hex string, alpha uint8) (color.RGBA, bool) {
	var r, g, b uint8
	if len(hex) != 7 || hex[0] != '#' {
		return color.RGBA{}, false
	}
	if _, err := fmt.Sscanf(hex[1:], "%02x%02x%02x", &r, &g, &b); err != nil {
		return color.RGBA{}, false
	}
	return color.RGBA{R: r, G: g, B: b, A: alpha}, true
}
