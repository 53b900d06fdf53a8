package geo

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// stateForce builds a tracker like a state police force: 25,000 officers,
// 5,000 rooms, each officer in two rooms, all around Hamburg.
func stateForce() (*Tracker, [][]string, []Position) {
	const officers, rooms = 25_000, 5_000
	tr := NewTracker(TrackerConfig{Now: func() time.Time { return t0.Add(time.Hour / 2) }})
	r := rand.New(rand.NewPCG(21, 22))
	roomsOf := make([][]string, officers)
	ps := make([]Position, officers)
	for i := range officers {
		roomsOf[i] = []string{fmt.Sprintf("room%d", i%rooms), fmt.Sprintf("room%d", (i/5+1)%rooms)}
		ps[i] = Position{User: fmt.Sprintf("u%05d", i), Lat: 53.4 + r.Float64()*0.35, Lon: 9.7 + r.Float64()*0.6, TS: t0}
		tr.Update(ps[i], roomsOf[i])
	}
	return tr, roomsOf, ps
}

// BenchmarkTrackerUpdate moves officers: each update replaces the latest
// position in both rooms' R-trees.
func BenchmarkTrackerUpdate(b *testing.B) {
	tr, roomsOf, ps := stateForce()
	tr.OnChange(func(string, Position, bool) {}) // as the hub's coalescer
	b.ResetTimer()
	i := 0
	for b.Loop() {
		k := i % len(ps)
		p := ps[k]
		p.TS = t0.Add(time.Duration(i+1) * time.Microsecond)
		p.Lat += 0.00001
		tr.Update(p, roomsOf[k])
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}

// BenchmarkTrackerQueries asks a room for its extent, a bbox and the 5
// nearest within 2 km, as a dashboard does.
func BenchmarkTrackerQueries(b *testing.B) {
	tr, _, _ := stateForce()
	for _, q := range []string{"bbox", "nearby", "extent"} {
		b.Run(q, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				room := fmt.Sprintf("room%d", r.IntN(5000))
				switch q {
				case "bbox":
					tr.InBBox(room, BBox{9.8, 53.45, 10.1, 53.65}, nil)
				case "nearby":
					tr.Nearby(room, orb.Point{10, 53.55}, 2000, 5, nil)
				case "extent":
					tr.RoomExtent(room, nil)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
		})
	}
}
