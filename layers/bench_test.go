package layers

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/einsatzraum/einsatzraum/geo"
)

var (
	millionOnce  sync.Once
	millionLayer *Layer
)

// million is a layer of 10^6 points over northern Germany (8-12°E,
// 52.5-54.5°N), half of them within 20 km of Hamburg's centre.
func million() *Layer {
	millionOnce.Do(func() {
		r := rand.New(rand.NewPCG(11, 12))
		fs := make([]Feature, 1_000_000)
		for i := range fs {
			var p orb.Point
			if i%2 == 0 {
				p = orb.Point{8 + r.Float64()*4, 52.5 + r.Float64()*2}
			} else {
				p = orb.Point{9.7 + r.Float64()*0.6, 53.4 + r.Float64()*0.35}
			}
			fs[i] = Feature{ID: i, Geometry: p, Properties: map[string]any{"n": float64(i)}}
		}
		millionLayer = NewLayer(Meta{ID: "ly_million", Version: 1}, fs)
	})
	return millionLayer
}

// BenchmarkBBox1M queries boxes of about 2×2 km in the dense area of 10^6
// points, 100 features a page.
func BenchmarkBBox1M(b *testing.B) {
	l := million()
	r := rand.New(rand.NewPCG(1, 1))
	b.ResetTimer()
	for b.Loop() {
		lon, lat := 9.7+r.Float64()*0.55, 53.4+r.Float64()*0.3
		l.InBBox(geo.BBox{MinLon: lon, MinLat: lat, MaxLon: lon + 0.03, MaxLat: lat + 0.018}, -1, 100)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

// BenchmarkNearby1M asks for the 10 nearest features within 1 km.
func BenchmarkNearby1M(b *testing.B) {
	l := million()
	r := rand.New(rand.NewPCG(2, 2))
	b.ResetTimer()
	for b.Loop() {
		l.Nearby(orb.Point{9.7 + r.Float64()*0.6, 53.4 + r.Float64()*0.35}, 1000, 10)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

// BenchmarkTile1M renders tiles over the dense area at zoom 10, 14 and 17,
// each tile once (no cache hits), as a dashboard panning over new ground.
func BenchmarkTile1M(b *testing.B) {
	l := million()
	for _, z := range []maptile.Zoom{10, 14, 17} {
		b.Run(fmt.Sprintf("z=%d", z), func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, uint64(z)))
			var bytes int
			b.ResetTimer()
			for b.Loop() {
				t := maptile.At(orb.Point{9.75 + r.Float64()*0.5, 53.45 + r.Float64()*0.25}, z)
				l.tiles = tileCache{} // render, do not serve from the cache
				data, err := l.Tile(uint32(t.Z), t.X, t.Y)
				if err != nil {
					b.Fatal(err)
				}
				bytes += len(data)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tiles/s")
			b.ReportMetric(float64(bytes)/float64(b.N)/1024, "KiB/tile")
		})
	}
}

// BenchmarkImportGeoJSON1M imports a GeoJSON file of 10^6 points and
// reports features/s and the peak Go heap while importing.
func BenchmarkImportGeoJSON1M(b *testing.B) {
	path := filepath.Join(b.TempDir(), "million.geojson")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	r := rand.New(rand.NewPCG(4, 4))
	fmt.Fprint(w, `{"type":"FeatureCollection","features":[`)
	for i := range 1_000_000 {
		if i > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, `{"type":"Feature","geometry":{"type":"Point","coordinates":[%.6f,%.6f]},"properties":{"name":"Punkt %d","kind":"test"}}`,
			8+r.Float64()*4, 52.5+r.Float64()*2, i)
	}
	fmt.Fprint(w, `]}`)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	info, _ := os.Stat(path)
	b.ResetTimer()
	var peak, kept uint64
	for b.Loop() {
		done := make(chan struct{})
		go func() { peak = max(peak, samplePeakHeap(done)) }()
		in, _ := os.Open(path)
		fs, err := ReadGeoJSON(in, WGS84, nil)
		in.Close()
		close(done)
		if err != nil || len(fs) != 1_000_000 {
			b.Fatalf("%d features, %v", len(fs), err)
		}
		kept = liveHeap() // what the imported features hold, after a GC
		runtime.KeepAlive(fs)
	}
	b.ReportMetric(float64(b.N)*1e6/b.Elapsed().Seconds(), "features/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(kept)/(1<<20), "kept-heap-MiB")
	b.ReportMetric(float64(info.Size())/(1<<20), "file-MiB")
}

// samplePeakHeap returns the largest live heap seen every 5 ms until done.
func samplePeakHeap(done chan struct{}) uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		metrics.Read(s)
		peak = max(peak, s[0].Value.Uint64())
		select {
		case <-done:
			return peak
		case <-t.C:
		}
	}
}

func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
