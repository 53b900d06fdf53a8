package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// errorBody is the wire form of every error (API.md, "Errors").
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// statusOf maps an error kind to its HTTP status. It is the only place that
// knows this mapping.
func statusOf(k einsatzraum.Kind) int {
	switch k {
	case einsatzraum.KindInvalid:
		return fiber.StatusBadRequest
	case einsatzraum.KindUnauthorized:
		return fiber.StatusUnauthorized
	case einsatzraum.KindForbidden:
		return fiber.StatusForbidden
	case einsatzraum.KindNotFound:
		return fiber.StatusNotFound
	case einsatzraum.KindConflict:
		return fiber.StatusConflict
	case einsatzraum.KindTooLarge:
		return fiber.StatusRequestEntityTooLarge
	case einsatzraum.KindUnsupported:
		return fiber.StatusUnsupportedMediaType
	case einsatzraum.KindRateLimited:
		return fiber.StatusTooManyRequests
	case einsatzraum.KindUnavailable:
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}

// fiberCodes names the errors Fiber itself raises before a handler runs.
var fiberCodes = map[int]string{
	fiber.StatusNotFound:                    "not_found",
	fiber.StatusMethodNotAllowed:            "method_not_allowed",
	fiber.StatusRequestEntityTooLarge:       "body_too_large",
	fiber.StatusRequestTimeout:              "request_timeout",
	fiber.StatusBadRequest:                  "bad_request",
	fiber.StatusRequestHeaderFieldsTooLarge: "headers_too_large",
}

// errorHandler writes err in the wire format. Domain errors keep their code;
// Fiber's own errors get a generic code; anything else is a 500 that is
// logged and whose details stay in the log.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, detail := fiber.StatusInternalServerError, errorDetail{Code: "internal", Message: "internal error; see the server log"}
		var fe *fiber.Error
		if de := einsatzraum.AsError(err); de != nil {
			status, detail = statusOf(de.Kind), errorDetail{Code: de.Code, Message: de.Message}
			if de.RetryAfter > 0 {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(de.RetryAfter.Seconds()))))
			}
		} else if errors.As(err, &fe) {
			code := fiberCodes[fe.Code]
			if code == "" {
				code = "http_error"
			}
			status, detail = fe.Code, errorDetail{Code: code, Message: fe.Message}
		}
		if status >= 500 {
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "status", status, "err", err)
		}
		body, _ := json.Marshal(errorBody{Error: detail})
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Status(status).Send(body)
	}
}
