package web

// Acknowledgements, edits, deletions and read markers of messages.

import (
	"github.com/gofiber/fiber/v2"
)

func (s *Server) ackMessage(c *fiber.Ctx) error {
	st, err := s.svc.AckMessage(c.UserContext(), actor(c), c.Params("message"))
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (s *Server) messageAcks(c *fiber.Ctx) error {
	st, err := s.svc.MessageAcks(c.UserContext(), actor(c), c.Params("message"))
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (s *Server) editMessage(c *fiber.Ctx) error {
	var in struct {
		Text string `json:"text"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	m, err := s.svc.EditMessage(c.UserContext(), actor(c), c.Params("message"), in.Text)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (s *Server) deleteMessage(c *fiber.Ctx) error {
	if err := s.svc.DeleteMessage(c.UserContext(), actor(c), c.Params("message")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) markRead(c *fiber.Ctx) error {
	var in struct {
		Seq int64 `json:"seq"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.svc.MarkRead(c.UserContext(), actor(c), c.Params("chat"), in.Seq); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) readMarkers(c *fiber.Ctx) error {
	ms, err := s.svc.ReadMarkers(c.UserContext(), actor(c), c.Params("chat"))
	if err != nil {
		return err
	}
	return c.JSON(items(ms))
}

func (s *Server) messageReads(c *fiber.Ctx) error {
	st, err := s.svc.MessageReads(c.UserContext(), actor(c), c.Params("message"))
	if err != nil {
		return err
	}
	return c.JSON(st)
}
