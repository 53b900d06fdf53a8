package einsatzraum

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/einsatzraum/einsatzraum/geo"
)

// Drawings are the situation picture command staff plan on: cordons
// (Absperrungen), sectors (Einsatzabschnitte), routes, assembly areas and
// markers, as room objects with events, stored and retained like POIs.

// Events of drawings.
const (
	EventDrawingCreated = "drawing.created"
	EventDrawingUpdated = "drawing.updated"
	EventDrawingDeleted = "drawing.deleted"
)

// DrawingCategories are what a drawing may stand for.
var DrawingCategories = []string{"cordon", "sector", "route", "area", "marker"}

// MaxDrawingVertices bounds the points of one drawing.
const MaxDrawingVertices = 10000

// DrawingGeometry is a drawing's GeoJSON geometry: a Polygon (one outer
// ring, holes allowed), a LineString or a Point (a marker, or with
// RadiusM a circle), in WGS 84.
type DrawingGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// Orb decodes the geometry (checked when it was stored) as an orb.Point,
// orb.LineString or orb.Polygon, for whoever draws, exports or fences it.
func (g DrawingGeometry) Orb() (orb.Geometry, error) {
	var err error
	switch g.Type {
	case "Point":
		var p orb.Point
		err = json.Unmarshal(g.Coordinates, &p)
		return p, err
	case "LineString":
		var l orb.LineString
		err = json.Unmarshal(g.Coordinates, &l)
		return l, err
	case "Polygon":
		var p orb.Polygon
		if err = json.Unmarshal(g.Coordinates, &p); err == nil && len(p) == 0 {
			err = errors.New("a polygon without rings")
		}
		return p, err
	}
	return nil, fmt.Errorf("geometry type %q", g.Type)
}

// Geofence makes a drawing report members who cross it: on entering,
// leaving or both.
type Geofence struct {
	On string `json:"on"`
}

// Drawing is one object of the situation picture.
type Drawing struct {
	ID       string          `json:"id"`
	Room     string          `json:"room"`
	Geometry DrawingGeometry `json:"geometry"`
	RadiusM  float64         `json:"radius_m,omitempty"`
	Label    string          `json:"label"`
	Category string          `json:"category"`
	Color    string          `json:"color,omitempty"`
	Geofence *Geofence       `json:"geofence,omitempty"`
	// TakUID is the CoT uid of a shape a TAK client drew; the drawing goes
	// back to TAK clients under it.
	TakUID    string    `json:"tak_uid,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DrawingInput is what a client sends to make or change a drawing; on a
// change, nil fields stay as they are.
type DrawingInput struct {
	Geometry *DrawingGeometry `json:"geometry"`
	RadiusM  *float64         `json:"radius_m"`
	Label    *string          `json:"label"`
	Category *string          `json:"category"`
	Color    *string          `json:"color"`
	Geofence *Geofence        `json:"geofence"`
}

var drawingColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// apply checks in and sets its fields on d. Errors are 400s naming the field.
func (in DrawingInput) apply(d *Drawing) error {
	if in.Geometry != nil {
		if err := checkDrawingGeometry(*in.Geometry); err != nil {
			return err
		}
		d.Geometry = *in.Geometry
	}
	if in.RadiusM != nil {
		d.RadiusM = *in.RadiusM
	}
	if d.RadiusM != 0 && (d.Geometry.Type != "Point" || !(d.RadiusM >= 1 && d.RadiusM <= 100000)) {
		return Errorf(KindInvalid, "invalid_radius", "radius_m makes a Point a circle: 1 to 100,000 m")
	}
	if in.Label != nil {
		if err := checkText("label", *in.Label, 0, 200); err != nil {
			return err
		}
		d.Label = strings.TrimSpace(*in.Label)
	}
	if in.Category != nil {
		d.Category = *in.Category
	}
	if !slices.Contains(DrawingCategories, d.Category) {
		return Errorf(KindInvalid, "invalid_category", "category: one of %s", strings.Join(DrawingCategories, ", "))
	}
	if in.Color != nil {
		if *in.Color != "" && !drawingColor.MatchString(*in.Color) {
			return Errorf(KindInvalid, "invalid_color", "color: #rrggbb")
		}
		d.Color = *in.Color
	}
	if in.Geofence != nil {
		switch in.Geofence.On {
		case "":
			d.Geofence = nil
		case "enter", "leave", "both":
			d.Geofence = &Geofence{On: in.Geofence.On}
		default:
			return Errorf(KindInvalid, "invalid_geofence", "geofence.on: enter, leave or both")
		}
	}
	if d.Geofence != nil && d.Geometry.Type == "LineString" {
		return Errorf(KindInvalid, "invalid_geofence", "a geofence needs an area: a polygon or a circle")
	}
	if d.Geofence != nil && d.Geometry.Type == "Point" && d.RadiusM == 0 {
		return Errorf(KindInvalid, "invalid_geofence", "a geofence needs an area: give the point a radius_m")
	}
	return nil
}

// checkDrawingGeometry accepts Point, LineString and Polygon geometries
// with valid WGS 84 coordinates, lines of two or more points, closed rings
// of four or more, at most MaxDrawingVertices points.
func checkDrawingGeometry(g DrawingGeometry) error {
	bad := func(why string) error { return Errorf(KindInvalid, "invalid_geometry", "geometry: %s", why) }
	var points [][2]float64
	switch g.Type {
	case "Point":
		var p [2]float64
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			return bad("a Point is [lon, lat]")
		}
		points = [][2]float64{p}
	case "LineString":
		if err := json.Unmarshal(g.Coordinates, &points); err != nil || len(points) < 2 {
			return bad("a LineString is two or more [lon, lat]")
		}
	case "Polygon":
		var rings [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &rings); err != nil || len(rings) == 0 {
			return bad("a Polygon is rings of [lon, lat]")
		}
		for _, r := range rings {
			if len(r) < 4 || r[0] != r[len(r)-1] {
				return bad("a ring is closed (first point = last) and has four or more points")
			}
			points = append(points, r...)
		}
	default:
		return bad("type: Point, LineString or Polygon")
	}
	if len(points) > MaxDrawingVertices {
		return bad(fmt.Sprintf("at most %d points", MaxDrawingVertices))
	}
	for _, p := range points {
		if err := geo.ValidateLatLon(p[1], p[0]); err != nil {
			return bad(fmt.Sprintf("point %v: %v", p, err))
		}
	}
	return nil
}

// CreateDrawing puts a drawing on the room's map (members but observers;
// not in an archived room) and emits drawing.created.
func (s *Service) CreateDrawing(ctx context.Context, a *Actor, roomID string, in DrawingInput) (*Drawing, error) {
	if in.Geometry == nil {
		return nil, Errorf(KindInvalid, "invalid_geometry", "geometry is required")
	}
	if in.Category == nil {
		return nil, Errorf(KindInvalid, "invalid_category", "category: one of %s", strings.Join(DrawingCategories, ", "))
	}
	d := &Drawing{ID: NewID("drw"), Room: roomID, CreatedBy: a.User.ID}
	if err := in.apply(d); err != nil {
		return nil, err
	}
	err := s.update(ctx, "create_drawing", func(w *write) error { return insertDrawing(ctx, w, a, d) })
	if err != nil {
		return nil, err
	}
	s.drawingsChanged(ctx, roomID)
	return d, nil
}

// insertDrawing stores the new drawing d (its fields applied and checked)
// if the caller edits its room's map, and emits drawing.created.
func insertDrawing(ctx context.Context, w *write, a *Actor, d *Drawing) error {
	if _, err := requireRoom(ctx, w, a, d.Room, ActEditMap); err != nil {
		return err
	}
	d.CreatedAt, d.UpdatedAt = w.now, w.now
	if err := w.CreateDrawing(ctx, d); err != nil {
		return err
	}
	_, err := w.emit(ctx, d.Room, EventDrawingCreated, "", "", map[string]any{"drawing": d})
	return err
}

// changeDrawing applies in to the drawing id if the caller may change it
// (editableDrawing) and emits drawing.updated.
func changeDrawing(ctx context.Context, w *write, a *Actor, id string, in DrawingInput) (*Drawing, error) {
	d, err := editableDrawing(ctx, w, a, id)
	if err != nil {
		return nil, err
	}
	if err := in.apply(d); err != nil {
		return nil, err
	}
	d.UpdatedAt = w.now
	if err := w.UpdateDrawing(ctx, d); err != nil {
		return nil, err
	}
	_, err = w.emit(ctx, d.Room, EventDrawingUpdated, "", "", map[string]any{"drawing": d})
	return d, err
}

// Drawings lists the room's drawings (members; past the visible retention
// hidden).
func (s *Service) Drawings(ctx context.Context, a *Actor, roomID string) ([]Drawing, error) {
	var out []Drawing
	err := s.view(ctx, "drawings", func(tx Tx) error {
		if _, err := requireRoom(ctx, tx, a, roomID, ActViewRoom); err != nil {
			return err
		}
		all, err := tx.Drawings(ctx, roomID)
		if err != nil {
			return err
		}
		cutoff := s.VisibleSince()
		out = all[:0]
		for _, d := range all {
			if !d.CreatedAt.Before(cutoff) {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

// editableDrawing returns a drawing the caller may change: its author or a
// lead of its room, not an observer. Others in the room get 403, anyone
// else 404 drawing_not_found.
func editableDrawing(ctx context.Context, w *write, a *Actor, id string) (*Drawing, error) {
	d, err := w.DrawingByID(ctx, id)
	if err != nil {
		return nil, notFound(err, "drawing_not_found", "no such drawing")
	}
	role, err := requireRoom(ctx, w, a, d.Room, ActEditMap)
	if err != nil {
		if IsNotFound(err) {
			return nil, Errorf(KindNotFound, "drawing_not_found", "no such drawing")
		}
		return nil, err
	}
	if d.CreatedBy != a.User.ID && role != RoleLead {
		return nil, Errorf(KindForbidden, "forbidden_edit_drawing", "only who drew it or a lead changes a drawing")
	}
	return d, nil
}

// UpdateDrawing changes a drawing (move vertices, relabel, recolour,
// geofence on or off) and emits drawing.updated.
func (s *Service) UpdateDrawing(ctx context.Context, a *Actor, id string, in DrawingInput) (*Drawing, error) {
	var d *Drawing
	err := s.update(ctx, "update_drawing", func(w *write) (err error) {
		d, err = changeDrawing(ctx, w, a, id, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.drawingsChanged(ctx, d.Room)
	return d, nil
}

// DeleteDrawing takes a drawing off the map and emits drawing.deleted.
func (s *Service) DeleteDrawing(ctx context.Context, a *Actor, id string) error {
	var room string
	err := s.update(ctx, "delete_drawing", func(w *write) error {
		d, err := editableDrawing(ctx, w, a, id)
		if err != nil {
			return err
		}
		room = d.Room
		if err := w.DeleteDrawing(ctx, id, w.now); err != nil {
			return err
		}
		_, err = w.emit(ctx, d.Room, EventDrawingDeleted, "", "", map[string]any{"drawing": id})
		return err
	})
	if err != nil {
		return err
	}
	s.drawingsChanged(ctx, room)
	return nil
}

// TakDrawingID is the drawing a TAK client's shape with CoT uid becomes in
// room: the same shape sent again (edited) is the same drawing.
func TakDrawingID(room, uid string) string {
	sum := sha256.Sum256([]byte(room + "\x00" + uid))
	return "drw_tak_" + hex.EncodeToString(sum[:12])
}

// PutTakDrawing stores a shape a TAK client drew in room under its CoT uid:
// the first time as a new drawing (category from in, default "area"), then
// as a change of it (its author or a lead; other fields stay). It reports
// whether the drawing was new.
func (s *Service) PutTakDrawing(ctx context.Context, a *Actor, roomID, uid string, in DrawingInput) (*Drawing, bool, error) {
	if uid == "" || len(uid) > 200 {
		return nil, false, Errorf(KindInvalid, "invalid_uid", "a TAK shape needs a uid of at most 200 bytes")
	}
	id := TakDrawingID(roomID, uid)
	var d *Drawing
	created := false
	err := s.update(ctx, "put_tak_drawing", func(w *write) error {
		old, err := w.DrawingByID(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if old != nil {
			in.Category = nil // a TAK client knows no categories: keep ours
			d, err = changeDrawing(ctx, w, a, id, in)
			return err
		}
		if in.Geometry == nil {
			return Errorf(KindInvalid, "invalid_geometry", "geometry is required")
		}
		if in.Category == nil {
			in.Category = ptrTo("area")
		}
		d = &Drawing{ID: id, Room: roomID, CreatedBy: a.User.ID, TakUID: uid}
		if err := in.apply(d); err != nil {
			return err
		}
		created = true
		return insertDrawing(ctx, w, a, d)
	})
	if err != nil {
		return nil, false, err
	}
	s.drawingsChanged(ctx, d.Room)
	return d, created, nil
}

func ptrTo[T any](v T) *T { return &v }
