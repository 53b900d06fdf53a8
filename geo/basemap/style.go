package basemap

import (
	"embed"
	"io/fs"
	"regexp"
	"strings"
)

// assets are the glyphs and sprites the style refers to (see
// assets/SOURCES.md for their source and licence).
//
//go:embed assets/glyphs assets/sprites
var assets embed.FS

// Fonts are the font stacks served; the style uses both.
var Fonts = []string{"Noto Sans Regular", "Noto Sans Medium"}

var glyphRange = regexp.MustCompile(`^[0-9]+-[0-9]+$`)

// Glyphs returns the SDF glyph range ("0-255") of the first font of a
// comma-separated font stack that is served. A range that no font has is
// an empty protocol buffer (no glyphs), which MapLibre takes; ok is false
// for a malformed range or a stack with no font served.
func Glyphs(fontstack, rng string) (data []byte, ok bool) {
	if !glyphRange.MatchString(rng) {
		return nil, false
	}
	for _, font := range strings.Split(fontstack, ",") {
		font = strings.TrimSpace(font)
		for _, have := range Fonts {
			if font != have {
				continue
			}
			b, err := fs.ReadFile(assets, "assets/glyphs/"+have+"/"+rng+".pbf")
			if err != nil {
				return []byte{}, true
			}
			return b, true
		}
	}
	return nil, false
}

// Sprite returns a file of the sprite sheet: light.json, light.png,
// light@2x.json or light@2x.png; ok is false for any other name.
func Sprite(name string) (data []byte, ok bool) {
	switch name {
	case "light.json", "light.png", "light@2x.json", "light@2x.png":
		b, err := fs.ReadFile(assets, "assets/sprites/"+name)
		return b, err == nil
	}
	return nil, false
}

// StyleURLs are where a style's parts are served: Source is either a tile
// URL template ({z}/{x}/{y}) or, for a PMTiles file, a "pmtiles://" URL.
type StyleURLs struct {
	Tiles   string // ".../tiles/{z}/{x}/{y}.mvt"; empty when PMTiles is set
	PMTiles string // "pmtiles://.../basemap.pmtiles"
	Glyphs  string // ".../glyphs/{fontstack}/{range}.pbf"
	Sprite  string // ".../sprites/light"
	MaxZoom int    // the tiles' deepest zoom (overzoomed beyond)
	Bounds  [4]float64
}

// Style is a MapLibre style (version 8) for the basemap's layers: land
// use and water under roads by class, buildings from z14, street names
// along the roads and place names, every part served by this server, with
// the OpenStreetMap attribution. The dashboard adds its own layers on top.
func Style(u StyleURLs) map[string]any {
	source := map[string]any{"type": "vector", "attribution": Attribution}
	if u.PMTiles != "" {
		source["url"] = u.PMTiles
	} else {
		source["tiles"] = []string{u.Tiles}
		source["minzoom"] = 0
		source["maxzoom"] = u.MaxZoom
		if u.Bounds != [4]float64{} {
			source["bounds"] = u.Bounds[:]
		}
	}
	zoomed := func(stops ...float64) []any { // ["interpolate", ["exponential", 1.5], ["zoom"], z1, v1, z2, v2, ...]
		e := []any{"interpolate", []any{"exponential", 1.5}, []any{"zoom"}}
		for _, s := range stops {
			e = append(e, s)
		}
		return e
	}
	road := func(id string, classes []string, minZoom float64, color string, width []any) map[string]any {
		filter := []any{"in", []any{"get", "class"}, []any{"literal", classes}}
		return map[string]any{"id": id, "type": "line", "source": "basemap", "source-layer": LayerRoads, "minzoom": minZoom,
			"filter": filter, "layout": map[string]any{"line-cap": "round", "line-join": "round"},
			"paint": map[string]any{"line-color": color, "line-width": width}}
	}
	landuse := []any{"match", []any{"get", "class"},
		[]any{"forest", "wood"}, "#cfe3c4",
		[]any{"park", "garden", "grass", "meadow", "village_green", "recreation_ground", "common", "grassland", "playground", "pitch", "golf_course", "nature_reserve"}, "#dcecd0",
		[]any{"farmland", "orchard", "vineyard", "plant_nursery", "farmyard"}, "#efeada",
		[]any{"residential"}, "#ece7e3",
		[]any{"commercial", "retail"}, "#f1e2e0",
		[]any{"industrial", "railway", "quarry", "landfill", "construction", "brownfield", "military"}, "#e5e0ea",
		[]any{"cemetery"}, "#d6e0d0",
		"#e9e6df"}
	layers := []any{
		map[string]any{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#f4f1ec"}},
		map[string]any{"id": "landuse", "type": "fill", "source": "basemap", "source-layer": LayerLanduse,
			"paint": map[string]any{"fill-color": landuse}},
		map[string]any{"id": "water", "type": "fill", "source": "basemap", "source-layer": LayerWater,
			"filter": []any{"==", []any{"geometry-type"}, "Polygon"}, "paint": map[string]any{"fill-color": "#a9cbe8"}},
		map[string]any{"id": "waterways", "type": "line", "source": "basemap", "source-layer": LayerWater,
			"filter": []any{"==", []any{"geometry-type"}, "LineString"},
			"paint":  map[string]any{"line-color": "#a9cbe8", "line-width": zoomed(10, 0.5, 16, 3)}},
		map[string]any{"id": "buildings", "type": "fill", "source": "basemap", "source-layer": LayerBuildings, "minzoom": 14,
			"paint": map[string]any{"fill-color": "#ddd5cc", "fill-outline-color": "#c9bfb4"}},
		road("roads-path", []string{"path", "track"}, 13, "#b8a99a", zoomed(13, 0.5, 18, 2)),
		road("roads-rail", []string{"rail"}, 10, "#9e9e9e", zoomed(10, 0.5, 18, 2.5)),
		road("roads-casing", []string{"minor", "service", "pedestrian", "tertiary", "secondary", "primary", "trunk", "motorway"}, 11, "#c3b9ae",
			zoomed(11, 1.5, 14, 4, 18, 22)),
		road("roads-minor", []string{"minor", "service", "pedestrian"}, 12, "#ffffff", zoomed(12, 0.75, 14, 2.5, 18, 18)),
		road("roads-main", []string{"tertiary", "secondary", "primary", "trunk"}, 7, "#fce9a6", zoomed(7, 0.75, 14, 3.5, 18, 20)),
		road("roads-motorway", []string{"motorway"}, 5, "#f6b886", zoomed(5, 0.75, 14, 4, 18, 22)),
		map[string]any{"id": "road-names", "type": "symbol", "source": "basemap", "source-layer": LayerRoads, "minzoom": 13,
			"filter": []any{"has", "name"},
			"layout": map[string]any{"symbol-placement": "line", "text-field": []any{"get", "name"}, "text-font": []string{"Noto Sans Regular"},
				"text-size": zoomed(13, 10, 18, 14)},
			"paint": map[string]any{"text-color": "#5b5148", "text-halo-color": "#ffffff", "text-halo-width": 1.5}},
		map[string]any{"id": "place-names", "type": "symbol", "source": "basemap", "source-layer": LayerPlaces,
			"layout": map[string]any{"text-field": []any{"get", "name"}, "text-font": []string{"Noto Sans Medium"},
				"text-size":  []any{"match", []any{"get", "class"}, []any{"city", "town"}, 16, []any{"village", "suburb"}, 13, 11},
				"icon-image": []any{"match", []any{"get", "class"}, []any{"city", "town", "village"}, "townspot", ""},
				"icon-size":  0.5, "text-anchor": "top", "text-offset": []any{0, 0.4}},
			"paint": map[string]any{"text-color": "#2f2a26", "text-halo-color": "#ffffff", "text-halo-width": 1.5}},
	}
	return map[string]any{
		"version": 8,
		"name":    "Einsatzraum basemap",
		"sources": map[string]any{"basemap": source},
		"glyphs":  u.Glyphs,
		"sprite":  u.Sprite,
		"layers":  layers,
	}
}
