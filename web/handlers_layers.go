package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
	"github.com/einsatzraum/einsatzraum/layers"
)

// Limits of the layer endpoints.
const (
	defaultFeaturePage = 100
	maxFeaturePage     = 10000
)

func (s *Server) layer(c *fiber.Ctx) (*layers.Layer, error) {
	return s.svc.Layer(actor(c), c.Params("layer"))
}

func (s *Server) listLayers(c *fiber.Ctx) error {
	list, err := s.svc.Layers(actor(c))
	if err != nil {
		return err
	}
	return c.JSON(items(list))
}

// layerFeature is a layer feature as GeoJSON.
func layerFeature(f layers.Feature) feature {
	return feature{Type: "Feature", ID: strconv.Itoa(f.ID), Geometry: geometry{Type: f.Geometry.GeoJSONType(), Coordinates: coordinates(f.Geometry)}, Properties: f.Properties}
}

// coordinates returns the GeoJSON coordinates of an orb geometry (orb's
// types marshal as nested arrays already).
func coordinates(g orb.Geometry) any { return g }

func (s *Server) layerFeatures(c *fiber.Ctx) error {
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
	limit, err := queryInt(c, "limit", defaultFeaturePage)
	if err != nil {
		return err
	}
	if limit < 1 || limit > maxFeaturePage {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_limit", "limit must be in [1, %d]", maxFeaturePage)
	}
	after := -1
	if cur := c.Query("cursor"); cur != "" {
		n, err := strconv.Atoi(cur)
		if err != nil || n < 0 {
			return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_cursor", "cursor is not one this server gave out")
		}
		after = n
	}
	page, total, next := l.InBBox(b, after, int(limit))
	fs := make([]feature, len(page))
	for i, f := range page {
		fs[i] = layerFeature(f)
	}
	reply := fiber.Map{"type": "FeatureCollection", "features": fs, "numberMatched": total, "numberReturned": len(fs)}
	if next >= 0 {
		reply["next_cursor"] = strconv.Itoa(next)
	}
	c.Set(fiber.HeaderContentType, "application/geo+json")
	return c.JSON(reply, "application/geo+json")
}

func (s *Server) layerNearby(c *fiber.Ctx) error {
	l, err := s.layer(c)
	if err != nil {
		return err
	}
	lat, lon, radius, limit, err := nearbyQuery(c, maxFeaturePage)
	if err != nil {
		return err
	}
	hits := l.Nearby(orb.Point{lon, lat}, radius, limit)
	fs := make([]feature, len(hits))
	for i, h := range hits {
		f := layerFeature(h.Feature)
		props := make(map[string]any, len(h.Properties)+1)
		for k, v := range h.Properties {
			props[k] = v
		}
		props["distance_m"] = h.DistanceM
		f.Properties = props
		fs[i] = f
	}
	return c.JSON(collection(fs), "application/geo+json")
}

// layerTile serves a Mapbox Vector Tile with an ETag of the layer version
// and the tile, gzip when the client accepts it, and 204 for empty tiles.
func (s *Server) layerTile(c *fiber.Ctx) error {
	l, err := s.layer(c)
	if err != nil {
		return err
	}
	z, x, y, err := tileAddress(c, layers.MaxZoom)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d/%d/%d/%d", l.ID, l.Version, z, x, y)))
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "private, max-age=300")
	c.Set(fiber.HeaderVary, "Accept-Encoding, Authorization")
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	tile, err := l.Tile(z, x, y)
	if err != nil {
		return fmt.Errorf("render tile %s/%d/%d/%d: %w", l.ID, z, x, y, err)
	}
	if len(tile) == 0 {
		return c.SendStatus(fiber.StatusNoContent)
	}
	c.Set(fiber.HeaderContentType, "application/vnd.mapbox-vector-tile")
	if strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(tile)
		_ = zw.Close()
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(buf.Bytes())
	}
	return c.Send(tile)
}

// importLayer takes a multipart upload (fields name, crs, lat_col, lon_col,
// x_col, y_col, sep and file), reading the file as a stream, and replaces
// or creates the layer (Service.ImportLayer: admins only). The role is
// checked before the upload is read.
func (s *Server) importLayer(c *fiber.Ctx) error {
	if err := s.svc.RequireRole(actor(c), einsatzraum.RoleAdmin); err != nil {
		return err
	}
	fields := map[string]string{}
	var features []layers.Feature
	err := readMultipart(c, s.maxUpload, fields, func(filename string, r io.Reader) error {
		crs, err := layers.ParseCRS(fields["crs"])
		if err != nil {
			return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_crs", "%v (send the crs field before the file)", err)
		}
		if isCSV(filename, fields) {
			var sep rune
			if s := fields["sep"]; s != "" {
				sep = []rune(s)[0]
			}
			features, err = layers.ReadCSV(r, crs, layers.CSVOptions{LatCol: fields["lat_col"], LonCol: fields["lon_col"], XCol: fields["x_col"], YCol: fields["y_col"], Sep: sep}, nil)
		} else {
			features, err = layers.ReadGeoJSON(r, crs, nil)
		}
		return err
	})
	if err != nil {
		return err
	}
	meta, err := s.svc.ImportLayer(c.UserContext(), actor(c), fields["name"], features)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(meta)
}

func isCSV(filename string, fields map[string]string) bool {
	if f := strings.ToLower(fields["format"]); f != "" {
		return f == "csv"
	}
	return strings.HasSuffix(strings.ToLower(filename), ".csv") || fields["lat_col"] != "" || fields["x_col"] != ""
}

func tooLarge(limit int64) error {
	return einsatzraum.Errorf(einsatzraum.KindTooLarge, "file_too_large", "the upload is larger than %d bytes", limit)
}

// countingReader stops after limit bytes and remembers that it did.
type countingReader struct {
	r     io.Reader
	n     int64
	limit int64
	over  bool
}

func (cr *countingReader) Read(p []byte) (int, error) {
	if cr.n >= cr.limit {
		cr.over = true
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > cr.limit-cr.n {
		p = p[:cr.limit-cr.n+1]
	}
	n, err := cr.r.Read(p)
	cr.n += int64(n)
	if cr.n > cr.limit {
		cr.over = true
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

// bodyReader returns the request body as a stream: bodies over Fiber's
// body limit arrive as one (StreamRequestBody), smaller ones are in memory.
func bodyReader(c *fiber.Ctx) io.Reader {
	if c.Request().IsBodyStream() {
		return c.Context().RequestBodyStream()
	}
	return bytes.NewReader(c.Body())
}
