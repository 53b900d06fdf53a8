package web

import (
	"io/fs"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8", ".map": "application/json", ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png",
	".webmanifest": "application/manifest+json",
}

const notBuiltPage = `<!doctype html><html lang="de"><meta charset="utf-8"><title>Einsatzraum</title>
<body style="font-family:system-ui,sans-serif;max-width:42em;margin:3em auto;line-height:1.5">
<h1>Einsatzraum läuft</h1>
<p>Das Dashboard ist in dieses Programm nicht eingebaut. Bauen Sie es mit <code>make run</code>
(oder <code>cd web/ui &amp;&amp; npm ci &amp;&amp; npm run build</code> und danach <code>go build ./cmd/einsatzraum</code>).</p>
<p lang="en">The dashboard is not built into this binary. Build it with <code>make run</code>
(or <code>cd web/ui &amp;&amp; npm ci &amp;&amp; npm run build</code>, then <code>go build ./cmd/einsatzraum</code>).</p>
<p>API: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a></p></body></html>`

// serveUI serves the embedded dashboard: files by path, index.html for
// everything else that is not an API path (the app routes by #hash).
func serveUI(files fs.FS, built bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !built {
			c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
			return c.SendString(notBuiltPage)
		}
		name := strings.TrimPrefix(path.Clean(c.Path()), "/")
		if name == "" {
			name = "index.html"
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			name = "index.html"
			if b, err = fs.ReadFile(files, name); err != nil {
				return err
			}
		}
		if ct, ok := contentTypes[path.Ext(name)]; ok {
			c.Set(fiber.HeaderContentType, ct)
		}
		if name == "index.html" || name == "sw.js" { // a new build must reach every browser at once
			c.Set(fiber.HeaderCacheControl, "no-cache")
		} else {
			c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		}
		c.Set("X-Content-Type-Options", "nosniff")
		return c.Send(b)
	}
}

// servePMTiles serves the configured PMTiles file with Range support (the
// browser reads it piecewise); 404 when none is configured.
func servePMTiles(file string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if file == "" {
			return einsatzraum.Errorf(einsatzraum.KindNotFound, "no_basemap", "no basemap is configured (serve --basemap FILE.pmtiles)")
		}
		c.Set(fiber.HeaderContentType, "application/vnd.pmtiles")
		c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
		return c.SendFile(file, false)
	}
}
