package basemap

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"

	"github.com/einsatzraum/einsatzraum/geo"
)

// Attribution is what a map built from OpenStreetMap data must show.
const Attribution = `© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap contributors</a>`

// BuildOptions are the zoom range of a build and where its progress goes.
type BuildOptions struct {
	MinZoom, MaxZoom int                   // 0 and 16 when both are 0
	Name             string                // the tileset's name in its metadata
	Progress         func(done, total int) // called after every tile; may be nil
}

// BuildStats says what a build made.
type BuildStats struct {
	Tiles      int            // tiles written (empty ones are left out)
	TilesPerZ  map[int]int    // tiles written per zoom
	Features   map[string]int // features of the extract per layer
	Places     int            // geocoding entries
	TotalBytes int            // gzipped tile bytes
}

// Build renders the extract's features into Mapbox Vector Tiles (spec
// version 2, extent 4096) from MinZoom to MaxZoom and writes them, with
// the geocoding index, into a new MBTiles file at path. Each tile holds
// the features its zoom draws (see classify), clipped with a buffer of 64
// units, simplified by Douglas-Peucker to 1/4 pixel (1/16 at the deepest
// zoom), with lines shorter and areas smaller than a pixel left out.
func Build(ctx context.Context, ext *Extract, path string, opt BuildOptions) (BuildStats, error) {
	if opt.MaxZoom == 0 {
		opt.MinZoom, opt.MaxZoom = 0, 16
	}
	if opt.MinZoom < 0 || opt.MaxZoom > 18 || opt.MinZoom > opt.MaxZoom {
		return BuildStats{}, fmt.Errorf("zoom range %d-%d: it must lie within 0-18", opt.MinZoom, opt.MaxZoom)
	}
	stats := BuildStats{TilesPerZ: map[int]int{}, Features: map[string]int{}, Places: len(ext.Places)}
	for _, f := range ext.Features {
		stats.Features[f.Layer]++
	}
	jobs := tileJobs(ext, opt.MinZoom, opt.MaxZoom)
	w, err := createMBTiles(ctx, path)
	if err != nil {
		return stats, err
	}
	ok := false
	defer func() {
		if !ok {
			w.abort()
		}
	}()

	type result struct {
		job  tileJob
		data []byte
		err  error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := make(chan tileJob)
	out := make(chan result, 64)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range in {
				data, err := renderTile(ext, j)
				select {
				case out <- result{j, data, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(in)
		for _, j := range jobs {
			select {
			case in <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()

	done := 0
	for r := range out {
		if r.err != nil {
			return stats, r.err
		}
		done++
		if r.data != nil {
			if err := w.tile(ctx, r.job.z, r.job.x, r.job.y, r.data); err != nil {
				return stats, err
			}
			stats.Tiles++
			stats.TilesPerZ[int(r.job.z)]++
			stats.TotalBytes += len(r.data)
		}
		if opt.Progress != nil {
			opt.Progress(done, len(jobs))
		}
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	if err := w.places(ctx, ext.Places); err != nil {
		return stats, err
	}
	b := ext.Bound
	name := opt.Name
	if name == "" {
		name = "Einsatzraum basemap"
	}
	if err := w.finish(ctx, Metadata{Name: name, MinZoom: opt.MinZoom, MaxZoom: opt.MaxZoom,
		Bounds: [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, Attribution: Attribution}); err != nil {
		return stats, err
	}
	ok = true
	return stats, nil
}

// tileJob is one tile to render and the features that may touch it.
type tileJob struct {
	z, x, y  uint32
	features []int
}

// tileBuffer is the share of a tile around it whose features are drawn
// into it, so lines and areas do not end at the tile's edge (64/4096).
const tileBuffer = 1.0 / 64

// tileJobs lists, for every zoom, the tiles touched by the features that
// zoom draws, in zoom, x, y order.
func tileJobs(ext *Extract, minZ, maxZ int) []tileJob {
	var jobs []tileJob
	for z := minZ; z <= maxZ; z++ {
		byTile := map[[2]uint32][]int{}
		for i, f := range ext.Features {
			if f.MinZoom > z {
				continue
			}
			b := f.Geometry.Bound()
			lo := maptile.Fraction(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z)) // north-west
			hi := maptile.Fraction(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z)) // south-east
			n := float64(uint32(1) << z)
			x0, x1 := clampTile(lo[0]-tileBuffer, n), clampTile(hi[0]+tileBuffer, n)
			y0, y1 := clampTile(lo[1]-tileBuffer, n), clampTile(hi[1]+tileBuffer, n)
			for x := x0; x <= x1; x++ {
				for y := y0; y <= y1; y++ {
					byTile[[2]uint32{x, y}] = append(byTile[[2]uint32{x, y}], i)
				}
			}
		}
		keys := make([][2]uint32, 0, len(byTile))
		for k := range byTile {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i][0] != keys[j][0] {
				return keys[i][0] < keys[j][0]
			}
			return keys[i][1] < keys[j][1]
		})
		for _, k := range keys {
			jobs = append(jobs, tileJob{z: uint32(z), x: k[0], y: k[1], features: byTile[k]})
		}
	}
	return jobs
}

func clampTile(f, n float64) uint32 {
	return uint32(math.Max(0, math.Min(n-1, math.Floor(f))))
}

// renderTile makes one gzipped tile; nil when nothing is left in it.
func renderTile(ext *Extract, j tileJob) ([]byte, error) {
	fcs := map[string]*geojson.FeatureCollection{}
	for _, i := range j.features {
		f := ext.Features[i]
		gf := geojson.NewFeature(orb.Clone(f.Geometry))
		gf.Properties["class"] = f.Class
		if f.Name != "" && f.Layer != LayerLanduse && f.Layer != LayerBuildings {
			gf.Properties["name"] = f.Name
		}
		if fcs[f.Layer] == nil {
			fcs[f.Layer] = geojson.NewFeatureCollection()
		}
		fcs[f.Layer].Append(gf)
	}
	layers := mvt.NewLayers(fcs)
	tile := maptile.New(j.x, j.y, maptile.Zoom(j.z))
	layers.ProjectToTile(tile)
	layers.Clip(mvt.MapboxGLDefaultExtentBound)
	tolerance := 16.0 // 4096 units are 256 px: 1/4 pixel
	if j.z >= 16 {
		tolerance = 4
	}
	layers.Simplify(simplify.DouglasPeucker(tolerance))
	layers.RemoveEmpty(16, 256) // a pixel long, a pixel square
	kept := layers[:0]
	for _, l := range layers {
		l.Version = 2
		for _, f := range l.Features {
			f.Geometry = geo.OrientForTile(f.Geometry)
		}
		if len(l.Features) > 0 {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		return nil, nil
	}
	sort.Slice(kept, func(a, b int) bool { return kept[a].Name < kept[b].Name })
	data, err := mvt.MarshalGzipped(kept)
	if err != nil {
		return nil, fmt.Errorf("encode tile %d/%d/%d: %w", j.z, j.x, j.y, err)
	}
	return data, nil
}
