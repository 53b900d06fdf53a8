package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

// positionIn is one point of POST /api/v1/positions, decoded field by field
// so that one bad point does not spoil the batch.
type positionIn struct {
	Lat       *float64 `json:"lat"`
	Lon       *float64 `json:"lon"`
	AccuracyM *float64 `json:"accuracy_m"`
	Heading   *float64 `json:"heading"`
	SpeedMps  *float64 `json:"speed_mps"`
	TS        string   `json:"ts"`
}

func (s *Server) reportPositions(c *fiber.Ctx) error {
	body, err := jsonBody(c)
	if err != nil {
		return err
	}
	items, err := decodePositions(body)
	if err != nil {
		return err
	}
	var ps []geo.Position
	var index []int // index[i]: position of ps[i] in the request
	var rejected []einsatzraum.Rejected
	for i, it := range items {
		p, rej := it.point()
		if rej != nil {
			rej.Index = i
			rejected = append(rejected, *rej)
			continue
		}
		ps = append(ps, p)
		index = append(index, i)
	}
	accepted := 0
	if len(ps) > 0 || len(items) == 0 {
		n, rej, err := s.svc.ReportPositions(c.UserContext(), actor(c), ps)
		if err != nil {
			return err
		}
		accepted = n
		for _, r := range rej {
			r.Index = index[r.Index]
			rejected = append(rejected, r)
		}
	}
	if len(rejected) == 0 {
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"accepted": accepted})
	}
	first := rejected[0]
	return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{
		"error": errorDetail{Code: first.Code, Message: fmt.Sprintf("%d of %d positions rejected (first: item %d, %s: %s); the others were kept",
			len(rejected), len(items), first.Index, first.Field, first.Message)},
		"accepted": accepted,
		"rejected": rejected,
	})
}

// positionItem is one item of a positions body: decoded, or refused as
// JSON.
type positionItem struct {
	in  positionIn
	rej *einsatzraum.Rejected
}

// decodePositions reads a positions body: by hand when it has the plain
// shape clients send (decodePositionsFast), else with encoding/json.
func decodePositions(body []byte) ([]positionItem, error) {
	if fast, ok := decodePositionsFast(body); ok {
		items := make([]positionItem, len(fast))
		for i := range fast {
			items[i].in = fast[i]
		}
		return items, nil
	}
	var in struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := decodeBytes(body, &in); err != nil {
		return nil, err
	}
	items := make([]positionItem, len(in.Items))
	for i, raw := range in.Items {
		items[i].in, items[i].rej = decodePositionIn(raw)
	}
	return items, nil
}

// point returns the item's checked point, or why it is refused.
func (it positionItem) point() (geo.Position, *einsatzraum.Rejected) {
	if it.rej != nil {
		return geo.Position{}, it.rej
	}
	return it.in.position()
}

// decodePositionIn reads one item with encoding/json.
func decodePositionIn(raw json.RawMessage) (positionIn, *einsatzraum.Rejected) {
	var in positionIn
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&in); err != nil {
		field := "item"
		if te, ok := err.(*json.UnmarshalTypeError); ok && te.Field != "" {
			field = te.Field
		}
		return in, &einsatzraum.Rejected{Field: field, Code: "invalid_" + field, Message: "must be a position object with numbers for lat, lon, accuracy_m, heading, speed_mps"}
	}
	return in, nil
}

// position checks what an item must hold and returns its point.
func (in *positionIn) position() (geo.Position, *einsatzraum.Rejected) {
	if in.Lat == nil {
		return geo.Position{}, &einsatzraum.Rejected{Field: "lat", Code: "missing_lat", Message: "lat is required"}
	}
	if in.Lon == nil {
		return geo.Position{}, &einsatzraum.Rejected{Field: "lon", Code: "missing_lon", Message: "lon is required"}
	}
	p := geo.Position{Lat: *in.Lat, Lon: *in.Lon, Heading: in.Heading, SpeedMps: in.SpeedMps}
	if in.AccuracyM != nil {
		p.AccuracyM = *in.AccuracyM
	}
	if in.TS == "" {
		return p, &einsatzraum.Rejected{Field: "ts", Code: "missing_ts", Message: "ts (RFC 3339) is required"}
	}
	ts, err := time.Parse(time.RFC3339Nano, in.TS)
	if err != nil {
		return p, &einsatzraum.Rejected{Field: "ts", Code: "invalid_ts", Message: "ts must be an RFC 3339 time"}
	}
	p.TS = ts
	return p, nil
}

// queryBBox parses the optional bbox parameter.
func queryBBox(c *fiber.Ctx) (*geo.BBox, error) {
	s := c.Query("bbox")
	if s == "" {
		return nil, nil
	}
	b, err := geo.ParseBBox(s)
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// queryFloat parses a float query parameter; absent is def, or an error
// when required.
func queryFloat(c *fiber.Ctx, name string, required bool, def float64) (float64, error) {
	s := c.Query(name)
	if s == "" {
		if required {
			return 0, einsatzraum.Errorf(einsatzraum.KindInvalid, "missing_"+name, "%s is required", name)
		}
		return def, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_"+name, "%s must be a number, got %q", name, s)
	}
	return f, nil
}

func queryTime(c *fiber.Ctx, name string) (time.Time, error) {
	s := c.Query(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_"+name, "%s must be an RFC 3339 time", name)
	}
	return t, nil
}

func (s *Server) positions(c *fiber.Ctx) error {
	b, err := queryBBox(c)
	if err != nil {
		return err
	}
	ps, err := s.svc.Positions(c.UserContext(), actor(c), einsatzraum.PositionQuery{Room: c.Params("room"), Chat: c.Query("chat"), BBox: b})
	if err != nil {
		return err
	}
	return c.JSON(positionFeatures(ps))
}

func (s *Server) stopSharing(c *fiber.Ctx) error {
	s.svc.StopSharing(c.UserContext(), actor(c))
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) forces(c *fiber.Ctx) error {
	fs, err := s.svc.Forces(c.UserContext(), actor(c), c.Params("room"), c.Query("q"))
	if err != nil {
		return err
	}
	return c.JSON(items(fs))
}

func (s *Server) positionsExtent(c *fiber.Ctx) error {
	b, n, err := s.svc.Extent(c.UserContext(), actor(c), c.Params("room"), c.Query("chat"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"bbox": b.Slice(), "count": n})
}

// nearbyQuery reads lat, lon, radius_m (default 1000) and limit (default
// 100, at most max) of a nearby query.
func nearbyQuery(c *fiber.Ctx, max int64) (lat, lon, radius float64, limit int, err error) {
	if lat, err = queryFloat(c, "lat", true, 0); err != nil {
		return
	}
	if lon, err = queryFloat(c, "lon", true, 0); err != nil {
		return
	}
	if err = geo.ValidateLatLon(lat, lon); err != nil {
		return
	}
	if radius, err = queryFloat(c, "radius_m", false, 1000); err != nil {
		return
	}
	if !(radius > 0) || radius > 25_000_000 {
		err = einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_radius_m", "radius_m must be in (0, 25000000]")
		return
	}
	n, err := queryInt(c, "limit", 100)
	if err == nil && (n < 1 || n > max) {
		err = einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_limit", "limit must be in [1, %d]", max)
	}
	return lat, lon, radius, int(n), err
}

func (s *Server) positionsNearby(c *fiber.Ctx) error {
	lat, lon, radius, limit, err := nearbyQuery(c, einsatzraum.MaxNearbyLimit)
	if err != nil {
		return err
	}
	ps, err := s.svc.Nearby(c.UserContext(), actor(c), c.Params("room"), lat, lon, radius, limit)
	if err != nil {
		return err
	}
	return c.JSON(positionFeatures(ps))
}

func (s *Server) createPOI(c *fiber.Ctx) error {
	var in einsatzraum.NewPOI
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p, replayed, err := s.svc.CreatePOIOnce(c.UserContext(), actor(c), c.Params("room"), in)
	if err != nil {
		return err
	}
	if replayed {
		return c.JSON(p) // 200: made by an earlier send of the same client_id
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

func (s *Server) pois(c *fiber.Ctx) error {
	b, err := queryBBox(c)
	if err != nil {
		return err
	}
	ps, err := s.svc.POIs(c.UserContext(), actor(c), c.Params("room"), b)
	if err != nil {
		return err
	}
	return c.JSON(poiFeatures(ps))
}

func (s *Server) deletePOI(c *fiber.Ctx) error {
	if err := s.svc.DeletePOI(c.UserContext(), actor(c), c.Params("room"), c.Params("poi")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) tracks(c *fiber.Ctx) error {
	from, err := queryTime(c, "from")
	if err != nil {
		return err
	}
	to, err := queryTime(c, "to")
	if err != nil {
		return err
	}
	ts, err := s.svc.Tracks(c.UserContext(), actor(c), c.Params("room"), queryList(c, "user"), from, to)
	if err != nil {
		return err
	}
	return c.JSON(trackFeatures(ts))
}

// queryList reads a comma-separated query parameter (empty: nil).
func queryList(c *fiber.Ctx, name string) []string {
	var out []string
	for _, v := range strings.Split(c.Query(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// exportKML writes the room's POIs, its drawings and the tracks of the
// last 24 hours (or from..to; of the members user lists) as KML.
func (s *Server) exportKML(c *fiber.Ctx) error {
	ctx, a, room := c.UserContext(), actor(c), c.Params("room")
	r, err := s.svc.Room(ctx, a, room)
	if err != nil {
		return err
	}
	pois, err := s.svc.POIs(ctx, a, room, nil)
	if err != nil {
		return err
	}
	from, err := queryTime(c, "from")
	if err != nil {
		return err
	}
	to, err := queryTime(c, "to")
	if err != nil {
		return err
	}
	tracks, err := s.svc.Tracks(ctx, a, room, queryList(c, "user"), from, to)
	if err != nil {
		return err
	}
	drawings, err := s.svc.Drawings(ctx, a, room)
	if err != nil {
		return err
	}
	drawingFolder := geo.Folder{Name: "Drawings"}
	for _, d := range drawings {
		g, err := drawingGeometry(d)
		if err != nil {
			return err
		}
		drawingFolder.Placemarks = append(drawingFolder.Placemarks, geo.Placemark{
			Name: d.Label, Description: d.Category, Geometry: g, Color: d.Color,
		})
	}
	poiFolder := geo.Folder{Name: "POIs"}
	for _, p := range pois {
		poiFolder.Placemarks = append(poiFolder.Placemarks, geo.Placemark{
			Name: p.Name, Description: strings.TrimSpace(p.Category + "\n" + p.Description),
			Geometry: geom.NewPointFlat(geom.XY, []float64{p.Lon, p.Lat}),
		})
	}
	trackFolder := geo.Folder{Name: "Tracks"}
	for _, t := range tracks {
		trackFolder.Placemarks = append(trackFolder.Placemarks, geo.Placemark{
			Name: t.Callsign, Description: t.Name, Geometry: geo.TrackGeometry(t.Points),
			Begin: t.Points[0].TS, End: t.Points[len(t.Points)-1].TS,
		})
	}
	var buf bytes.Buffer
	if err := geo.WriteKML(&buf, r.Name, []geo.Folder{poiFolder, drawingFolder, trackFolder}); err != nil {
		return fmt.Errorf("write KML: %w", err)
	}
	c.Set(fiber.HeaderContentType, "application/vnd.google-earth.kml+xml")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+room+`.kml"`)
	return c.Send(buf.Bytes())
}

// drawingGeometry is a drawing as a go-geom geometry for KML: a circle
// (a Point with a radius) as a polygon of 64 corners.
func drawingGeometry(d einsatzraum.Drawing) (geom.T, error) {
	g, err := d.Geometry.Orb()
	if err != nil {
		return nil, fmt.Errorf("drawing %s: %w", d.ID, err)
	}
	switch g := g.(type) {
	case orb.Point:
		if d.RadiusM <= 0 {
			return geom.NewPointFlat(geom.XY, []float64{g[0], g[1]}), nil
		}
		return polygonGeometry(orb.Polygon{geo.CircleRing(g, d.RadiusM, 64)}), nil
	case orb.LineString:
		flat := make([]float64, 0, 2*len(g))
		for _, p := range g {
			flat = append(flat, p[0], p[1])
		}
		return geom.NewLineStringFlat(geom.XY, flat), nil
	case orb.Polygon:
		return polygonGeometry(g), nil
	}
	return nil, fmt.Errorf("drawing %s: geometry %q", d.ID, d.Geometry.Type)
}

func polygonGeometry(rings orb.Polygon) *geom.Polygon {
	var flat []float64
	var ends []int
	for _, r := range rings {
		for _, p := range r {
			flat = append(flat, p[0], p[1])
		}
		ends = append(ends, len(flat))
	}
	return geom.NewPolygonFlat(geom.XY, flat, ends)
}
