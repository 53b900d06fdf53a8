package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// login takes JSON only: a cross-site form cannot post it (a browser sends
// application/json across sites only after a CORS preflight, which this
// server never grants).
func (s *Server) login(c *fiber.Ctx) error {
	if !isJSON(c.Get(fiber.HeaderContentType)) {
		return einsatzraum.Errorf(einsatzraum.KindUnsupported, "json_required", "send the login as application/json")
	}
	var in einsatzraum.LoginInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	res, err := s.svc.Login(c.UserContext(), in, s.clientAddress(c))
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (s *Server) logout(c *fiber.Ctx) error {
	if err := s.svc.Logout(c.UserContext(), actor(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) me(c *fiber.Ctx) error { return c.JSON(actor(c).User) }

func (s *Server) myDevices(c *fiber.Ctx) error {
	ds, err := s.svc.Devices(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(items(ds))
}

func (s *Server) wipeMyDevice(c *fiber.Ctx) error {
	if err := s.svc.WipeDevice(c.UserContext(), actor(c), c.Params("device"), false); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) adminWipeDevice(c *fiber.Ctx) error {
	if err := s.svc.WipeDevice(c.UserContext(), actor(c), c.Params("device"), true); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) createUser(c *fiber.Ctx) error {
	var in einsatzraum.NewUser
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, err := s.svc.CreateUser(c.UserContext(), actor(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(u)
}

func (s *Server) pendingDevices(c *fiber.Ctx) error {
	ds, err := s.svc.PendingDevices(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(items(ds))
}

func (s *Server) approveDevice(c *fiber.Ctx) error {
	if err := s.svc.ApproveDevice(c.UserContext(), actor(c), c.Params("device")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// isJSON reports whether a Content-Type names JSON.
func isJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), fiber.MIMEApplicationJSON)
}
