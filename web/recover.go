package web

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// recoverPanics turns a panic in any later handler into a logged 500 with
// the stack in the log, and asks the client to close the connection: a
// handler that panicked may have left the request half read. The process
// keeps serving everyone else.
func recoverPanics(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("handler panicked", "method", c.Method(), "path", c.Path(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				c.Context().SetConnectionClose()
				err = fmt.Errorf("panic in %s %s: %v", c.Method(), c.Path(), r)
			}
		}()
		return c.Next()
	}
}

// recoverSocket is deferred by every goroutine that reads a live socket: a
// panic while handling a client's bytes is logged and ends that one
// connection (close code 1011, internal error), never the process.
func (c *wsConn) recoverSocket() {
	r := recover()
	if r == nil {
		return
	}
	c.ep.log.Error("live: socket reader panicked; connection closed", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	c.client.Close(einsatzraum.CloseFailed)
	c.end()
}
