package web

import (
	"fmt"
	"strconv"
	"time"

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
	ogcDefLimit  = 100
	crs84        = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	ogcCoreConf  = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
	ogcGeoJSONCf = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
	ogcOAS30Conf = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
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
	return c.JSON(fiber.Map{"conformsTo": []string{ogcCoreConf, ogcGeoJSONCf, ogcOAS30Conf}})
}

func ogcCollection(b string, m layers.Meta) fiber.Map {
	return fiber.Map{
		"id": m.ID, "title": m.Name, "itemType": "feature",
		"description": fmt.Sprintf("%d features, version %d of %s", m.Count, m.Version, m.UpdatedAt.Format(time.RFC3339)),
		"extent":      fiber.Map{"spatial": fiber.Map{"bbox": [][4]float64{m.BBox}, "crs": crs84}},
		"crs":         []string{crs84},
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

// ogcItems pages through a collection with limit and offset.
func (s *Server) ogcItems(c *fiber.Ctx) error {
	l, err := s.layer(c)
	if err != nil {
		return err
	}
	b := geo.BBox{MinLon: -180, MinLat: -90, MaxLon: 180, MaxLat: 90}
	if q, err := queryBBox(c); err != nil {
		return err
	} else if q != nil {
		b = *q
	}
	limit, err := queryInt(c, "limit", ogcDefLimit)
	if err != nil {
		return err
	}
	limit = min(max(limit, 1), ogcMaxLimit) // the standard says: clamp, do not fail
	offset, err := queryInt(c, "offset", 0)
	if err != nil || offset < 0 {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_offset", "offset must be a whole number >= 0")
	}
	all, total, _ := l.InBBox(b, -1, l.Count)
	start := min(int(offset), len(all))
	end := min(start+int(limit), len(all))
	fs := make([]feature, 0, end-start)
	for _, f := range all[start:end] {
		fs = append(fs, layerFeature(f))
	}
	self := fmt.Sprintf("%s/collections/%s/items?limit=%d&offset=%d", base(c), l.ID, limit, offset)
	if bb := c.Query("bbox"); bb != "" {
		self += "&bbox=" + bb
	}
	links := []ogcLink{{Href: self, Rel: "self", Type: geoJSONType}}
	if end < total {
		next := fmt.Sprintf("%s/collections/%s/items?limit=%d&offset=%d", base(c), l.ID, limit, end)
		if bb := c.Query("bbox"); bb != "" {
			next += "&bbox=" + bb
		}
		links = append(links, ogcLink{Href: next, Rel: "next", Type: geoJSONType})
	}
	return c.JSON(fiber.Map{
		"type": "FeatureCollection", "features": fs, "links": links,
		"numberMatched": total, "numberReturned": len(fs), "timeStamp": time.Now().UTC().Format(time.RFC3339),
	}, geoJSONType)
}

func (s *Server) ogcItem(c *fiber.Ctx) error {
	l, err := s.layer(c)
	if err != nil {
		return err
	}
	id, err := strconv.Atoi(c.Params("item"))
	f, ok := l.Feature(id)
	if err != nil || !ok {
		return einsatzraum.Errorf(einsatzraum.KindNotFound, "feature_not_found", "no such feature")
	}
	out := layerFeature(f)
	return c.JSON(fiber.Map{"type": "Feature", "id": out.ID, "geometry": out.Geometry, "properties": out.Properties,
		"links": []ogcLink{{Href: base(c) + "/collections/" + l.ID + "/items/" + out.ID, Rel: "self", Type: geoJSONType}}}, geoJSONType)
}
