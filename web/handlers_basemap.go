package web

import (
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo/basemap"
	"github.com/einsatzraum/einsatzraum/geo/geocode"
)

// Basemap is the offline street map the server serves: an MBTiles file
// made by `einsatzraum basemap build` (tiles, style, glyphs and sprites
// from this server) or a PMTiles file that the browser reads in ranges
// (style, glyphs and sprites still from here). Both empty: no basemap;
// the dashboard draws a coordinate grid.
type Basemap struct {
	MBTiles *basemap.MBTiles
	PMTiles string
}

func (b Basemap) configured() bool { return b.MBTiles != nil || b.PMTiles != "" }

// The basemap's routes are public: they hold OpenStreetMap data only, and
// a map can be drawn before a login (MapLibre fetches glyphs and sprites
// without our bearer token).

func (s *Server) basemapStyle(c *fiber.Ctx) error {
	if !s.basemap.configured() {
		return einsatzraum.Errorf(einsatzraum.KindNotFound, "no_basemap", "no basemap is configured (serve --basemap FILE.mbtiles)")
	}
	base := c.BaseURL() + "/api/v1/basemap"
	u := basemap.StyleURLs{Glyphs: base + "/glyphs/{fontstack}/{range}.pbf", Sprite: base + "/sprites/light"}
	if s.basemap.MBTiles != nil {
		m := s.basemap.MBTiles.Metadata
		u.Tiles, u.MaxZoom, u.Bounds = base+"/tiles/{z}/{x}/{y}.mvt", m.MaxZoom, m.Bounds
	} else {
		u.PMTiles = "pmtiles://" + c.BaseURL() + "/basemap.pmtiles"
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(basemap.Style(u))
}

// basemapTile serves a gzipped vector tile as stored; a client that does
// not take gzip gets it unpacked. 204 where the map has nothing.
func (s *Server) basemapTile(c *fiber.Ctx) error {
	if s.basemap.MBTiles == nil {
		return einsatzraum.Errorf(einsatzraum.KindNotFound, "no_basemap", "no MBTiles basemap is configured (serve --basemap FILE.mbtiles)")
	}
	z, x, y, err := tileAddress(c, 22)
	if err != nil {
		return err
	}
	data, err := s.basemap.MBTiles.Tile(c.UserContext(), z, x, y)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	if data == nil {
		return c.SendStatus(fiber.StatusNoContent)
	}
	c.Set(fiber.HeaderContentType, "application/vnd.mapbox-vector-tile")
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(data)
	}
	plain, err := fasthttp.AppendGunzipBytes(nil, data)
	if err != nil {
		return fmt.Errorf("unpack basemap tile %d/%d/%d: %w", z, x, y, err)
	}
	return c.Send(plain)
}

// tileAddress reads z/x/y of a tile route: 400 invalid_tile for what is
// not a whole number, 404 tile_not_found outside 0 <= x, y < 2^z, z <= maxZoom.
func tileAddress(c *fiber.Ctx, maxZoom uint32) (z, x, y uint32, err error) {
	var zxy [3]uint32
	for i, name := range []string{"z", "x", "y"} {
		n, err := strconv.ParseUint(c.Params(name), 10, 32)
		if err != nil {
			return 0, 0, 0, einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_tile", "z, x and y must be whole numbers")
		}
		zxy[i] = uint32(n)
	}
	z, x, y = zxy[0], zxy[1], zxy[2]
	if z > maxZoom || x >= 1<<z || y >= 1<<z {
		return 0, 0, 0, einsatzraum.Errorf(einsatzraum.KindNotFound, "tile_not_found", "tile %d/%d/%d does not exist (max zoom %d)", z, x, y, maxZoom)
	}
	return z, x, y, nil
}

func (s *Server) basemapGlyphs(c *fiber.Ctx) error {
	stack, err := url.PathUnescape(c.Params("fontstack"))
	if err != nil {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_fontstack", "the font stack is not a valid path segment")
	}
	data, ok := basemap.Glyphs(stack, c.Params("range"))
	if !ok {
		return einsatzraum.Errorf(einsatzraum.KindNotFound, "no_such_glyphs", "fonts served: %s; ranges like 0-255", strings.Join(basemap.Fonts, ", "))
	}
	c.Set(fiber.HeaderContentType, "application/x-protobuf")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Send(data)
}

func (s *Server) basemapSprite(c *fiber.Ctx) error {
	name := c.Params("name")
	data, ok := basemap.Sprite(name)
	if !ok {
		return einsatzraum.Errorf(einsatzraum.KindNotFound, "no_such_sprite", "sprites served: light and light@2x, .json and .png")
	}
	c.Set(fiber.HeaderContentType, contentTypes[path.Ext(name)])
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Send(data)
}

// geocode answers GET /api/v1/geocode?q=&lat=&lon=&limit= as a GeoJSON
// FeatureCollection of points, best first.
func (s *Server) geocode(c *fiber.Ctx) error {
	a := actor(c)
	q := einsatzraum.GeocodeQuery{Text: c.Query("q")}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_limit", "limit: a whole number from 1 to 50")
		}
		q.Limit = n
	}
	if c.Query("lat") != "" || c.Query("lon") != "" {
		lat, err1 := strconv.ParseFloat(c.Query("lat"), 64)
		lon, err2 := strconv.ParseFloat(c.Query("lon"), 64)
		if err1 != nil || err2 != nil || !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180) {
			return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_position", "lat and lon: both, in degrees (WGS 84)")
		}
		q.Near = &geocode.Near{Lon: lon, Lat: lat}
	}
	hits, err := s.svc.Geocode(c.UserContext(), a, q)
	if err != nil {
		return err
	}
	features := make([]feature, len(hits))
	for i, h := range hits {
		props := fiber.Map{"name": h.Name, "kind": h.Kind, "source": h.Source, "score": float64(int(h.Score*1000)) / 1000}
		if h.Ref != "" {
			props["id"] = h.Ref
		}
		if h.Room != "" {
			props["room"] = h.Room
		}
		if h.Layer != "" {
			props["layer"] = h.Layer
		}
		features[i] = feature{Type: "Feature", Geometry: point(h.Lon, h.Lat), Properties: props}
	}
	return c.JSON(collection(features), "application/geo+json")
}
