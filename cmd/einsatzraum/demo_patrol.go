package main

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/paulmach/orb"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
	"github.com/einsatzraum/einsatzraum/geo/basemap"
)

// demoRoute is a way officers walk or drive back and forth.
type demoRoute struct {
	name     string
	speedMps float64
	path     []orb.Point
}

// demoRoutes picks the demo's routes from the extract's named roads in
// the demo area: the longest way of each of the ten longest minor roads
// (walked at 1.3 m/s) and of the three longest main roads (driven at
// 11 m/s, about 40 km/h), so every officer moves along a real street.
func demoRoutes(ext *basemap.Extract) []demoRoute {
	longest := map[string]demoRoute{}
	for _, f := range ext.Features {
		ls, ok := f.Geometry.(orb.LineString)
		if !ok || f.Layer != basemap.LayerRoads || f.Name == "" || !demoArea.Contains(ls.Bound().Min) || !demoArea.Contains(ls.Bound().Max) {
			continue
		}
		speed := 0.0
		switch f.Class {
		case "minor", "pedestrian", "track", "path":
			speed = 1.3
		case "tertiary", "secondary", "primary":
			speed = 11
		default:
			continue
		}
		key := f.Class + "/" + f.Name
		if cur, ok := longest[key]; !ok || pathLength(ls) > pathLength(cur.path) {
			longest[key] = demoRoute{name: f.Name, speedMps: speed, path: ls}
		}
	}
	var walks, drives []demoRoute
	for _, r := range longest {
		if r.speedMps > 2 {
			drives = append(drives, r)
		} else {
			walks = append(walks, r)
		}
	}
	byLength := func(rs []demoRoute) {
		sort.Slice(rs, func(i, j int) bool {
			if li, lj := pathLength(rs[i].path), pathLength(rs[j].path); li != lj {
				return li > lj
			}
			return rs[i].name < rs[j].name
		})
	}
	byLength(walks)
	byLength(drives)
	return append(walks[:min(10, len(walks))], drives[:min(3, len(drives))]...)
}

func pathLength(path []orb.Point) float64 {
	d := 0.0
	for i := 1; i < len(path); i++ {
		d += geo.DistanceM(path[i-1], path[i])
	}
	return d
}

// patrol is one officer moving along a route.
type patrol struct {
	actor    *einsatzraum.Actor
	path     []orb.Point
	cum      []float64 // metres from the start to each vertex
	speedMps float64
	offsetM  float64
}

func newPatrol(a *einsatzraum.Actor, route demoRoute, r *rand.Rand) *patrol {
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
// ctx ends, as their phones would: officer i goes along route i modulo the
// number of routes.
func simulatePatrols(ctx context.Context, svc *einsatzraum.Service, actors []*einsatzraum.Actor, routes []demoRoute, interval time.Duration, log *slog.Logger) {
	if len(routes) == 0 {
		log.Warn("demo: no routes, the officers stand still")
		return
	}
	r := rand.New(rand.NewPCG(7, 42))
	patrols := make([]*patrol, len(actors))
	for i, a := range actors {
		patrols[i] = newPatrol(a, routes[i%len(routes)], r)
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
