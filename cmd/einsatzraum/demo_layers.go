package main

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"log/slog"
	"sort"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo/basemap"
	"github.com/einsatzraum/einsatzraum/layers"
)

// demoData holds the OpenStreetMap extract of the demo (see its SOURCES.md).
//
//go:embed demodata
var demoData embed.FS

// demoExtractFile is the extract `make run` builds the basemap from.
const demoExtractFile = "demodata/north-bayreuth.osm.gz"

// readDemoExtract reads the embedded extract: the demo's routes and data
// layers come from it.
func readDemoExtract(ctx context.Context) (*basemap.Extract, error) {
	b, err := demoData.ReadFile(demoExtractFile)
	if err != nil {
		return nil, err
	}
	return basemap.Read(ctx, bytes.NewReader(b), false)
}

// demoLayers are the extract's objects imported as data layers, each by
// its amenity tag.
var demoLayers = []struct {
	name, amenity string
}{
	{"Schulen (OSM)", "school"},
	{"Kindergärten (OSM)", "kindergarten"},
	{"Feuerwehren (OSM)", "fire_station"},
}

// seedDemoLayers imports the demo layers unless layers of their names
// exist: the extract's objects of each amenity inside the demo area, with
// all their OpenStreetMap tags as properties. They are imported as the
// operator at the command line would (audited), like any other layer. An
// amenity the extract does not hold gives no (empty) layer.
func seedDemoLayers(ctx context.Context, svc *einsatzraum.Service, ext *basemap.Extract, log *slog.Logger) error {
	have := map[string]bool{}
	list, err := svc.Layers(nil)
	if err != nil {
		return err
	}
	for _, m := range list {
		have[m.Name] = true
	}
	for _, dl := range demoLayers {
		if have[dl.name] {
			continue
		}
		fs := amenityFeatures(ext, dl.amenity)
		if len(fs) == 0 {
			log.Info("demo layer skipped: the extract holds no such object", "layer", dl.name, "amenity", dl.amenity)
			continue
		}
		meta, err := svc.ImportLayer(ctx, nil, dl.name, fs)
		if err != nil {
			return fmt.Errorf("demo layer %s: %w", dl.name, err)
		}
		log.Info("demo layer imported", "layer", meta.Name, "features", meta.Count)
	}
	return nil
}

// amenityFeatures are the extract's objects tagged amenity=value inside
// the demo area, as layer features in a stable order.
func amenityFeatures(ext *basemap.Extract, value string) []layers.Feature {
	var objs []basemap.Object
	for _, o := range ext.Objects {
		if o.Tags["amenity"] == value && demoArea.Contains(o.Point) {
			objs = append(objs, o)
		}
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].ID < objs[j].ID })
	fs := make([]layers.Feature, len(objs))
	for i, o := range objs {
		props := map[string]any{"osm_id": o.ID}
		for k, v := range o.Tags {
			props[k] = v
		}
		fs[i] = layers.Feature{ID: i, Geometry: o.Point, Properties: props}
	}
	return fs
}
