package web

import (
	"strconv"

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
	after, limit, err := pageQuery(c)
	if err != nil {
		return err
	}
	q := einsatzraum.AuditQuery{Room: c.Query("room"), From: from, To: to, Text: c.Query("q"), AfterSeq: after, Limit: int(limit)}
	ms, err := s.svc.AuditMessages(c.UserContext(), actor(c), q)
	if err != nil {
		return err
	}
	reply := fiber.Map{"items": ms}
	if len(ms) > 0 && len(ms) == clampedLimit(int(limit)) {
		reply["next_cursor"] = strconv.FormatInt(ms[len(ms)-1].Seq, 10)
	}
	return c.JSON(reply)
}

// auditLog answers GET /api/v1/audit/log?cursor=&limit= for auditors.
func (s *Server) auditLog(c *fiber.Ctx) error {
	after, limit, err := pageQuery(c)
	if err != nil {
		return err
	}
	es, err := s.svc.AuditLog(c.UserContext(), actor(c), after, int(limit))
	if err != nil {
		return err
	}
	reply := fiber.Map{"items": es}
	if len(es) > 0 && len(es) == clampedLimit(int(limit)) {
		reply["next_cursor"] = strconv.FormatInt(es[len(es)-1].ID, 10)
	}
	return c.JSON(reply)
}

// pageQuery reads the cursor (the last seq or id seen) and limit of a
// paged audit list.
func pageQuery(c *fiber.Ctx) (after, limit int64, err error) {
	if after, err = queryInt(c, "cursor", 0); err != nil {
		return 0, 0, err
	}
	if limit, err = queryInt(c, "limit", 0); err != nil {
		return 0, 0, err
	}
	if limit < 0 || limit > einsatzraum.MaxPageSize {
		return 0, 0, einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_limit", "limit must be in [1, %d]", einsatzraum.MaxPageSize)
	}
	return after, limit, nil
}

func clampedLimit(limit int) int {
	if limit <= 0 {
		return einsatzraum.DefaultPageSize
	}
	return limit
}
