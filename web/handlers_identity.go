package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// Self-registration, email links, password change, the second factor,
// app passwords for TAK clients, and the administration of accounts.

func (s *Server) register(c *fiber.Ctx) error {
	if !isJSON(c.Get(fiber.HeaderContentType)) {
		return einsatzraum.Errorf(einsatzraum.KindUnsupported, "json_required", "send the registration as application/json")
	}
	var in einsatzraum.NewRegistration
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.svc.Register(c.UserContext(), in, s.clientAddress(c)); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "mail_sent"})
}

func (s *Server) confirm(c *fiber.Ctx) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, err := s.svc.Confirm(c.UserContext(), in.Token)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

func (s *Server) requestReset(c *fiber.Ctx) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.svc.RequestReset(c.UserContext(), in.Email, s.clientAddress(c)); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "mail_sent"})
}

func (s *Server) resetPassword(c *fiber.Ctx) error {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.svc.ResetPassword(c.UserContext(), in.Token, in.Password); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// authConfig tells the login page what it may offer.
func (s *Server) authConfig(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"registration": s.svc.RegistrationOpen()})
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	var in struct {
		Current         string `json:"current"`
		Password        string `json:"password"`
		EndOtherDevices bool   `json:"end_other_devices"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.svc.ChangePassword(c.UserContext(), actor(c), in.Current, in.Password, in.EndOtherDevices); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) enrolTOTP(c *fiber.Ctx) error {
	e, err := s.svc.EnrolTOTP(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(e)
}

func (s *Server) confirmTOTP(c *fiber.Ctx) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	codes, err := s.svc.ConfirmTOTP(c.UserContext(), actor(c), in.Code)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"recovery_codes": codes})
}

func (s *Server) createAppPassword(c *fiber.Ctx) error {
	var in struct {
		Name string `json:"name"`
		Room string `json:"room"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	res, err := s.svc.CreateAppPassword(c.UserContext(), actor(c), in.Name, in.Room)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(res)
}

func (s *Server) adminUsers(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", 200)
	if err != nil {
		return err
	}
	us, err := s.svc.AdminUsers(c.UserContext(), actor(c), c.Query("q"), int(limit))
	if err != nil {
		return err
	}
	return c.JSON(items(us))
}

func (s *Server) adminUserDevices(c *fiber.Ctx) error {
	ds, err := s.svc.UserDevices(c.UserContext(), actor(c), c.Params("user"))
	if err != nil {
		return err
	}
	return c.JSON(items(ds))
}

func (s *Server) disableUser(c *fiber.Ctx) error { return s.setDisabled(c, true) }
func (s *Server) enableUser(c *fiber.Ctx) error  { return s.setDisabled(c, false) }
func (s *Server) setDisabled(c *fiber.Ctx, disabled bool) error {
	u, err := s.svc.SetUserDisabled(c.UserContext(), actor(c), c.Params("user"), disabled)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

func (s *Server) resetUserTOTP(c *fiber.Ctx) error {
	if err := s.svc.ResetTOTP(c.UserContext(), actor(c), c.Params("user")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
