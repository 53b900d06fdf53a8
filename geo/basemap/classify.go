package basemap

import "github.com/paulmach/osm"

// The tile layers of the basemap (the contract in API.md names them).
const (
	LayerWater     = "water"
	LayerLanduse   = "landuse"
	LayerRoads     = "roads"
	LayerBuildings = "buildings"
	LayerPlaces    = "places"
)

// class says where an OpenStreetMap object goes on the map: its tile
// layer, its class there, the first zoom that draws it and whether a
// closed way of it is an area (a polygon) rather than a line.
type class struct {
	layer   string
	name    string
	minZoom int
	area    bool
}

// roadClasses maps highway=* (and railway=*) values to a road class and
// the zoom from which roads of that class are drawn: motorways from z5,
// footpaths only from z14.
var roadClasses = map[string]class{
	"motorway": {LayerRoads, "motorway", 5, false}, "motorway_link": {LayerRoads, "motorway", 10, false},
	"trunk": {LayerRoads, "trunk", 6, false}, "trunk_link": {LayerRoads, "trunk", 10, false},
	"primary": {LayerRoads, "primary", 8, false}, "primary_link": {LayerRoads, "primary", 11, false},
	"secondary": {LayerRoads, "secondary", 9, false}, "secondary_link": {LayerRoads, "secondary", 12, false},
	"tertiary": {LayerRoads, "tertiary", 10, false}, "tertiary_link": {LayerRoads, "tertiary", 12, false},
	"residential": {LayerRoads, "minor", 12, false}, "unclassified": {LayerRoads, "minor", 12, false},
	"living_street": {LayerRoads, "minor", 12, false}, "road": {LayerRoads, "minor", 12, false},
	"pedestrian": {LayerRoads, "pedestrian", 13, false}, "service": {LayerRoads, "service", 13, false},
	"track":   {LayerRoads, "track", 13, false},
	"footway": {LayerRoads, "path", 14, false}, "path": {LayerRoads, "path", 14, false},
	"cycleway": {LayerRoads, "path", 14, false}, "steps": {LayerRoads, "path", 15, false},
	"bridleway": {LayerRoads, "path", 14, false},
}

// placeZooms is the first zoom of each place=* value that is drawn.
var placeZooms = map[string]int{
	"city": 4, "town": 7, "village": 10, "suburb": 11, "quarter": 12, "hamlet": 12,
	"neighbourhood": 13, "isolated_dwelling": 14, "locality": 14, "square": 15,
}

// landuseValues are the landuse=*, natural=* and leisure=* values drawn
// in the landuse layer (class: the value); all from z10.
var landuseValues = map[string]bool{
	"residential": true, "commercial": true, "retail": true, "industrial": true, "farmland": true,
	"farmyard": true, "meadow": true, "grass": true, "forest": true, "wood": true, "orchard": true,
	"cemetery": true, "allotments": true, "recreation_ground": true, "railway": true, "military": true,
	"construction": true, "brownfield": true, "greenfield": true, "village_green": true, "quarry": true,
	"scrub": true, "heath": true, "grassland": true, "wetland": true, "park": true, "garden": true,
	"pitch": true, "playground": true, "sports_centre": true, "stadium": true, "golf_course": true,
	"common": true, "nature_reserve": true, "vineyard": true, "plant_nursery": true, "landfill": true,
}

// classify says where an object with these tags goes on the map; ok is
// false for objects the basemap does not draw. Water comes first, so a
// reservoir is water and not landuse.
func classify(tags osm.Tags) (c class, ok bool) {
	if v := tags.Find("natural"); v == "water" || v == "bay" {
		return class{LayerWater, "water", 8, true}, true
	}
	if tags.Find("waterway") == "riverbank" || tags.Find("landuse") == "reservoir" || tags.Find("landuse") == "basin" {
		return class{LayerWater, "water", 8, true}, true
	}
	switch v := tags.Find("waterway"); v {
	case "river", "canal":
		return class{LayerWater, v, 8, false}, true
	case "stream", "ditch", "drain":
		return class{LayerWater, v, 13, false}, true
	}
	if v := tags.Find("building"); v != "" && v != "no" {
		return class{LayerBuildings, v, 14, true}, true
	}
	if v := tags.Find("highway"); v != "" {
		rc, ok := roadClasses[v]
		if ok && tags.Find("area") == "yes" {
			rc.area = true
		}
		return rc, ok
	}
	if v := tags.Find("railway"); v == "rail" || v == "light_rail" || v == "tram" || v == "subway" {
		return class{LayerRoads, "rail", 10, false}, true
	}
	for _, k := range []string{"landuse", "natural", "leisure"} {
		if v := tags.Find(k); landuseValues[v] {
			return class{LayerLanduse, v, 10, true}, true
		}
	}
	return class{}, false
}

// isArea says whether a closed way with these tags encloses an area when
// classify does not already say so (amenity=parking, area=yes, ...).
func isArea(tags osm.Tags) bool {
	return tags.Find("area") == "yes" || tags.HasTag("amenity") || tags.HasTag("leisure") || tags.HasTag("shop")
}

// poiKeys are the tag keys whose named objects go into the geocoding
// index as points of interest.
var poiKeys = []string{"amenity", "shop", "tourism", "leisure", "office", "emergency", "healthcare", "historic", "railway", "public_transport"}

// poiClass is an object's point-of-interest class ("amenity=school"), or
// "" when it is none.
func poiClass(tags osm.Tags) string {
	for _, k := range poiKeys {
		if v := tags.Find(k); v != "" && v != "no" {
			return k + "=" + v
		}
	}
	return ""
}
