package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// auditMessages answers GET /api/v1/audit/messages?room=&from=&to=&q= for
// auditors; the service records the query in the audit log.
func (s *Server) auditMessages(c *fiber.Ctx) error {
	from, err := queryTime(c, "from")
	if err != nil {
		return err
	}
	to, err := queryTime(c, "to")
	if err != nil {
		return err
	}
	after, err := queryInt(c, "cursor", 0)
	if err != nil {
		return err
	}
	limit, err := queryLimit(c)
	if err != nil {
		return err
	}
	q := einsatzraum.AuditQuery{Case: c.Query("case"), Room: c.Query("room"), From: from, To: to, Text: c.Query("q"), AfterSeq: after, Limit: limit}
	ms, err := s.svc.AuditMessages(c.UserContext(), actor(c), q)
	if err != nil {
		return err
	}
	return c.JSON(page(ms, limit, messageSeq))
}

// auditLog answers GET /api/v1/audit/log?cursor=&limit= for auditors.
func (s *Server) auditLog(c *fiber.Ctx) error {
	after, err := queryInt(c, "cursor", 0)
	if err != nil {
		return err
	}
	limit, err := queryLimit(c)
	if err != nil {
		return err
	}
	es, err := s.svc.AuditLog(c.UserContext(), actor(c), c.Query("case"), after, limit)
	if err != nil {
		return err
	}
	return c.JSON(page(es, limit, func(e einsatzraum.AuditEntry) int64 { return e.ID }))
}
