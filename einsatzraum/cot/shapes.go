package cot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// Drawings and TAK shapes. A room's drawings reach TAK clients as the
// shapes ATAK draws itself: u-d-f (a polyline; closed, a polygon) with one
// <link point="lat,lon"/> per vertex, u-d-r (a rectangle: its four
// corners) and u-d-c-c (a circle: centre and <shape><ellipse major minor>
// in metres), coloured by strokeColor/fillColor (signed ARGB) with
// labels_on; markers as spot markers. Shapes a TAK client draws (the same
// three types) become drawings of its room, and a delete task (t-x-d-d)
// for one deletes it.

// CoT types of drawn shapes.
const (
	shapeFreehand  = "u-d-f"
	shapeRectangle = "u-d-r"
	shapeCircle    = "u-d-c-c"
	deleteTask     = "t-x-d-d"
)

// drawingUIDPrefix marks the uid of a drawing made here (not by a TAK client).
const drawingUIDPrefix = "einsatzraum.drawing."

// drawingUID is the CoT uid of a drawing: the TAK client's own for a shape
// one drew, ours otherwise.
func drawingUID(d *einsatzraum.Drawing) string {
	if d.TakUID != "" {
		return d.TakUID
	}
	return drawingUIDPrefix + d.ID
}

// defaultDrawingColor is the colour of a drawing that has none (the
// dashboard's default, a dark blue).
const defaultDrawingColor = "#0b2545"

// argb turns "#rrggbb" into ATAK's signed ARGB integer with alpha a.
func argb(color string, a uint8) int32 {
	if len(color) != 7 || color[0] != '#' {
		color = defaultDrawingColor
	}
	rgb, err := strconv.ParseUint(color[1:], 16, 32)
	if err != nil {
		rgb, _ = strconv.ParseUint(defaultDrawingColor[1:], 16, 32)
	}
	return int32(uint32(a)<<24 | uint32(rgb))
}

// argbValue is argb as a detail's value attribute (strokeColor, fillColor).
func argbValue(color string, a uint8) *Value {
	return &Value{strconv.FormatInt(int64(argb(color, a)), 10)}
}

// rgbOf turns ATAK's signed ARGB integer into "#rrggbb"; "" when it is not one.
func rgbOf(v *Value) string {
	if v == nil {
		return ""
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v.Value), 10, 64)
	if err != nil || n < -1<<31 || n > 1<<32-1 {
		return ""
	}
	return fmt.Sprintf("#%06x", uint32(n)&0xffffff)
}

// shapeEvent is drawingEvent, remembering the drawing's uid for its deletion.
func (g *Gateway) shapeEvent(d *einsatzraum.Drawing, now time.Time) (*Event, error) {
	ev, err := drawingEvent(d, now)
	if err == nil {
		g.shapeUIDs.Store(d.ID, ev.UID)
	}
	return ev, err
}

// drawingEvent is a drawing as a TAK shape (or a spot marker), stale in a
// year like a POI.
func drawingEvent(d *einsatzraum.Drawing, now time.Time) (*Event, error) {
	ev := &Event{UID: drawingUID(d), How: "h-e", Time: FormatTime(d.UpdatedAt), Start: FormatTime(d.UpdatedAt),
		Stale: FormatTime(now.Add(365 * 24 * time.Hour))}
	det := &Detail{Contact: &Contact{Callsign: d.Label}, StrokeColor: argbValue(d.Color, 0xff), StrokeWeight: &Value{"3.0"},
		LabelsOn: &Value{"true"}}
	ev.Detail = det
	if d.Category != "" {
		det.Remarks = &Remarks{Text: d.Category}
	}
	g, err := d.Geometry.Orb()
	if err != nil {
		return nil, fmt.Errorf("drawing %s: %w", d.ID, err)
	}
	switch g := g.(type) {
	case orb.Point:
		ev.Point = mapPoint(g[1], g[0], Unknown)
		if d.RadiusM <= 0 { // a marker
			ev.Type = poiType
			det.StrokeColor, det.StrokeWeight, det.LabelsOn = nil, nil, nil
			det.Color = &Color{ARGB: argb(d.Color, 0xff)}
			return ev, nil
		}
		r := FormatNumber(d.RadiusM)
		ev.Type = shapeCircle
		det.Shape = &Shape{Ellipse: &Ellipse{Major: r, Minor: r, Angle: "360"}}
		det.FillColor = argbValue(d.Color, 0x40)
	case orb.LineString:
		ev.Type = shapeFreehand
		setVertices(ev, g)
	case orb.Polygon:
		outer := g[0] // TAK shapes have no holes: the outer ring only
		ev.Type = shapeFreehand
		if isRectangle(outer) {
			ev.Type = shapeRectangle
			outer = outer[:4]
		}
		setVertices(ev, outer)
		det.FillColor = argbValue(d.Color, 0x40)
	}
	return ev, nil
}

// setVertices puts points ([lon, lat]) as the event's vertex links and
// its point at their centre.
func setVertices(ev *Event, pts []orb.Point) {
	var sumLat, sumLon float64
	for _, p := range pts {
		ev.Detail.Links = append(ev.Detail.Links, Link{Point: FormatNumber(p[1]) + "," + FormatNumber(p[0])})
		sumLat, sumLon = sumLat+p[1], sumLon+p[0]
	}
	n := float64(len(pts))
	ev.Point = mapPoint(sumLat/n, sumLon/n, Unknown)
}

// isRectangle reports whether a closed ring is an axis-parallel rectangle
// (what ATAK's u-d-r draws).
func isRectangle(ring orb.Ring) bool {
	if len(ring) != 5 || ring[0] != ring[4] {
		return false
	}
	for i := range 4 {
		a, b := ring[i], ring[i+1]
		if a[0] != b[0] && a[1] != b[1] {
			return false
		}
	}
	return ring[0] != ring[2]
}

// vertices reads a shape's vertex links as [lon, lat] points.
func vertices(ev *Event) ([][2]float64, error) {
	var pts [][2]float64
	for _, l := range ev.Detail.Links {
		if l.Point == "" {
			continue
		}
		lat, lon, ok := strings.Cut(l.Point, ",")
		if !ok {
			return nil, fmt.Errorf("link point %q: want lat,lon", l.Point)
		}
		la, err := ParseNumber("lat", strings.TrimSpace(lat))
		if err != nil {
			return nil, err
		}
		lo, err := ParseNumber("lon", strings.TrimSpace(strings.SplitN(lon, ",", 2)[0])) // lat,lon[,hae]
		if err != nil {
			return nil, err
		}
		pts = append(pts, [2]float64{lo, la})
	}
	return pts, nil
}

// ShapeInput reads a TAK shape event (u-d-f, u-d-r, u-d-c-c) as a drawing:
// geometry, label (its callsign) and colour (its strokeColor).
func ShapeInput(ev *Event) (einsatzraum.DrawingInput, error) {
	var in einsatzraum.DrawingInput
	if ev.Detail == nil {
		return in, fmt.Errorf("a shape without detail")
	}
	geometry := func(typ string, coords any) error {
		b, err := json.Marshal(coords)
		in.Geometry = &einsatzraum.DrawingGeometry{Type: typ, Coordinates: b}
		return err
	}
	category := "area"
	switch ev.Type {
	case shapeCircle:
		lat, err := ParseNumber("lat", ev.Point.Lat)
		if err != nil {
			return in, err
		}
		lon, err := ParseNumber("lon", ev.Point.Lon)
		if err != nil {
			return in, err
		}
		if ev.Detail.Shape == nil || ev.Detail.Shape.Ellipse == nil {
			return in, fmt.Errorf("a circle without <shape><ellipse>")
		}
		r, err := ParseNumber("major", ev.Detail.Shape.Ellipse.Major)
		if err != nil {
			return in, err
		}
		in.RadiusM = &r
		if err := geometry("Point", [2]float64{lon, lat}); err != nil {
			return in, err
		}
	case shapeRectangle, shapeFreehand:
		pts, err := vertices(ev)
		if err != nil {
			return in, err
		}
		closed := ev.Type == shapeRectangle || (len(pts) >= 4 && pts[0] == pts[len(pts)-1])
		switch {
		case closed && len(pts) >= 3:
			if pts[0] != pts[len(pts)-1] {
				pts = append(pts, pts[0])
			}
			err = geometry("Polygon", [][][2]float64{pts})
		case !closed && len(pts) >= 2:
			category = "route"
			err = geometry("LineString", pts)
		default:
			err = fmt.Errorf("a shape of %d points", len(pts))
		}
		if err != nil {
			return in, err
		}
	default:
		return in, fmt.Errorf("not a shape: %s", ev.Type)
	}
	in.Category = &category
	if ev.Detail.Contact != nil {
		label := strings.TrimSpace(ev.Detail.Contact.Callsign)
		in.Label = &label
	}
	if c := rgbOf(ev.Detail.StrokeColor); c != "" {
		in.Color = &c
	}
	return in, nil
}

// shape takes a TAK client's drawn shape into the room: a drawing of ours
// sent back (moved, relabelled) changes it, a shape of its own is put
// under its uid.
func (s *session) shape(ctx context.Context, ev *Event) {
	in, err := ShapeInput(ev)
	if err == nil {
		svc := s.g.cfg.Service
		if id, ours := strings.CutPrefix(ev.UID, drawingUIDPrefix); ours {
			in.Category = nil
			_, err = svc.UpdateDrawing(ctx, s.actor, id, in)
		} else {
			_, _, err = svc.PutTakDrawing(ctx, s.actor, s.room, ev.UID, in)
		}
	}
	if err != nil {
		s.g.metrics.received.WithLabelValues("shape_rejected").Inc()
		s.g.log.Info("cot: shape not taken", "uid", s.uid, "shape", ev.UID, "err", err)
	}
}

// deleteShape deletes the drawings a delete task (t-x-d-d) links to.
func (s *session) deleteShape(ctx context.Context, ev *Event) {
	if ev.Detail == nil {
		return
	}
	for _, l := range ev.Detail.Links {
		if l.UID == "" {
			continue
		}
		id, ours := strings.CutPrefix(l.UID, drawingUIDPrefix)
		if !ours {
			id = einsatzraum.TakDrawingID(s.room, l.UID)
		}
		if err := s.g.cfg.Service.DeleteDrawing(ctx, s.actor, id); err != nil {
			s.g.log.Info("cot: shape not deleted", "uid", s.uid, "shape", l.UID, "err", err)
		}
	}
}
