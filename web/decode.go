package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// decodeJSON reads the request body, which must be one JSON object, into v.
// Malformed JSON and fields of the wrong type are 400s with codes
// malformed_json and invalid_field; unknown fields are ignored so that
// newer clients keep working.
func decodeJSON(c *fiber.Ctx, v any) error {
	body, err := jsonBody(c)
	if err != nil {
		return err
	}
	return decodeBytes(body, v)
}

// jsonBody returns the request body, at most jsonLimit bytes.
func jsonBody(c *fiber.Ctx) ([]byte, error) {
	body := c.Body()
	if c.Request().IsBodyStream() { // over the body limit: Fiber streams it
		b, err := io.ReadAll(io.LimitReader(c.Context().RequestBodyStream(), int64(jsonLimit)+1))
		if err != nil {
			return nil, einsatzraum.Errorf(einsatzraum.KindInvalid, "malformed_body", "could not read the body: %v", err)
		}
		body = b
	}
	if len(body) > jsonLimit {
		return nil, einsatzraum.Errorf(einsatzraum.KindTooLarge, "body_too_large", "a JSON body must be at most %d bytes", jsonLimit)
	}
	return body, nil
}

// jsonLimit bounds JSON request bodies.
const jsonLimit = 1 << 20

func decodeBytes(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "malformed_json", "the request body must be a JSON object")
	}
	if body[0] != '{' {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "malformed_json", "the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields() // a field we do not know is a client's mistake, not something to drop silently
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "malformed_json", "unexpected data after the JSON object")
	}
	return nil
}

// jsonError turns a json decoding error into a domain error.
func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	if de := einsatzraum.AsError(err); de != nil {
		return err // a field's own UnmarshalJSON said what is wrong
	}
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_field", "field %q must be of type %s, not %s", field, jsonType(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "malformed_json", "malformed JSON at byte %d: %v", syntaxErr.Offset, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "malformed_json", "the JSON body ends too early")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "unknown_field", "unknown field %s", name)
	}
	return einsatzraum.Errorf(einsatzraum.KindInvalid, "malformed_json", "malformed JSON: %v", err)
}

func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "float64", "float32", "int", "int64", "int32", "uint8", "uint16", "uint32", "uint64":
		return "number"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	}
	return goKind
}

// queryInt parses an optional integer query parameter; absent is def.
func queryInt(c *fiber.Ctx, name string, def int64) (int64, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_"+name, "%s must be an integer, got %q", name, s)
	}
	return n, nil
}

// queryLimit reads a page's limit: 0 (absent) means the default page size.
func queryLimit(c *fiber.Ctx) (int, error) {
	limit, err := queryInt(c, "limit", 0)
	if err != nil {
		return 0, err
	}
	if limit < 0 || limit > einsatzraum.MaxPageSize {
		return 0, einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_limit", "limit must be in [1, %d]", einsatzraum.MaxPageSize)
	}
	return int(limit), nil
}

// page wraps a page of a list: {"items": [...]} with next_cursor, the
// position of the last item, when the page is full.
func page[T any](list []T, limit int, last func(T) int64) fiber.Map {
	reply := items(list)
	if limit == 0 {
		limit = einsatzraum.DefaultPageSize
	}
	if len(list) > 0 && len(list) == limit {
		reply["next_cursor"] = strconv.FormatInt(last(list[len(list)-1]), 10)
	}
	return reply
}

// items wraps a list in the {"items": [...]} envelope of API.md.
func items[T any](list []T) fiber.Map {
	if list == nil {
		list = []T{}
	}
	return fiber.Map{"items": list}
}
