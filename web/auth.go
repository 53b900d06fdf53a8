package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

const actorKey = "einsatzraum.actor"

// bearerToken extracts the token of an "Authorization: Bearer" header, or
// of the access_token query parameter where a browser cannot send a
// header: opening the WebSocket, and downloading a file into an <img>,
// <video> or <a download>. Anywhere else a token in the URL is ignored (it
// would end up in proxy logs and browser history).
func bearerToken(c *fiber.Ctx) string {
	if tok := headerToken(c); tok != "" {
		return tok
	}
	if queryTokenAllowed(c) {
		return c.Query("access_token")
	}
	return ""
}

// headerToken is the token of an "Authorization: Bearer" header, or "".
func headerToken(c *fiber.Ctx) string {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// queryTokenAllowed reports whether the request may carry its token as
// access_token: GET of the WebSocket or of an attachment's bytes.
func queryTokenAllowed(c *fiber.Ctx) bool {
	if c.Method() != fiber.MethodGet {
		return false
	}
	p := c.Path()
	return p == "/api/v1/ws" || strings.HasPrefix(p, "/api/v1/attachments/")
}

// authenticate resolves the bearer token to an actor for the handlers after it.
func (s *Server) authenticate(c *fiber.Ctx) error {
	a, err := s.svc.Authenticate(c.UserContext(), bearerToken(c))
	if err != nil {
		return err
	}
	if err := s.svc.CheckApproved(a); err != nil && !allowedUnapproved(c) {
		return err
	}
	use := einsatzraum.UseAPI
	if enrolmentPath(c) {
		use = einsatzraum.UseEnrolment
	}
	if err := s.svc.CheckScope(a, use); err != nil {
		return err
	}
	c.Locals(actorKey, a)
	return c.Next()
}

// allowedUnapproved reports whether a device that waits for approval may
// make this request: who am I, my devices, log out.
func allowedUnapproved(c *fiber.Ctx) bool {
	switch c.Path() {
	case "/api/v1/me", "/api/v1/me/devices":
		return c.Method() == fiber.MethodGet
	case "/api/v1/auth/logout":
		return true
	}
	return false
}

// enrolmentPath reports whether the request is one a device that must
// enrol a second factor first may make: who am I, the enrolment, log out.
func enrolmentPath(c *fiber.Ctx) bool {
	switch c.Path() {
	case "/api/v1/me":
		return c.Method() == fiber.MethodGet
	case "/api/v1/me/totp", "/api/v1/me/totp/confirm", "/api/v1/auth/logout":
		return true
	}
	return false
}

// actor returns the caller authenticated by authenticate.
func actor(c *fiber.Ctx) *einsatzraum.Actor {
	a, _ := c.Locals(actorKey).(*einsatzraum.Actor)
	return a
}

// limitWrites counts the caller's write against their rate limit (429
// rate_limited with Retry-After past it).
func (s *Server) limitWrites(c *fiber.Ctx) error {
	if err := s.svc.AllowWrite(c.UserContext(), actor(c)); err != nil {
		return err
	}
	return c.Next()
}
