package basemap

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"
)

// Feature is one object of the basemap: its tile layer and class, its
// name, the first zoom that draws it and its WGS 84 geometry.
type Feature struct {
	Layer    string
	Class    string
	Name     string
	MinZoom  int
	Geometry orb.Geometry
}

// Object is a tagged OpenStreetMap object reduced to one point (a node,
// or the centre of a way's area): schools, kindergartens and other points
// of interest, with all their tags. Data layers are made of these.
type Object struct {
	ID    string // "node/123" or "way/456"
	Tags  map[string]string
	Point orb.Point
}

// Extract is what the basemap keeps of an OpenStreetMap extract.
type Extract struct {
	Features []Feature
	Places   []Place  // the geocoding index
	Objects  []Object // points of interest with their tags
	Bound    orb.Bound
}

// Kinds of geocoding entries.
const (
	KindPlace   = "place"
	KindStreet  = "street"
	KindAddress = "address"
	KindPOI     = "poi"
)

// Place is one entry of the geocoding index: a place, a street, an
// address or a point of interest with its name and where it is.
type Place struct {
	Name  string  `json:"name"`
	Kind  string  `json:"kind"`
	Class string  `json:"class,omitempty"`
	Lon   float64 `json:"lon"`
	Lat   float64 `json:"lat"`
}

// ReadFile reads an OpenStreetMap extract: PBF (.pbf), XML (.osm) or
// gzipped XML (.osm.gz, recognised by its magic bytes). Nodes are kept in
// memory while the ways are read, so it is meant for the extract of a
// region, not the planet.
func ReadFile(ctx context.Context, path string) (*Extract, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open osm extract: %w", err)
	}
	defer f.Close()
	ext, err := Read(ctx, f, strings.HasSuffix(strings.ToLower(path), ".pbf"))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return ext, nil
}

// scanner is what osmxml and osmpbf scanners have in common.
type scanner interface {
	Scan() bool
	Object() osm.Object
	Err() error
	Close() error
}

// Read reads an extract from r: PBF when pbf is set, else OSM XML, plain
// or gzipped.
func Read(ctx context.Context, r io.Reader, pbf bool) (*Extract, error) {
	var sc scanner
	if pbf {
		sc = osmpbf.New(ctx, r, 2)
	} else {
		br := bufio.NewReader(r)
		if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			gz, err := gzip.NewReader(br)
			if err != nil {
				return nil, fmt.Errorf("gzip: %w", err)
			}
			defer gz.Close()
			sc = osmxml.New(ctx, gz)
		} else {
			sc = osmxml.New(ctx, br)
		}
	}
	defer sc.Close()
	b := newExtractBuilder()
	for sc.Scan() {
		switch o := sc.Object().(type) {
		case *osm.Node:
			b.node(o)
		case *osm.Way:
			b.way(o)
		case *osm.Relation:
			b.relation(o)
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b.finish()
}

// extractBuilder collects an extract while its objects stream by: node
// coordinates (needed by the ways), ways' node lists (needed by the
// multipolygon relations) and what the map draws.
type extractBuilder struct {
	nodes     map[osm.NodeID]orb.Point
	ways      map[osm.WayID][]osm.NodeID
	ext       Extract
	streets   map[string][]orb.LineString
	relations []*osm.Relation
}

func newExtractBuilder() *extractBuilder {
	return &extractBuilder{
		nodes:   map[osm.NodeID]orb.Point{},
		ways:    map[osm.WayID][]osm.NodeID{},
		streets: map[string][]orb.LineString{},
		ext:     Extract{Bound: orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}},
	}
}

func validLonLat(p orb.Point) bool {
	return p[0] >= -180 && p[0] <= 180 && p[1] >= -85.05 && p[1] <= 85.05 && !math.IsNaN(p[0]) && !math.IsNaN(p[1])
}

func (b *extractBuilder) node(n *osm.Node) {
	p := orb.Point{n.Lon, n.Lat}
	if !validLonLat(p) {
		return
	}
	b.nodes[n.ID] = p
	b.ext.Bound = b.ext.Bound.Extend(p)
	if len(n.Tags) == 0 {
		return
	}
	name := n.Tags.Find("name")
	if v := n.Tags.Find("place"); v != "" && name != "" {
		if z, ok := placeZooms[v]; ok {
			b.ext.Features = append(b.ext.Features, Feature{Layer: LayerPlaces, Class: v, Name: name, MinZoom: z, Geometry: p})
		}
		b.ext.Places = append(b.ext.Places, Place{Name: name, Kind: KindPlace, Class: v, Lon: p[0], Lat: p[1]})
	}
	b.tagged(fmt.Sprintf("node/%d", n.ID), n.Tags, p)
}

// tagged indexes an object's address and, when it is a point of interest,
// the object itself.
func (b *extractBuilder) tagged(id string, tags osm.Tags, at orb.Point) {
	if street, number := tags.Find("addr:street"), tags.Find("addr:housenumber"); street != "" && number != "" {
		b.ext.Places = append(b.ext.Places, Place{Name: street + " " + number, Kind: KindAddress, Lon: at[0], Lat: at[1]})
	}
	pc := poiClass(tags)
	if pc == "" {
		return
	}
	b.ext.Objects = append(b.ext.Objects, Object{ID: id, Tags: tags.Map(), Point: at})
	if name := tags.Find("name"); name != "" {
		b.ext.Places = append(b.ext.Places, Place{Name: name, Kind: KindPOI, Class: pc, Lon: at[0], Lat: at[1]})
	}
}

// line is a way's geometry; it returns nil when a node is missing (the
// way leaves the extract) or fewer than two points are left.
func (b *extractBuilder) line(ids []osm.NodeID) orb.LineString {
	ls := make(orb.LineString, 0, len(ids))
	for _, id := range ids {
		p, ok := b.nodes[id]
		if !ok {
			continue // clipped extracts cut ways at their edge
		}
		ls = append(ls, p)
	}
	if len(ls) < 2 {
		return nil
	}
	return ls
}

func (b *extractBuilder) way(w *osm.Way) {
	ids := w.Nodes.NodeIDs()
	b.ways[w.ID] = ids
	if len(w.Tags) == 0 {
		return
	}
	ls := b.line(ids)
	if ls == nil {
		return
	}
	closed := len(ids) > 3 && ids[0] == ids[len(ids)-1] && len(ls) > 3
	c, drawn := classify(w.Tags)
	name := w.Tags.Find("name")
	if drawn {
		var g orb.Geometry = ls
		if closed && c.area {
			g = orb.Polygon{orb.Ring(ls)}
		}
		b.ext.Features = append(b.ext.Features, Feature{Layer: c.layer, Class: c.name, Name: name, MinZoom: c.minZoom, Geometry: g})
		if c.layer == LayerRoads && name != "" && c.name != "rail" {
			b.streets[name] = append(b.streets[name], ls)
		}
	}
	at := ls[len(ls)/2]
	if closed && (c.area || isArea(w.Tags)) {
		at, _ = planar.CentroidArea(orb.Polygon{orb.Ring(ls)})
	}
	b.tagged(fmt.Sprintf("way/%d", w.ID), w.Tags, at)
}

// relation keeps multipolygons until the end: their member ways are
// complete only then.
func (b *extractBuilder) relation(r *osm.Relation) {
	if r.Tags.Find("type") == "multipolygon" {
		b.relations = append(b.relations, r)
	}
}

func (b *extractBuilder) finish() (*Extract, error) {
	for _, r := range b.relations {
		c, ok := classify(r.Tags)
		if !ok || !c.area {
			continue
		}
		var outer, inner []orb.LineString
		for _, m := range r.Members {
			if m.Type != osm.TypeWay {
				continue
			}
			ls := b.line(b.ways[osm.WayID(m.Ref)])
			if ls == nil {
				continue
			}
			if m.Role == "inner" {
				inner = append(inner, ls)
			} else {
				outer = append(outer, ls)
			}
		}
		mp := assemblePolygons(joinRings(outer), joinRings(inner))
		if len(mp) == 0 {
			continue
		}
		b.ext.Features = append(b.ext.Features, Feature{Layer: c.layer, Class: c.name, Name: r.Tags.Find("name"), MinZoom: c.minZoom, Geometry: mp})
	}
	b.ext.Places = append(b.ext.Places, streetPlaces(b.streets)...)
	if len(b.nodes) == 0 {
		return nil, errors.New("the extract holds no nodes")
	}
	return &b.ext, nil
}

// joinRings joins way segments end to end into closed rings; segments
// that close no ring (the extract cut them) are dropped.
func joinRings(parts []orb.LineString) []orb.Ring {
	var rings []orb.Ring
	open := append([]orb.LineString(nil), parts...)
	for len(open) > 0 {
		cur := append(orb.LineString(nil), open[0]...)
		open = open[1:]
		for !cur[0].Equal(cur[len(cur)-1]) {
			joined := false
			for i, p := range open {
				switch {
				case p[0].Equal(cur[len(cur)-1]):
					cur = append(cur, p[1:]...)
				case p[len(p)-1].Equal(cur[len(cur)-1]):
					cur = append(cur, reversed(p)[1:]...)
				case p[len(p)-1].Equal(cur[0]):
					cur = append(append(orb.LineString(nil), p...), cur[1:]...)
				case p[0].Equal(cur[0]):
					cur = append(reversed(p), cur[1:]...)
				default:
					continue
				}
				open = append(open[:i], open[i+1:]...)
				joined = true
				break
			}
			if !joined {
				break
			}
		}
		if len(cur) > 3 && cur[0].Equal(cur[len(cur)-1]) {
			rings = append(rings, orb.Ring(cur))
		}
	}
	return rings
}

func reversed(ls orb.LineString) orb.LineString {
	out := make(orb.LineString, len(ls))
	for i, p := range ls {
		out[len(ls)-1-i] = p
	}
	return out
}

// assemblePolygons puts every inner ring into the outer ring that holds
// its first point.
func assemblePolygons(outer, inner []orb.Ring) orb.MultiPolygon {
	mp := make(orb.MultiPolygon, len(outer))
	for i, o := range outer {
		mp[i] = orb.Polygon{o}
	}
	for _, in := range inner {
		for i := range mp {
			if planar.RingContains(mp[i][0], in[0]) {
				mp[i] = append(mp[i], in)
				break
			}
		}
	}
	return mp
}

// streetPlaces makes one geocoding entry per street: the ways of one name
// within 1.5 km of each other are one street, found at the middle of its
// longest way.
func streetPlaces(streets map[string][]orb.LineString) []Place {
	var out []Place
	for name, lines := range streets {
		type cluster struct {
			centre  orb.Point
			longest orb.LineString
			length  float64
		}
		var clusters []*cluster
		for _, ls := range lines {
			mid := ls[len(ls)/2]
			length := planar.Length(ls)
			var home *cluster
			for _, c := range clusters {
				if approxMetres(c.centre, mid) < 1500 {
					home = c
					break
				}
			}
			if home == nil {
				home = &cluster{centre: mid}
				clusters = append(clusters, home)
			}
			if length > home.length {
				home.longest, home.length = ls, length
			}
		}
		for _, c := range clusters {
			p := c.longest[len(c.longest)/2]
			out = append(out, Place{Name: name, Kind: KindStreet, Lon: p[0], Lat: p[1]})
		}
	}
	return out
}

// approxMetres is the distance of two nearby points (equirectangular).
func approxMetres(a, b orb.Point) float64 {
	const r = 6371008.8
	lat := (a[1] + b[1]) / 2 * math.Pi / 180
	dx := (b[0] - a[0]) * math.Pi / 180 * math.Cos(lat)
	dy := (b[1] - a[1]) * math.Pi / 180
	return r * math.Hypot(dx, dy)
}
