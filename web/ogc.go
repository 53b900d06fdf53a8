package web

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
	"github.com/einsatzraum/einsatzraum/layers"
)

// OGC API - Features, Part 1 (core, GeoJSON) over the data layers, so
// that GIS tools (GDAL's OAPIF driver, QGIS) read them.

type ogcLink struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

const (
	geoJSONType  = "application/geo+json"
	jsonMIME     = "application/json"
	ogcMaxLimit  = 10000
	ogcDefLimit  = 1000
	crs84        = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	ogcCoreConf  = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
	ogcGeoJSONCf = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
	ogcOAS30Conf = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
	ogcCRSConf   = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
)

func base(c *fiber.Ctx) string { return c.BaseURL() + "/ogc" }

func (s *Server) ogcLanding(c *fiber.Ctx) error {
	b := base(c)
	return c.JSON(fiber.Map{
		"title":       "Einsatzraum data layers",
		"description": "Shared data layers (schools, kindergartens, ...) as OGC API - Features.",
		"links": []ogcLink{
			{Href: b, Rel: "self", Type: jsonMIME, Title: "this document"},
			{Href: c.BaseURL() + "/api/v1/openapi.json", Rel: "service-desc", Type: "application/vnd.oai.openapi+json;version=3.0", Title: "the API definition"},
			{Href: b + "/conformance", Rel: "conformance", Type: jsonMIME, Title: "conformance classes"},
			{Href: b + "/collections", Rel: "data", Type: jsonMIME, Title: "the layers"},
		},
	})
}

func (s *Server) ogcConformance(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"conformsTo": []string{ogcCoreConf, ogcGeoJSONCf, ogcOAS30Conf, ogcCRSConf}})
}

func ogcCollection(b string, m layers.Meta) fiber.Map {
	return fiber.Map{
		"id": m.ID, "title": m.Name, "itemType": "feature",
		"description": fmt.Sprintf("%d features, version %d of %s", m.Count, m.Version, m.UpdatedAt.Format(time.RFC3339)),
		"extent":      fiber.Map{"spatial": fiber.Map{"bbox": [][4]float64{m.BBox}, "crs": crs84}},
		"crs":         ogcCRSURIs(),
		"storageCrs":  crs84,
		"links": []ogcLink{
			{Href: b + "/collections/" + m.ID, Rel: "self", Type: jsonMIME},
			{Href: b + "/collections/" + m.ID + "/items", Rel: "items", Type: geoJSONType, Title: m.Name},
		},
	}
}

func (s *Server) ogcCollections(c *fiber.Ctx) error {
	b := base(c)
	list, err := s.svc.Layers(actor(c))
	if err != nil {
		return err
	}
	var cs []fiber.Map
	for _, m := range list {
		cs = append(cs, ogcCollection(b, m))
	}
	if cs == nil {
		cs = []fiber.Map{}
	}
	return c.JSON(fiber.Map{"links": []ogcLink{{Href: b + "/collections", Rel: "self", Type: jsonMIME}}, "collections": cs})
}

func (s *Server) ogcCollectionOne(c *fiber.Ctx) error {
	l, err := s.layer(c)
	if err != nil {
		return err
	}
	return c.JSON(ogcCollection(base(c), l.Meta))
}

// ogcCRS is one coordinate reference system the items are served in:
// its URI, the layers' CRS and whether GeoJSON's lon/lat order is swapped
// (EPSG:4326 says latitude first).
type ogcCRS struct {
	uri     string
	crs     layers.CRS
	latLon  bool
	storage bool
}

// ogcCRSs are the systems of OGC API Features Part 2 we serve: CRS84 (the
// default and storage CRS), EPSG:4326, and the two ETRS89 / UTM zones in
// which German authorities' GIS work.
var ogcCRSs = []ogcCRS{
	{uri: crs84, crs: layers.WGS84, storage: true},
	{uri: "http://www.opengis.net/def/crs/EPSG/0/4326", crs: layers.WGS84, latLon: true},
	{uri: "http://www.opengis.net/def/crs/EPSG/0/25832", crs: layers.UTM32N},
	{uri: "http://www.opengis.net/def/crs/EPSG/0/25833", crs: layers.UTM33N},
}

func ogcCRSURIs() []string {
	out := make([]string, len(ogcCRSs))
	for i, c := range ogcCRSs {
		out[i] = c.uri
	}
	return out
}

// parseOGCCRS reads a crs or bbox-crs parameter: one of ogcCRSs' URIs (or
// the short "EPSG:25832"); empty is CRS84.
func parseOGCCRS(param, v string) (ogcCRS, error) {
	if v == "" {
		return ogcCRSs[0], nil
	}
	for _, c := range ogcCRSs {
		if v == c.uri || (strings.HasPrefix(c.uri, "http://www.opengis.net/def/crs/EPSG/0/") && v == "EPSG:"+c.uri[len("http://www.opengis.net/def/crs/EPSG/0/"):]) {
			return c, nil
		}
	}
	return ogcCRS{}, einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_"+strings.ReplaceAll(param, "-", "_"), "%s: one of %s", param, strings.Join(ogcCRSURIs(), ", "))
}

// ogcItemsParams are the query parameters of /items: anything else is a
// 400 (OGC API Features Part 1, /req/core/query-param-unknown).
var ogcItemsParams = map[string]bool{"limit": true, "offset": true, "bbox": true, "bbox-crs": true, "crs": true, "datetime": true, "f": true}

// checkOGCParams refuses query parameters the endpoint does not know.
func checkOGCParams(c *fiber.Ctx, known map[string]bool) error {
	var bad error
	c.Context().QueryArgs().VisitAll(func(k, _ []byte) {
		if bad == nil && !known[string(k)] {
			bad = einsatzraum.Errorf(einsatzraum.KindInvalid, "unknown_parameter", "unknown query parameter %q", k)
		}
	})
	if bad == nil && c.Query("f") != "" && c.Query("f") != "json" {
		bad = einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_f", "f: only json")
	}
	return bad
}

// ogcBBox reads bbox (4 numbers, or 6 with heights, which are ignored) in
// bbox-crs and returns it in WGS 84. A projected box becomes the WGS 84 box
// around its four corners (a little larger than the box itself).
func ogcBBox(c *fiber.Ctx) (geo.BBox, error) {
	all := geo.BBox{MinLon: -180, MinLat: -90, MaxLon: 180, MaxLat: 90}
	s := c.Query("bbox")
	bc, err := parseOGCCRS("bbox-crs", c.Query("bbox-crs"))
	if err != nil || s == "" {
		return all, err
	}
	bad := einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_bbox", "bbox: minx,miny,maxx,maxy or minx,miny,minz,maxx,maxy,maxz in bbox-crs")
	parts := strings.Split(s, ",")
	var v []float64
	for _, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return all, bad
		}
		v = append(v, f)
	}
	switch len(v) {
	case 4:
	case 6:
		v = []float64{v[0], v[1], v[3], v[4]}
	default:
		return all, bad
	}
	if bc.latLon {
		v = []float64{v[1], v[0], v[3], v[2]}
	}
	if bc.crs != layers.WGS84 {
		toWGS := bc.crs.ToWGS84()
		minLon, minLat, maxLon, maxLat := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, corner := range [][2]float64{{v[0], v[1]}, {v[0], v[3]}, {v[2], v[1]}, {v[2], v[3]}} {
			lon, lat := toWGS(corner[0], corner[1])
			minLon, minLat, maxLon, maxLat = math.Min(minLon, lon), math.Min(minLat, lat), math.Max(maxLon, lon), math.Max(maxLat, lat)
		}
		v = []float64{minLon, minLat, maxLon, maxLat}
	}
	b, err := geo.ParseBBox(fmt.Sprintf("%g,%g,%g,%g", v[0], v[1], v[2], v[3]))
	if err != nil {
		return all, bad
	}
	return b, nil
}

// ogcFeature is a layer feature with its geometry in the requested CRS.
func ogcFeature(f layers.Feature, out ogcCRS) feature {
	if out.crs == layers.WGS84 && !out.latLon {
		return layerFeature(f)
	}
	fwd := out.crs.FromWGS84()
	f.Geometry = project.Geometry(orb.Clone(f.Geometry), func(p orb.Point) orb.Point {
		x, y := fwd(p[0], p[1])
		if out.latLon {
			return orb.Point{y, x}
		}
		return orb.Point{x, y}
	})
	return layerFeature(f)
}

// ogcItems pages through a collection with limit (1 to 10,000, default
// 1,000) and offset, in bbox (in bbox-crs), with coordinates in crs.
func (s *Server) ogcItems(c *fiber.Ctx) error {
	l, err := s.layer(c)
	if err != nil {
		return err
	}
	if err := checkOGCParams(c, ogcItemsParams); err != nil {
		return err
	}
	out, err := parseOGCCRS("crs", c.Query("crs"))
	if err != nil {
		return err
	}
	b, err := ogcBBox(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", ogcDefLimit)
	if err != nil || limit < 1 {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_limit", "limit: a whole number from 1 (at most %d are served)", ogcMaxLimit)
	}
	limit = min(limit, ogcMaxLimit) // larger asks get the maximum (Part 1 permits it)
	offset, err := queryInt(c, "offset", 0)
	if err != nil || offset < 0 {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_offset", "offset must be a whole number >= 0")
	}
	all, total, _ := l.InBBox(b, -1, l.Count)
	start := min(int(offset), len(all))
	end := min(start+int(limit), len(all))
	fs := make([]feature, 0, end-start)
	for _, f := range all[start:end] {
		fs = append(fs, ogcFeature(f, out))
	}
	page := func(off int) string {
		q := url.Values{"limit": {strconv.FormatInt(limit, 10)}, "offset": {strconv.Itoa(off)}}
		for _, k := range []string{"bbox", "bbox-crs", "crs"} {
			if v := c.Query(k); v != "" {
				q.Set(k, v)
			}
		}
		return base(c) + "/collections/" + l.ID + "/items?" + q.Encode()
	}
	links := []ogcLink{{Href: page(start), Rel: "self", Type: geoJSONType},
		{Href: base(c) + "/collections/" + l.ID, Rel: "collection", Type: jsonMIME}}
	if end < total {
		links = append(links, ogcLink{Href: page(end), Rel: "next", Type: geoJSONType})
	}
	if start > 0 {
		links = append(links, ogcLink{Href: page(max(0, start-int(limit))), Rel: "prev", Type: geoJSONType})
	}
	c.Set("Content-Crs", "<"+out.uri+">")
	return c.JSON(fiber.Map{
		"type": "FeatureCollection", "features": fs, "links": links,
		"numberMatched": total, "numberReturned": len(fs), "timeStamp": time.Now().UTC().Format(time.RFC3339),
	}, geoJSONType)
}

// ogcItem is one feature, in crs, with links to itself and its collection.
func (s *Server) ogcItem(c *fiber.Ctx) error {
	l, err := s.layer(c)
	if err != nil {
		return err
	}
	if err := checkOGCParams(c, map[string]bool{"crs": true, "f": true}); err != nil {
		return err
	}
	out, err := parseOGCCRS("crs", c.Query("crs"))
	if err != nil {
		return err
	}
	id, err := strconv.Atoi(c.Params("item"))
	f, ok := l.Feature(id)
	if err != nil || !ok {
		return einsatzraum.Errorf(einsatzraum.KindNotFound, "feature_not_found", "no such feature")
	}
	ft := ogcFeature(f, out)
	coll := base(c) + "/collections/" + l.ID
	c.Set("Content-Crs", "<"+out.uri+">")
	return c.JSON(fiber.Map{"type": "Feature", "id": ft.ID, "geometry": ft.Geometry, "properties": ft.Properties,
		"links": []ogcLink{{Href: coll + "/items/" + ft.ID, Rel: "self", Type: geoJSONType}, {Href: coll, Rel: "collection", Type: jsonMIME}}}, geoJSONType)
}
