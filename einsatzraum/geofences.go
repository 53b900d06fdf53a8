package einsatzraum

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/einsatzraum/einsatzraum/geo"
	"github.com/einsatzraum/einsatzraum/geo/geofence"
)

// Geofences: a drawing with a geofence reports the room's members who
// cross its edge. The node that accepts a position checks it against the
// fences of the reporter's rooms (in memory) and emits geofence.crossed
// before it answers the report; other nodes follow the position quietly,
// so whichever node takes the next report knows where the user was.

// EventGeofenceCrossed is the event of a member crossing a geofence.
const EventGeofenceCrossed = "geofence.crossed"

// FencesTopic tells the other nodes of a cluster that a room's drawings
// changed, so that they reload its fences.
const FencesTopic = "fences"

type fencesChanged struct {
	Node string `json:"node"`
	Room string `json:"room"`
}

// fenceOf turns a drawing into a geofence; ok is false for a drawing
// without one (or whose geometry cannot be one).
func fenceOf(d Drawing) (f geofence.Fence, ok bool) {
	if d.Geofence == nil {
		return f, false
	}
	f = geofence.Fence{ID: d.ID, Room: d.Room, Label: d.Label}
	switch d.Geofence.On {
	case "enter":
		f.Trigger = geofence.OnEnter
	case "leave":
		f.Trigger = geofence.OnLeave
	default:
		f.Trigger = geofence.OnBoth
	}
	g, err := d.Geometry.Orb()
	if err != nil {
		return f, false
	}
	switch g := g.(type) {
	case orb.Point:
		if d.RadiusM <= 0 {
			return f, false
		}
		f.Center, f.RadiusM = g, d.RadiusM
	case orb.Polygon:
		f.Polygon = g
	default:
		return f, false
	}
	return f, true
}

// setFences puts the visible geofenced drawings among ds into the index as
// room's fences.
func (s *Service) setFences(room string, ds []Drawing) {
	cutoff := s.VisibleSince()
	var fs []geofence.Fence
	for _, d := range ds {
		if f, ok := fenceOf(d); ok && !d.CreatedAt.Before(cutoff) {
			fs = append(fs, f)
		}
	}
	s.fences.Set(room, fs)
}

// loadAllFences fills the index from every room's drawings (at start, and
// after each retention run so that drawings past the visible retention
// stop reporting).
func (s *Service) loadAllFences(ctx context.Context) error {
	var all []Drawing
	if err := s.view(ctx, "all_drawings", func(tx Tx) (err error) { all, err = tx.AllDrawings(ctx); return err }); err != nil {
		return fmt.Errorf("load geofences: %w", err)
	}
	byRoom := map[string][]Drawing{}
	for _, d := range all {
		byRoom[d.Room] = append(byRoom[d.Room], d)
	}
	for _, room := range s.fences.Rooms() {
		if _, ok := byRoom[room]; !ok {
			s.fences.Set(room, nil)
		}
	}
	for room, ds := range byRoom {
		s.setFences(room, ds)
	}
	return nil
}

// reloadFences reads room's drawings again after a change of one of them.
func (s *Service) reloadFences(ctx context.Context, room string) {
	var ds []Drawing
	err := s.view(ctx, "drawings_for_fences", func(tx Tx) (err error) { ds, err = tx.Drawings(ctx, room); return err })
	if err != nil {
		s.log.Error("geofences: reload a room's drawings", "room", room, "err", err)
		return
	}
	s.setFences(room, ds)
}

// drawingsChanged runs after a commit that changed a drawing of room: this
// node's fences follow at once, the other nodes' through the bus.
func (s *Service) drawingsChanged(ctx context.Context, room string) {
	s.reloadFences(ctx, room)
	if !s.clustered() {
		return
	}
	payload, err := json.Marshal(fencesChanged{Node: s.cfg.Cluster.Node, Room: room})
	if err != nil {
		return
	}
	if err := s.bus.Publish(context.WithoutCancel(ctx), FencesTopic, payload); err != nil {
		s.log.Warn("cluster: share a change of geofences", "room", room, "err", err)
	}
}

// checkFences checks accepted positions of user (oldest first) against
// the fences of rooms and emits a geofence.crossed event for each
// crossing. quiet only records where the user is (positions another node
// checked). A failure to store the events is logged: the positions stay
// accepted.
func (s *Service) checkFences(ctx context.Context, user string, rooms []string, ps []geo.Position, quiet bool) {
	if s.fences.Len() == 0 {
		return
	}
	var crossings []geofence.Crossing
	for _, p := range ps {
		crossings = append(crossings, s.fences.Check(user, rooms, p.Lat, p.Lon, p.TS, quiet)...)
	}
	if len(crossings) == 0 {
		return
	}
	err := s.update(context.WithoutCancel(ctx), "geofence_crossed", func(w *write) error {
		for _, c := range crossings {
			_, err := w.emit(ctx, c.Room, EventGeofenceCrossed, "", c.User, map[string]any{
				"drawing": c.Fence, "label": c.Label, "user": c.User, "transition": c.Transition,
				"lat": c.Lat, "lon": c.Lon, "at": c.At,
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("geofences: store crossings", "user", user, "count", len(crossings), "err", err)
	}
}

// GeofenceCrossing is one geofence.crossed event as the log lists it.
type GeofenceCrossing struct {
	Seq        int64     `json:"seq"`
	Drawing    string    `json:"drawing"`
	Label      string    `json:"label"`
	User       string    `json:"user"`
	Transition string    `json:"transition"`
	Lat        float64   `json:"lat"`
	Lon        float64   `json:"lon"`
	At         time.Time `json:"at"`
}

// MaxCrossings bounds one page of the geofence log.
const MaxCrossings = 500

// GeofenceCrossings returns the room's latest geofence crossings (members;
// inside the visible retention), newest first, at most limit (1 to
// MaxCrossings).
func (s *Service) GeofenceCrossings(ctx context.Context, a *Actor, roomID string, limit int) ([]GeofenceCrossing, error) {
	if limit < 1 || limit > MaxCrossings {
		return nil, Errorf(KindInvalid, "invalid_limit", "limit: 1 to %d", MaxCrossings)
	}
	out := []GeofenceCrossing{}
	err := s.view(ctx, "geofence_crossings", func(tx Tx) error {
		if _, err := requireRoom(ctx, tx, a, roomID, ActViewRoom); err != nil {
			return err
		}
		es, err := tx.RecentEvents(ctx, roomID, EventGeofenceCrossed, s.VisibleSince(), limit)
		if err != nil {
			return err
		}
		for _, e := range es {
			var c GeofenceCrossing
			if err := json.Unmarshal(e.Data, &c); err != nil {
				return fmt.Errorf("decode crossing %s/%d: %w", e.Room, e.Seq, err)
			}
			c.Seq = e.Seq
			out = append(out, c)
		}
		return nil
	})
	return out, err
}
