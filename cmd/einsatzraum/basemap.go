package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo/basemap"
	"github.com/einsatzraum/einsatzraum/geo/geocode"
	"github.com/einsatzraum/einsatzraum/web"
)

// runBasemapBuild builds an offline basemap (vector tiles and the
// geocoding index in one MBTiles file) from an OpenStreetMap extract.
func runBasemapBuild(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var osmFile, out, name string
	var minZoom, maxZoom int
	fs := newFlagSet("basemap build", stderr)
	fs.StringVar(&osmFile, "osm", "", "the OpenStreetMap extract: .osm.pbf, .osm or .osm.gz (required)")
	fs.StringVar(&out, "out", "", "the MBTiles file to write; replaced when the build succeeds (required)")
	fs.StringVar(&name, "name", "", "the tileset's name (default: the extract's file name)")
	fs.IntVar(&minZoom, "min-zoom", 0, "the first zoom level built")
	fs.IntVar(&maxZoom, "max-zoom", 16, "the last zoom level built (at most 18)")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if osmFile == "" || out == "" || fs.NArg() != 0 {
		return errors.New("usage: einsatzraum basemap build --osm FILE.osm.pbf --out FILE.mbtiles")
	}
	if name == "" {
		name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(filepath.Base(osmFile), ".gz"), ".pbf"), ".osm")
	}
	start := time.Now()
	f, err := os.Open(osmFile)
	if err != nil {
		return fmt.Errorf("open osm extract: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "reading %s\n", osmFile)
	bar := newProgressBar(stderr, info.Size(), "bytes")
	ext, err := basemap.Read(ctx, &progressReader{r: f, bar: bar}, strings.HasSuffix(strings.ToLower(osmFile), ".pbf"))
	bar.done()
	if err != nil {
		return fmt.Errorf("read %s: %w", osmFile, err)
	}
	read := time.Since(start)
	fmt.Fprintf(stderr, "rendering tiles z%d-z%d\n", minZoom, maxZoom)
	tiles := newProgressBar(stderr, 1, "tiles")
	stats, err := basemap.Build(ctx, ext, out, basemap.BuildOptions{MinZoom: minZoom, MaxZoom: maxZoom, Name: name,
		Progress: func(done, total int) {
			tiles.total.Store(int64(total))
			tiles.read.Store(int64(done))
			tiles.feats.Store(int64(done))
		}})
	tiles.done()
	if err != nil {
		return err
	}
	var layers []string
	for l, n := range stats.Features {
		layers = append(layers, fmt.Sprintf("%s %d", l, n))
	}
	sort.Strings(layers)
	fmt.Fprintf(stdout, "built %s: %d tiles (z%d-z%d, %.1f MiB), %d places to search; features: %s; read in %s, total %s\n",
		out, stats.Tiles, minZoom, maxZoom, float64(stats.TotalBytes)/(1<<20), stats.Places, strings.Join(layers, ", "),
		read.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return nil
}

// servedBasemap is the basemap a server serves and closes.
type servedBasemap struct {
	web.Basemap
}

// Close releases the MBTiles file, if one is open.
func (b servedBasemap) Close() {
	if b.MBTiles != nil {
		_ = b.MBTiles.Close()
	}
}

// openBasemap opens the --basemap file: an MBTiles file (its places become
// the geocoding index, marked as OpenStreetMap's) or a PMTiles file. An
// empty path is no basemap and no index.
func openBasemap(ctx context.Context, path string, log *slog.Logger) (servedBasemap, *geocode.Index, error) {
	switch lower := strings.ToLower(path); {
	case path == "":
		return servedBasemap{}, nil, nil
	case strings.HasSuffix(lower, ".pmtiles"):
		if _, err := os.Stat(path); err != nil {
			return servedBasemap{}, nil, fmt.Errorf("--basemap: %w", err)
		}
		return servedBasemap{web.Basemap{PMTiles: path}}, nil, nil
	case !strings.HasSuffix(lower, ".mbtiles"):
		return servedBasemap{}, nil, fmt.Errorf("--basemap %s: give an .mbtiles or a .pmtiles file", path)
	}
	m, err := basemap.OpenMBTiles(ctx, path)
	if err != nil {
		return servedBasemap{}, nil, fmt.Errorf("--basemap: %w", err)
	}
	places, err := m.Places(ctx)
	if err != nil {
		m.Close()
		return servedBasemap{}, nil, fmt.Errorf("--basemap: %w", err)
	}
	entries := make([]geocode.Entry, len(places))
	for i, p := range places {
		entries[i] = geocode.Entry{Name: p.Name, Kind: p.Kind, Source: einsatzraum.GeocodeSourceOSM, Lon: p.Lon, Lat: p.Lat}
	}
	log.Info("basemap", "file", path, "name", m.Metadata.Name, "max_zoom", m.Metadata.MaxZoom, "places", len(entries))
	return servedBasemap{web.Basemap{MBTiles: m}}, geocode.NewIndex(entries), nil
}
