package layers

import (
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/einsatzraum/einsatzraum/geo/geocode"
)

// nameKeys are the property keys (in any case) that hold a feature's name,
// in the order they are tried: OSM's name, the Hamburg schools' Name, the
// German "Bezeichnung" of many authorities' files.
var nameKeys = []string{"name", "bezeichnung", "schulname", "kitaname", "einrichtung", "titel", "title"}

// Name is the feature's name from the first property that holds one, or "".
func (f Feature) Name() string {
	for _, want := range nameKeys {
		for k, v := range f.Properties {
			if s, ok := v.(string); ok && s != "" && strings.EqualFold(k, want) {
				return s
			}
		}
	}
	return ""
}

// Names is the layer's features indexed by name for the geocoder (built on
// first use, then kept with this version of the layer). Entries are of
// kind "layer" with the layer's ID as source and the feature's ID as Ref;
// lines and areas are found at the centre of their bounding box.
func (l *Layer) Names() *geocode.Index {
	l.namesOnce.Do(func() {
		var entries []geocode.Entry
		for _, f := range l.features {
			name := f.Name()
			if name == "" {
				continue
			}
			at, ok := f.Geometry.(orb.Point)
			if !ok {
				at = f.Geometry.Bound().Center()
			}
			entries = append(entries, geocode.Entry{Name: name, Kind: "layer", Source: l.ID, Lon: at[0], Lat: at[1], Ref: strconv.Itoa(f.ID)})
		}
		l.names = geocode.NewIndex(entries)
	})
	return l.names
}
