package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// drawingFeature is a drawing as a GeoJSON Feature: its geometry, and
// everything else as properties.
func drawingFeature(d einsatzraum.Drawing) feature {
	props := fiber.Map{"id": d.ID, "room": d.Room, "label": d.Label, "category": d.Category, "created_by": d.CreatedBy,
		"created_at": d.CreatedAt, "updated_at": d.UpdatedAt}
	if d.Color != "" {
		props["color"] = d.Color
	}
	if d.RadiusM != 0 {
		props["radius_m"] = d.RadiusM
	}
	if d.Geofence != nil {
		props["geofence"] = d.Geofence
	}
	return feature{Type: "Feature", ID: d.ID, Geometry: geometry{Type: d.Geometry.Type, Coordinates: d.Geometry.Coordinates}, Properties: props}
}

func (s *Server) createDrawing(c *fiber.Ctx) error {
	var in einsatzraum.DrawingInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := s.svc.CreateDrawing(c.UserContext(), actor(c), c.Params("room"), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (s *Server) drawings(c *fiber.Ctx) error {
	ds, err := s.svc.Drawings(c.UserContext(), actor(c), c.Params("room"))
	if err != nil {
		return err
	}
	fs := make([]feature, len(ds))
	for i, d := range ds {
		fs[i] = drawingFeature(d)
	}
	return c.JSON(collection(fs), "application/geo+json")
}

func (s *Server) updateDrawing(c *fiber.Ctx) error {
	var in einsatzraum.DrawingInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := s.svc.UpdateDrawing(c.UserContext(), actor(c), c.Params("drawing"), in)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) deleteDrawing(c *fiber.Ctx) error {
	if err := s.svc.DeleteDrawing(c.UserContext(), actor(c), c.Params("drawing")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) geofenceCrossings(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", 100)
	if err != nil {
		return err
	}
	cs, err := s.svc.GeofenceCrossings(c.UserContext(), actor(c), c.Params("room"), int(limit))
	if err != nil {
		return err
	}
	return c.JSON(items(cs))
}
