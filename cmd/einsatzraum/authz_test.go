package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The roles of the authorization matrix: no token, an officer outside the
// room, the three global roles (none of them in the room), and the room's
// observer, member and lead. Member and lead are in the chat "Lage", the
// observer is not.
var matrixRoles = []string{"anon", "stranger", "admin", "data_admin", "auditor", "observer", "member", "lead"}

// expect is a row's statuses, in the order of matrixRoles.
type expect [8]int

var (
	roomRead    = expect{401, 404, 404, 404, 404, 200, 200, 200}
	roomRead201 = expect{401, 404, 404, 404, 404, 201, 201, 201}
	chatRead    = expect{401, 404, 404, 404, 404, 404, 200, 200}
	anyone      = expect{401, 200, 200, 200, 200, 200, 200, 200}
	adminOnly   = func(ok int) expect { return expect{401, 403, ok, 403, 403, 403, 403, 403} }
	auditOnly   = expect{401, 403, 403, 403, 200, 403, 403, 403}
	roomWrite   = func(ok int) expect { return expect{401, 404, 404, 404, 404, 403, ok, ok} }
	chatWrite   = func(ok int) expect { return expect{401, 404, 404, 404, 404, 404, ok, ok} }
	leadOnly    = func(ok int) expect { return expect{401, 404, 404, 404, 404, 403, 403, ok} }
	manageOnly  = func(ok int) expect { return expect{401, 404, 404, 404, 404, 404, 403, ok} }
)

// TestAuthorizationMatrix calls every endpoint as every role and checks the
// status against the table: what a caller may not see is 404, what they
// see but may not do is 403, no token is 401.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t)
	ts := f.ts
	tok := map[string]string{"anon": "", "lead": f.lead, "member": f.member, "observer": f.observer}
	for _, u := range []struct{ role, email string }{{"stranger", "stranger@polizei.example"}, {"admin", "admin@polizei.example"},
		{"data_admin", "data@polizei.example"}, {"auditor", "auditor@polizei.example"}} {
		var roles []string
		if u.role != "stranger" {
			roles = []string{u.role}
		}
		ts.addUser(t, u.email, u.role, roles...)
		tok[u.role] = ts.login(t, u.email)
	}
	spare := ts.addUser(t, "spare@polizei.example", "Spare")
	victim := ts.addUser(t, "victim@polizei.example", "Victim") // disabled and enabled again
	obsID := ts.call(t, "GET", "/api/v1/rooms/"+f.room+"/members", f.lead, nil).items()
	var observerID string
	for _, m := range obsID {
		if m["role"] == "observer" {
			observerID = m["user"].(map[string]any)["id"].(string)
		}
	}
	// leadDrawing is a fresh drawing of the lead's: only the lead may
	// change or delete it.
	leadDrawing := func() string {
		return ts.call(t, "POST", "/api/v1/rooms/"+f.room+"/drawings", f.lead, map[string]any{
			"geometry": map[string]any{"type": "Point", "coordinates": []float64{11.5, 50}}, "category": "marker"}).want(t, 201).str("id")
	}
	now := time.Now().UTC().Format(time.RFC3339)
	ts.call(t, "POST", "/api/v1/positions", f.member, map[string]any{"items": []any{map[string]any{"lat": 53.55, "lon": 9.99, "ts": now}}}).want(t, 202)
	att := ts.uploadFile(t, f.member, "/api/v1/chats/"+f.chat+"/attachments", "a.pdf", []byte("%PDF-1.4\n%%EOF\n"), nil).want(t, 201).str("id")
	photo := ts.uploadFile(t, f.member, "/api/v1/chats/"+f.chat+"/attachments", "p.jpg", exifJPEG(t, 32, 24, 1, 0, 0), nil).want(t, 201).str("id")
	layerID := ts.uploadFile(t, tok["admin"], "/api/v1/admin/layers", "l.geojson",
		[]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[10,53.5]},"properties":{}}]}`),
		map[string]string{"name": "Matrix"}).want(t, 201).str("id")
	spareDevice := ts.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "spare@polizei.example", "password": testPassword}).want(t, 200).Body["device"].(map[string]any)["id"].(string)
	newPOI := func() string {
		return ts.call(t, "POST", "/api/v1/rooms/"+f.room+"/pois", f.lead, map[string]any{"name": "P", "category": "c", "lat": 53.5, "lon": 10}).want(t, 201).str("id")
	}
	order := ts.call(t, "POST", "/api/v1/chats/"+f.chat+"/messages", f.lead, map[string]any{"kind": "text", "text": "Befehl", "priority": "urgent", "ack_required": true}).want(t, 201).str("id")
	newAlarm := func() string { // the member's open alarm (a second raise returns it)
		return ts.call(t, "POST", "/api/v1/rooms/"+f.room+"/alarms", f.member, map[string]any{"kind": "emergency"}).str("id")
	}
	n := 0
	unique := func() int { n++; return n }
	r, c := "/api/v1/rooms/"+f.room, "/api/v1/chats/"+f.chat

	type row struct {
		name   string
		call   func(token string) reply // the request, made fresh for each role
		expect expect
	}
	json := func(method, path string, body func() any) func(string) reply {
		return func(token string) reply {
			var b any
			if body != nil {
				b = body()
			}
			return ts.call(t, method, path, token, b)
		}
	}
	rows := []row{
		{"GET /me", json("GET", "/api/v1/me", nil), anyone},
		{"GET /me/devices", json("GET", "/api/v1/me/devices", nil), anyone},
		{"GET /rooms", json("GET", "/api/v1/rooms", nil), anyone},
		{"POST /rooms", json("POST", "/api/v1/rooms", func() any { return map[string]any{"name": "R"} }), expect{401, 201, 201, 201, 201, 201, 201, 201}},
		{"GET /rooms/{room}", json("GET", r, nil), roomRead},
		{"PATCH /rooms/{room}", json("PATCH", r, func() any { return map[string]any{"description": "Lage geändert"} }), leadOnly(200)},
		{"PATCH /chats/{chat}", json("PATCH", c, func() any { return map[string]any{"name": "Lage"} }), manageOnly(200)},
		{"GET /users", json("GET", "/api/v1/users?q=Lea", nil), anyone},
		{"GET /rooms/{room}/members", json("GET", r+"/members", nil), roomRead},
		{"PUT /rooms/{room}/members/{user}", json("PUT", r+"/members/"+spare, func() any { return map[string]any{"role": "member"} }), leadOnly(200)},
		{"DELETE /rooms/{room}/members/{user}", func(token string) reply {
			ts.call(t, "PUT", r+"/members/"+spare, f.lead, map[string]any{"role": "member"}).want(t, 200)
			return ts.call(t, "DELETE", r+"/members/"+spare, token, nil)
		}, leadOnly(204)},
		{"POST /rooms/{room}/chats", json("POST", r+"/chats", func() any { return map[string]any{"name": fmt.Sprint("C", unique())} }), roomWrite(201)},
		{"GET /rooms/{room}/chats", json("GET", r+"/chats", nil), roomRead},
		{"GET /chats/{chat}/members", json("GET", c+"/members", nil), chatRead},
		{"POST /chats/{chat}/messages", json("POST", c+"/messages", func() any { return map[string]any{"kind": "text", "text": "Lage"} }), chatWrite(201)},
		{"GET /chats/{chat}/messages", json("GET", c+"/messages", nil), chatRead},
		{"POST /chats/{chat}/attachments", func(token string) reply {
			return ts.uploadFile(t, token, c+"/attachments", "b.pdf", []byte("%PDF-1.4\n%%EOF\n"), nil)
		}, chatWrite(201)},
		{"GET /attachments/{id}", json("GET", "/api/v1/attachments/"+att, nil), chatRead},
		{"POST /admin/chats/{chat}/inject", func(token string) reply {
			return ts.uploadFile(t, token, "/api/v1/admin/chats/"+f.chat+"/inject", "c.pdf", []byte("%PDF-1.4\n%%EOF\n"), map[string]string{"caption": "Lagebild"})
		}, expect{401, 403, 403, 201, 403, 403, 403, 403}},
		{"POST /positions", json("POST", "/api/v1/positions", func() any {
			return map[string]any{"items": []any{map[string]any{"lat": 53.55, "lon": 9.99, "ts": time.Now().UTC().Format(time.RFC3339)}}}
		}), expect{401, 202, 202, 202, 202, 202, 202, 202}},
		{"GET /rooms/{room}/positions", json("GET", r+"/positions", nil), roomRead},
		{"GET /rooms/{room}/positions/extent", json("GET", r+"/positions/extent", nil), roomRead},
		{"GET /rooms/{room}/forces", json("GET", r+"/forces?q=a", nil), roomRead},
		{"POST /broadcasts", json("POST", "/api/v1/broadcasts", func() any { return map[string]any{"chats": []string{f.chat}, "text": "an alle"} }),
			expect{401, 404, 404, 201, 404, 404, 201, 201}},
		{"POST /chats/{chat}/read", json("POST", c+"/read", func() any { return map[string]any{"seq": 1} }), expect{401, 404, 404, 404, 404, 404, 204, 204}},
		{"GET /chats/{chat}/reads", json("GET", c+"/reads", nil), chatRead},
		{"PATCH /messages/{message}", func(token string) reply {
			m := ts.call(t, "POST", "/api/v1/chats/"+f.chat+"/messages", f.member, map[string]any{"kind": "text", "text": "vorher"}).want(t, 201).str("id")
			return ts.call(t, "PATCH", "/api/v1/messages/"+m, token, map[string]any{"text": "nachher"})
		}, expect{401, 404, 404, 404, 404, 404, 200, 403}},
		{"DELETE /messages/{message}", func(token string) reply {
			m := ts.call(t, "POST", "/api/v1/chats/"+f.chat+"/messages", f.member, map[string]any{"kind": "text", "text": "weg"}).want(t, 201).str("id")
			return ts.call(t, "DELETE", "/api/v1/messages/"+m, token, nil)
		}, expect{401, 404, 404, 404, 404, 404, 204, 204}},
		{"POST /messages/{message}/ack", json("POST", "/api/v1/messages/"+order+"/ack", nil), chatRead},
		{"GET /messages/{message}/acks", json("GET", "/api/v1/messages/"+order+"/acks", nil), chatRead},
		{"GET /messages/{message}/reads", json("GET", "/api/v1/messages/"+order+"/reads", nil), chatRead},
		{"POST /rooms/{room}/alarms", json("POST", r+"/alarms", func() any { return map[string]any{"kind": "officer_down", "lat": 53.5, "lon": 10} }), roomWrite(201)},
		{"GET /rooms/{room}/alarms", json("GET", r+"/alarms?state=open", nil), roomRead},
		{"POST /alarms/{alarm}/ack", func(token string) reply { return ts.call(t, "POST", "/api/v1/alarms/"+newAlarm()+"/ack", token, nil) }, roomRead},
		{"POST /alarms/{alarm}/cancel", func(token string) reply {
			return ts.call(t, "POST", "/api/v1/alarms/"+newAlarm()+"/cancel", token, nil)
		}, expect{401, 404, 404, 404, 404, 403, 200, 200}},
		{"GET /rooms/{room}/positions/nearby", json("GET", r+"/positions/nearby?lat=53.55&lon=9.99&radius_m=500", nil), roomRead},
		{"POST /rooms/{room}/pois", json("POST", r+"/pois", func() any { return map[string]any{"name": "P", "category": "c", "lat": 53.5, "lon": 10} }), roomWrite(201)},
		{"GET /rooms/{room}/pois", json("GET", r+"/pois", nil), roomRead},
		{"DELETE /rooms/{room}/pois/{poi}", func(token string) reply { return ts.call(t, "DELETE", r+"/pois/"+newPOI(), token, nil) }, roomWrite(204)},
		{"GET /rooms/{room}/tracks", json("GET", r+"/tracks", nil), roomRead},
		{"GET /rooms/{room}/export.kml", json("GET", r+"/export.kml", nil), roomRead},
		{"GET /layers", json("GET", "/api/v1/layers", nil), anyone},
		{"POST /admin/layers", func(token string) reply {
			return ts.uploadFile(t, token, "/api/v1/admin/layers", "l.geojson",
				[]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[10,53.5]},"properties":{}}]}`),
				map[string]string{"name": fmt.Sprint("Layer ", unique())})
		}, adminOnly(201)},
		{"GET /ogc/collections", json("GET", "/ogc/collections", nil), anyone},
		{"GET /ogc/collections/{layer}/items", json("GET", "/ogc/collections/"+layerID+"/items", nil), anyone},
		{"GET /layers/{layer}/features", json("GET", "/api/v1/layers/"+layerID+"/features", nil), anyone},
		{"GET /layers/{layer}/nearby", json("GET", "/api/v1/layers/"+layerID+"/nearby?lat=53.5&lon=10&radius_m=1000", nil), anyone},
		{"GET /layers/{layer}/tiles/{z}/{x}/{y}.mvt", json("GET", "/api/v1/layers/"+layerID+"/tiles/10/540/330.mvt", nil), expect{401, 204, 204, 204, 204, 204, 204, 204}},
		{"GET /attachments/{id}/thumbnail", json("GET", "/api/v1/attachments/"+photo+"/thumbnail", nil), chatRead},
		// The link is the credential (made for a TAK client's device); a bearer token opens nothing here.
		{"GET /attachments/{id}/shared (no link)", json("GET", "/api/v1/attachments/"+att+"/shared?link=", nil), expect{404, 404, 404, 404, 404, 404, 404, 404}},
		{"GET /admin/devices", json("GET", "/api/v1/admin/devices", nil), adminOnly(200)},
		{"POST /admin/devices/{device}/approve", json("POST", "/api/v1/admin/devices/"+spareDevice+"/approve", nil), adminOnly(204)},
		{"DELETE /me/devices/{device} (another's)", json("DELETE", "/api/v1/me/devices/"+spareDevice, nil), expect{401, 404, 404, 404, 404, 404, 404, 404}},
		{"GET /openapi.json", json("GET", "/api/v1/openapi.json", nil), expect{200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET /geocode", json("GET", "/api/v1/geocode?q=Lage", nil), anyone},
		{"POST /rooms/{room}/drawings", json("POST", r+"/drawings", func() any {
			return map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{11.5, 50}}, "category": "marker"}
		}), roomWrite(201)},
		{"GET /rooms/{room}/drawings", json("GET", r+"/drawings", nil), roomRead},
		{"GET /rooms/{room}/geofence-crossings", json("GET", r+"/geofence-crossings", nil), roomRead},
		{"PATCH /drawings/{drawing}", json("PATCH", "/api/v1/drawings/"+leadDrawing(), func() any { return map[string]any{"label": "neu"} }), expect{401, 404, 404, 404, 404, 403, 403, 200}},
		{"DELETE /drawings/{drawing}", func(token string) reply {
			return ts.call(t, "DELETE", "/api/v1/drawings/"+leadDrawing(), token, nil)
		}, expect{401, 404, 404, 404, 404, 403, 403, 204}},
		// Public (OpenStreetMap data only); this server has no basemap.
		{"GET /basemap/style.json", json("GET", "/api/v1/basemap/style.json", nil), expect{404, 404, 404, 404, 404, 404, 404, 404}},
		{"GET /basemap/tiles/{z}/{x}/{y}.mvt", json("GET", "/api/v1/basemap/tiles/1/1/1.mvt", nil), expect{404, 404, 404, 404, 404, 404, 404, 404}},
		{"GET /basemap/glyphs/{fontstack}/{range}.pbf", json("GET", "/api/v1/basemap/glyphs/Noto%20Sans%20Regular/0-255.pbf", nil), expect{200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET /basemap/sprites/{name}", json("GET", "/api/v1/basemap/sprites/light.png", nil), expect{200, 200, 200, 200, 200, 200, 200, 200}},
		{"POST /admin/users", json("POST", "/api/v1/admin/users", func() any {
			return map[string]any{"email": fmt.Sprintf("new%d@polizei.example", unique()), "name": "Neu", "password": testPassword}
		}), adminOnly(201)},
		{"DELETE /admin/devices/{device}", func(token string) reply {
			dev := ts.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "spare@polizei.example", "password": testPassword, "device_name": "d"}).want(t, 200)
			id := dev.Body["device"].(map[string]any)["id"].(string)
			return ts.call(t, "DELETE", "/api/v1/admin/devices/"+id, token, nil)
		}, adminOnly(204)},
		// Identity. This server has no SMTP relay: registration and reset are off for everyone.
		{"GET /auth/config", json("GET", "/api/v1/auth/config", nil), expect{200, 200, 200, 200, 200, 200, 200, 200}},
		{"POST /auth/register", json("POST", "/api/v1/auth/register", func() any {
			return map[string]any{"email": "reg@polizei.example", "name": "Reg", "password": testPassword}
		}), expect{403, 403, 403, 403, 403, 403, 403, 403}},
		{"POST /auth/confirm", json("POST", "/api/v1/auth/confirm", func() any { return map[string]any{"token": "bogus"} }), expect{400, 400, 400, 400, 400, 400, 400, 400}},
		{"POST /auth/reset", json("POST", "/api/v1/auth/reset", func() any { return map[string]any{"email": "spare@polizei.example"} }), expect{403, 403, 403, 403, 403, 403, 403, 403}},
		{"POST /auth/reset/confirm", json("POST", "/api/v1/auth/reset/confirm", func() any { return map[string]any{"token": "bogus", "password": testPassword} }),
			expect{400, 400, 400, 400, 400, 400, 400, 400}},
		{"POST /me/password (wrong current)", json("POST", "/api/v1/me/password", func() any { return map[string]any{"current": "not-the-password", "password": testPassword} }),
			expect{401, 403, 403, 403, 403, 403, 403, 403}},
		{"POST /me/totp", json("POST", "/api/v1/me/totp", nil), expect{401, 201, 201, 201, 201, 201, 201, 201}},
		{"POST /me/totp/confirm (wrong code)", json("POST", "/api/v1/me/totp/confirm", func() any { return map[string]any{"code": "12345x"} }), expect{401, 400, 400, 400, 400, 400, 400, 400}},
		{"POST /me/app-passwords", json("POST", "/api/v1/me/app-passwords", func() any { return map[string]any{"name": "ATAK", "room": f.room} }), roomRead201},
		{"GET /admin/users", json("GET", "/api/v1/admin/users?q=spare", nil), adminOnly(200)},
		{"GET /admin/users/{user}/devices", json("GET", "/api/v1/admin/users/"+spare+"/devices", nil), adminOnly(200)},
		{"POST /admin/users/{user}/disable", json("POST", "/api/v1/admin/users/"+victim+"/disable", nil), adminOnly(200)},
		{"POST /admin/users/{user}/enable", json("POST", "/api/v1/admin/users/"+victim+"/enable", nil), adminOnly(200)},
		{"DELETE /admin/users/{user}/totp", json("DELETE", "/api/v1/admin/users/"+victim+"/totp", nil), adminOnly(204)},
		{"GET /audit/messages", json("GET", "/api/v1/audit/messages?case=AZ-4711&room="+f.room, nil), auditOnly},
		{"GET /audit/log", json("GET", "/api/v1/audit/log?case=AZ-4711", nil), auditOnly},
		// After the position queries: it takes the callers off the map.
		{"DELETE /positions/me", json("DELETE", "/api/v1/positions/me", nil), expect{401, 204, 204, 204, 204, 204, 204, 204}},
		// Last: it lets the observer into the chat.
		{"PUT /chats/{chat}/members/{user}", json("PUT", c+"/members/"+observerID, func() any { return map[string]any{"permissions": []string{"read"}} }), manageOnly(200)},
		{"DELETE /chats/{chat}/members/{user}", func(token string) reply {
			ts.call(t, "PUT", r+"/members/"+spare, f.lead, map[string]any{"role": "member"}).want(t, 200)
			ts.call(t, "PUT", c+"/members/"+spare, f.lead, map[string]any{"permissions": []string{"read"}}).want(t, 200)
			return ts.call(t, "DELETE", c+"/members/"+spare, token, nil)
		}, expect{401, 404, 404, 404, 404, 403, 403, 204}},
	}
	ts.call(t, "PUT", r+"/members/"+spare, f.lead, map[string]any{"role": "member"}).want(t, 200)
	var bad []string
	for _, rw := range rows {
		for i, role := range matrixRoles {
			got := rw.call(tok[role])
			if got.Status != rw.expect[i] {
				bad = append(bad, fmt.Sprintf("%-40s as %-10s: %d, want %d (%s)", rw.name, role, got.Status, rw.expect[i], strings.TrimSpace(string(got.Raw))))
			}
		}
	}
	if len(bad) > 0 {
		t.Fatalf("%d of %d calls disagree with the table:\n%s", len(bad), len(rows)*len(matrixRoles), strings.Join(bad, "\n"))
	}
	t.Logf("%d endpoints × %d roles as the table says", len(rows), len(matrixRoles))
}
