package geo

import (
	"io"
	"time"

	"github.com/twpayne/go-geom"
	geomkml "github.com/twpayne/go-geom/encoding/kml"
	"github.com/twpayne/go-kml/v3"
)

// Placemark is one named geometry of a KML document. Begin and End, when
// set, give it a time span (a track's first and last point).
type Placemark struct {
	Name, Description string
	Geometry          geom.T
	Begin, End        time.Time
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
