package main

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/paulmach/orb"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

// demoRoutes are walking and driving routes through Hamburg's port and
// centre ([lon, lat], along streets and quays). Officers go back and forth.
var demoRoutes = []struct {
	name     string
	speedMps float64
	path     []orb.Point
}{
	{"Hafenkante", 1.3, []orb.Point{{9.9527, 53.5449}, {9.9590, 53.5452}, {9.9660, 53.5455}, {9.9695, 53.5457}, {9.9750, 53.5450}, {9.9800, 53.5440}, {9.9841, 53.5413}}},
	{"Reeperbahn", 1.2, []orb.Point{{9.9524, 53.5500}, {9.9570, 53.5499}, {9.9617, 53.5497}, {9.9650, 53.5502}, {9.9673, 53.5522}}},
	{"Innenstadt", 1.4, []orb.Point{{9.9925, 53.5503}, {9.9920, 53.5515}, {9.9928, 53.5531}, {9.9960, 53.5530}, {10.0010, 53.5525}, {10.0068, 53.5527}}},
	{"Speicherstadt", 1.3, []orb.Point{{9.9800, 53.5440}, {9.9860, 53.5445}, {9.9930, 53.5443}, {9.9960, 53.5425}, {9.9990, 53.5407}}},
	{"Michel", 1.2, []orb.Point{{9.9695, 53.5457}, {9.9740, 53.5475}, {9.9786, 53.5484}, {9.9800, 53.5460}, {9.9800, 53.5440}}},
	{"Funkstreife", 7.5, []orb.Point{{10.0068, 53.5527}, {9.9925, 53.5503}, {9.9850, 53.5470}, {9.9800, 53.5440}, {9.9695, 53.5457}, {9.9673, 53.5522}, {9.9682, 53.5633}}},
}

// patrol is one officer moving along a route.
type patrol struct {
	actor    *einsatzraum.Actor
	path     []orb.Point
	cum      []float64 // metres from the start to each vertex
	speedMps float64
	offsetM  float64
}

func newPatrol(a *einsatzraum.Actor, i int, r *rand.Rand) *patrol {
	route := demoRoutes[i%len(demoRoutes)]
	p := &patrol{actor: a, path: route.path, speedMps: route.speedMps * (0.85 + 0.3*r.Float64())}
	p.cum = make([]float64, len(route.path))
	for j := 1; j < len(route.path); j++ {
		p.cum[j] = p.cum[j-1] + geo.DistanceM(route.path[j-1], route.path[j])
	}
	p.offsetM = r.Float64() * 2 * p.cum[len(p.cum)-1]
	return p
}

// at returns the officer's position and heading after elapsed time: the
// route is walked forth and back.
func (p *patrol) at(elapsed time.Duration) (orb.Point, float64) {
	total := p.cum[len(p.cum)-1]
	d := math.Mod(p.offsetM+p.speedMps*elapsed.Seconds(), 2*total)
	back := d > total
	if back {
		d = 2*total - d
	}
	j := 1
	for j < len(p.cum)-1 && p.cum[j] < d {
		j++
	}
	a, b := p.path[j-1], p.path[j]
	f := (d - p.cum[j-1]) / math.Max(p.cum[j]-p.cum[j-1], 1e-9)
	pt := orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])}
	if back {
		a, b = b, a
	}
	heading := math.Mod(math.Atan2((b[0]-a[0])*math.Cos(a[1]*math.Pi/180), b[1]-a[1])*180/math.Pi+360, 360)
	return pt, heading
}

// simulatePatrols reports the demo officers' positions every interval until
// ctx ends, as their phones would.
func simulatePatrols(ctx context.Context, svc *einsatzraum.Service, actors []*einsatzraum.Actor, interval time.Duration, log *slog.Logger) {
	r := rand.New(rand.NewPCG(7, 42))
	patrols := make([]*patrol, len(actors))
	for i, a := range actors {
		patrols[i] = newPatrol(a, i, r)
	}
	start := time.Now()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for i, p := range patrols {
			if i == 0 {
				continue // the lead is at the command post, logged in for real
			}
			pt, heading := p.at(time.Since(start))
			speed := p.speedMps
			pos := geo.Position{Lat: pt[1] + (r.Float64()-0.5)*0.00004, Lon: pt[0] + (r.Float64()-0.5)*0.00006,
				AccuracyM: 4 + r.Float64()*8, Heading: &heading, SpeedMps: &speed, TS: time.Now()}
			if _, _, err := svc.ReportPositions(ctx, p.actor, []geo.Position{pos}); err != nil && ctx.Err() == nil {
				log.Warn("demo position", "user", p.actor.User.Email, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
