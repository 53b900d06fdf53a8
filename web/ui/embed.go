// Package ui embeds the built dashboard (dist/, made by `npm run build`).
// Without a build, dist holds only a placeholder and the server says how
// to build the dashboard.
package ui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Files returns the built dashboard; Built reports whether there is one.
func Files() fs.FS {
	sub, _ := fs.Sub(dist, "dist")
	return sub
}

// Built reports whether the dashboard was built into this binary.
func Built() bool {
	_, err := fs.Stat(Files(), "index.html")
	return err == nil
}
