package main

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIDescribesEveryRoute: the document is valid OpenAPI 3.0 (by
// kin-openapi), and it describes exactly the routes the server has: a
// route without a description fails, and so does a description without a
// route. Every query parameter a handler reads is documented, the upload
// routes have multipart bodies, and operation IDs are URL-safe.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	raw := ts.call(t, "GET", "/api/v1/openapi.json", "", nil).want(t, 200).Raw
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}

	documented := map[string]bool{}
	safeID := regexp.MustCompile(`^[A-Za-z0-9]+$`)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented[method+" "+path] = true
			if !safeID.MatchString(op.OperationID) {
				t.Errorf("%s %s: operationId %q is not URL-safe", method, path, op.OperationID)
			}
		}
	}
	served := map[string]bool{}
	param := regexp.MustCompile(`:([a-z_]+)`)
	for _, r := range ts.srv.web.App().GetRoutes(true) {
		if r.Method == "HEAD" || strings.HasSuffix(r.Path, "*") || r.Path == "/api" {
			continue // HEAD twins of GET, the dashboard's files, the API's 404
		}
		p := strings.TrimSuffix(param.ReplaceAllString(r.Path, "{$1}"), "/")
		served[r.Method+" "+p] = true
	}
	var missing, extra []string
	for k := range served {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes the document does not describe:\n%s", strings.Join(missing, "\n"))
	}
	if len(extra) > 0 {
		t.Errorf("documented routes the server does not have:\n%s", strings.Join(extra, "\n"))
	}

	op := func(method, path string) *openapi3.Operation {
		t.Helper()
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Fatalf("%s %s is not documented", method, path)
		}
		return item.GetOperation(method)
	}
	for _, path := range []string{"/api/v1/chats/{chat}/attachments", "/api/v1/admin/layers", "/api/v1/admin/chats/{chat}/inject"} {
		body := op("POST", path).RequestBody
		if body == nil || body.Value.Content.Get("multipart/form-data") == nil {
			t.Errorf("POST %s has no multipart body", path)
		}
	}
	for path, params := range map[string][]string{
		"/api/v1/layers/{layer}/features":       {"bbox", "cursor", "limit"},
		"/api/v1/layers/{layer}/nearby":         {"lat", "lon", "radius_m", "limit"},
		"/api/v1/audit/messages":                {"case", "room", "from", "to", "q"},
		"/api/v1/attachments/{id}/shared":       {"link"},
		"/ogc/collections/{layer}/items":        {"limit", "offset", "bbox", "bbox-crs", "crs"},
		"/api/v1/geocode":                       {"q", "lat", "lon", "limit"},
		"/api/v1/chats/{chat}/messages":         {"order", "before_seq", "after_seq", "limit"},
		"/api/v1/rooms/{room}/positions/nearby": {"lat", "lon", "radius_m", "limit"},
	} {
		o := op("GET", path)
		for _, name := range params {
			if o.Parameters.GetByInAndName("query", name) == nil {
				t.Errorf("GET %s does not document the query parameter %s", path, name)
			}
		}
	}
	if c := op("GET", "/api/v1/layers/{layer}/features").Responses.Status(200).Value.Content; c.Get("application/geo+json") == nil {
		t.Errorf("layer features are documented as %v, served as application/geo+json", c)
	}
}
