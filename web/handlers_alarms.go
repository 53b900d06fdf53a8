package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// raiseAlarm answers 201 with a new alarm, or 200 with the caller's alarm
// of that kind that is still open.
func (s *Server) raiseAlarm(c *fiber.Ctx) error {
	var in einsatzraum.NewAlarm
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	al, created, err := s.svc.RaiseAlarm(c.UserContext(), actor(c), c.Params("room"), in)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(al)
}

func (s *Server) alarms(c *fiber.Ctx) error {
	as, err := s.svc.Alarms(c.UserContext(), actor(c), c.Params("room"), c.Query("state"))
	if err != nil {
		return err
	}
	return c.JSON(items(as))
}

func (s *Server) ackAlarm(c *fiber.Ctx) error {
	al, err := s.svc.AckAlarm(c.UserContext(), actor(c), c.Params("alarm"))
	if err != nil {
		return err
	}
	return c.JSON(al)
}

func (s *Server) cancelAlarm(c *fiber.Ctx) error {
	al, err := s.svc.CancelAlarm(c.UserContext(), actor(c), c.Params("alarm"))
	if err != nil {
		return err
	}
	return c.JSON(al)
}
