package main

import (
	"bytes"
	"context"
	"embed"
	"log/slog"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/layers"
)

// demoData holds the real open data of the demo's layers (see its SOURCES.md).
//
//go:embed demodata
var demoData embed.FS

var demoLayers = []struct {
	name, file string
}{
	{"Schulen (Hamburg)", "demodata/hamburg-schulen-wgs84.geojson"},
	{"Kitas (Berlin)", "demodata/berlin-kitas.csv"},
}

// seedDemoLayers imports the demo layers unless layers of their names exist.
// They are imported as the operator at the command line would (audited).
func seedDemoLayers(ctx context.Context, svc *einsatzraum.Service, log *slog.Logger) error {
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
		b, err := demoData.ReadFile(dl.file)
		if err != nil {
			return err
		}
		var fs []layers.Feature
		if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
			fs, err = layers.ReadGeoJSON(bytes.NewReader(b), layers.WGS84, nil)
		} else {
			fs, err = layers.ReadCSV(bytes.NewReader(b), layers.WGS84, layers.CSVOptions{}, nil)
		}
		if err != nil {
			return err
		}
		meta, err := svc.ImportLayer(ctx, nil, dl.name, fs)
		if err != nil {
			return err
		}
		log.Info("demo layer imported", "layer", meta.Name, "features", meta.Count)
	}
	return nil
}
