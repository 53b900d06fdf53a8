package web

import (
	"github.com/gofiber/fiber/v2"
)

// contentSecurityPolicy lets the dashboard load only what the server
// serves: its script, styles, fonts, map tiles and MapLibre's blob
// workers. Inline styles stay allowed for MapLibre's markers.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; " +
	"img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; font-src 'self'; connect-src 'self'; media-src 'self' blob:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every answer carries. Cross-origin
// requests get no CORS headers, so browsers refuse them: the API is for
// the dashboard on the server's own origin and for non-browser clients.
func securityHeaders(tls bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := &c.Response().Header
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "geolocation=(self), camera=(self), microphone=(self)")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		if tls {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return c.Next()
	}
}
