package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestAPIWalk walks the REST API end to end on a real server: users made
// by the CLI while the server runs, login, rooms, members, chats, rights,
// messages, idempotent resend, strangers' 404s and bad inputs' 400s.
func TestAPIWalk(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	adminID := ts.addUser(t, "admin@polizei.example", "Ada Admin", "admin")
	leadID := ts.addUser(t, "lead@polizei.example", "Lea Lead")
	memberID := ts.addUser(t, "member@polizei.example", "Max Member")
	observerID := ts.addUser(t, "observer@lka.polizei.example", "Olga Observer")
	strangerID := ts.addUser(t, "stranger@polizei.example", "Stan Stranger")
	_ = adminID
	admin, lead, member, observer, stranger := ts.login(t, "admin@polizei.example"), ts.login(t, "lead@polizei.example"),
		ts.login(t, "member@polizei.example"), ts.login(t, "observer@lka.polizei.example"), ts.login(t, "stranger@polizei.example")

	t.Run("login and me", func(t *testing.T) {
		ts.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "lead@polizei.example", "password": "wrong-password"}).want(t, 401, "invalid_credentials")
		ts.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "nobody@polizei.example", "password": testPassword}).want(t, 401, "invalid_credentials")
		me := ts.call(t, "GET", "/api/v1/me", lead, nil).want(t, 200)
		if me.str("email") != "lead@polizei.example" || me.str("id") != leadID || me.str("callsign") != "CS Lea Lead" {
			t.Errorf("me = %s", me.Raw)
		}
		if strings.Contains(string(me.Raw), "argon2") || strings.Contains(string(me.Raw), "password") {
			t.Errorf("me leaks the password hash: %s", me.Raw)
		}
		ts.call(t, "GET", "/api/v1/me", "", nil).want(t, 401, "invalid_token")
		ts.call(t, "GET", "/api/v1/me", "not-a-token", nil).want(t, 401, "invalid_token")
	})

	t.Run("admin creates users only in official domains", func(t *testing.T) {
		ts.call(t, "POST", "/api/v1/admin/users", admin, map[string]any{"email": "x@gmail.com", "name": "X", "password": testPassword}).
			want(t, 400, "email_domain_not_allowed")
		ts.call(t, "POST", "/api/v1/admin/users", admin, map[string]any{"email": "x@evilpolizei.example", "name": "X", "password": testPassword}).
			want(t, 400, "email_domain_not_allowed")
		// No administrator makes a reader of every chat: auditors come
		// from the operator's command line only.
		ts.call(t, "POST", "/api/v1/admin/users", admin, map[string]any{"email": "aud@polizei.example", "name": "Aud", "password": testPassword, "roles": []string{"auditor"}}).
			want(t, 403, "auditor_by_operator")
		ts.call(t, "POST", "/api/v1/admin/users", admin, map[string]any{"email": "New@Polizei.Example", "name": "Nina New", "password": testPassword, "roles": []string{"data_admin"}}).
			want(t, 201)
		ts.call(t, "POST", "/api/v1/admin/users", admin, map[string]any{"email": "new@polizei.example", "name": "Dup", "password": testPassword}).
			want(t, 409, "email_taken")
		ts.call(t, "POST", "/api/v1/admin/users", admin, map[string]any{"email": "y@polizei.example", "name": "Y", "password": "short"}).
			want(t, 400, "invalid_password")
		ts.call(t, "POST", "/api/v1/admin/users", admin, map[string]any{"email": "y@polizei.example", "name": "Y", "password": testPassword, "roles": []string{"god"}}).
			want(t, 400, "invalid_role")
		ts.call(t, "POST", "/api/v1/admin/users", lead, map[string]any{"email": "z@polizei.example", "name": "Z", "password": testPassword}).
			want(t, 403, "not_admin")
		ts.login(t, "new@polizei.example")
	})

	room := ts.call(t, "POST", "/api/v1/rooms", lead, map[string]any{"name": "Lage Hafen", "description": "Hafengeburtstag"}).want(t, 201)
	roomID := room.str("id")
	if room.str("my_role") != "lead" {
		t.Fatalf("creator's role = %s", room.Raw)
	}
	rp := "/api/v1/rooms/" + roomID

	t.Run("rooms and members", func(t *testing.T) {
		ts.call(t, "PUT", rp+"/members/"+memberID, lead, map[string]any{"role": "member"}).want(t, 200)
		ts.call(t, "PUT", rp+"/members/"+observerID, lead, map[string]any{"role": "observer"}).want(t, 200)
		ts.call(t, "PUT", rp+"/members/"+strangerID, member, map[string]any{"role": "member"}).want(t, 403)
		ts.call(t, "PUT", rp+"/members/u_doesnotexist", lead, map[string]any{"role": "member"}).want(t, 404, "user_not_found")
		ts.call(t, "PUT", rp+"/members/"+strangerID, lead, map[string]any{"role": "chief"}).want(t, 400, "invalid_role")
		ms := ts.call(t, "GET", rp+"/members", observer, nil).want(t, 200).items()
		if len(ms) != 3 {
			t.Fatalf("members = %v", ms)
		}
		got := ts.call(t, "GET", rp, member, nil).want(t, 200)
		if got.str("my_role") != "member" || got.str("name") != "Lage Hafen" {
			t.Errorf("room as member = %s", got.Raw)
		}
		rooms := ts.call(t, "GET", "/api/v1/rooms", member, nil).want(t, 200).items()
		if len(rooms) != 1 || rooms[0]["id"] != roomID {
			t.Errorf("member's rooms = %v", rooms)
		}
		if n := len(ts.call(t, "GET", "/api/v1/rooms", stranger, nil).want(t, 200).items()); n != 0 {
			t.Errorf("stranger sees %d rooms", n)
		}
		// Strangers and admins never see a room they are not in.
		for _, tok := range []string{stranger, admin} {
			ts.call(t, "GET", rp, tok, nil).want(t, 404, "room_not_found")
			ts.call(t, "GET", rp+"/members", tok, nil).want(t, 404, "room_not_found")
			ts.call(t, "GET", rp+"/chats", tok, nil).want(t, 404, "room_not_found")
			ts.call(t, "POST", rp+"/chats", tok, map[string]any{"name": "x"}).want(t, 404, "room_not_found")
			ts.call(t, "PUT", rp+"/members/"+strangerID, tok, map[string]any{"role": "lead"}).want(t, 404, "room_not_found")
		}
		ts.call(t, "GET", "/api/v1/rooms/rm_doesnotexist", lead, nil).want(t, 404, "room_not_found")
		ts.call(t, "GET", "/api/v1/rooms/'%20OR%201=1", lead, nil).want(t, 404, "room_not_found")
		ts.call(t, "DELETE", rp+"/members/"+leadID, lead, nil).want(t, 409, "last_lead")
		ts.call(t, "PUT", rp+"/members/"+leadID, lead, map[string]any{"role": "member"}).want(t, 409, "last_lead")
	})

	chatR := ts.call(t, "POST", rp+"/chats", member, map[string]any{"name": "Lage", "members": []string{leadID, observerID}}).want(t, 201)
	chatID := chatR.str("id")
	cp := "/api/v1/chats/" + chatID

	t.Run("chats and rights", func(t *testing.T) {
		ts.call(t, "POST", rp+"/chats", observer, map[string]any{"name": "Nope"}).want(t, 403)
		ts.call(t, "POST", rp+"/chats", member, map[string]any{"name": "Bad", "members": []string{strangerID}}).want(t, 400, "not_room_member")
		ms := ts.call(t, "GET", cp+"/members", observer, nil).want(t, 200).items()
		perms := map[string]string{}
		for _, m := range ms {
			u := m["user"].(map[string]any)
			perms[u["id"].(string)] = fmt.Sprint(m["permissions"])
		}
		want := map[string]string{memberID: "[read write manage]", leadID: "[read write]", observerID: "[read]"}
		if fmt.Sprint(perms) != fmt.Sprint(want) {
			t.Errorf("chat rights = %v, want %v", perms, want)
		}
		chats := ts.call(t, "GET", rp+"/chats", lead, nil).want(t, 200).items()
		if len(chats) != 1 || fmt.Sprint(chats[0]["my_permissions"]) != "[read write]" {
			t.Errorf("lead's chats = %v", chats)
		}
		// Without manage, no granting; with it, grant and revoke.
		ts.call(t, "PUT", cp+"/members/"+observerID, lead, map[string]any{"permissions": []string{"read"}}).want(t, 403)
		ts.call(t, "PUT", cp+"/members/"+observerID, member, map[string]any{"permissions": []string{"read", "write"}}).want(t, 409, "observer_read_only")
		ts.call(t, "PUT", cp+"/members/"+leadID, member, map[string]any{"permissions": []string{"write", "manage"}}).want(t, 200)
		ts.call(t, "PUT", cp+"/members/"+memberID, lead, map[string]any{"permissions": []string{"read", "write"}}).want(t, 200)
		ts.call(t, "PUT", cp+"/members/"+leadID, lead, map[string]any{"permissions": []string{"read"}}).want(t, 409, "last_manager")
		ts.call(t, "PUT", cp+"/members/"+memberID, member, map[string]any{"permissions": []string{"read", "manage"}}).want(t, 403)
		ts.call(t, "PUT", cp+"/members/"+memberID, lead, map[string]any{"permissions": []string{"fly"}}).want(t, 400, "invalid_permissions")
		ts.call(t, "PUT", cp+"/members/"+memberID, lead, map[string]any{"permissions": "read"}).want(t, 400, "invalid_permissions")
		ts.call(t, "PUT", cp+"/members/"+memberID, lead, map[string]any{}).want(t, 400, "missing_permissions")
		ts.call(t, "PUT", cp+"/members/"+strangerID, lead, map[string]any{"permissions": []string{"read"}}).want(t, 400, "not_room_member")
		ts.call(t, "GET", cp+"/members", stranger, nil).want(t, 404, "chat_not_found")
		ts.call(t, "GET", cp+"/members", admin, nil).want(t, 404, "chat_not_found")
	})

	t.Run("messages", func(t *testing.T) {
		first := ts.call(t, "POST", cp+"/messages", member, map[string]any{"kind": "text", "text": "Absperrung steht", "client_id": "c-1"}).want(t, 201)
		again := ts.call(t, "POST", cp+"/messages", member, map[string]any{"kind": "text", "text": "Absperrung steht", "client_id": "c-1"}).want(t, 200)
		if first.str("id") == "" || again.str("id") != first.str("id") || again.Body["seq"] != first.Body["seq"] {
			t.Errorf("resend with the same client_id made a new message: %s vs %s", first.Raw, again.Raw)
		}
		sender := first.Body["sender"].(map[string]any)
		if sender["id"] != memberID || first.str("room") != roomID || first.str("chat") != chatID || first.str("kind") != "text" || first.str("created_at") == "" {
			t.Errorf("message reply = %s", first.Raw)
		}
		loc := ts.call(t, "POST", cp+"/messages", lead, map[string]any{"kind": "location", "location": map[string]any{"lat": 53.5457, "lon": 9.9664}}).want(t, 201)
		if l := loc.Body["location"].(map[string]any); l["lat"] != 53.5457 {
			t.Errorf("location reply = %s", loc.Raw)
		}
		ts.call(t, "POST", cp+"/messages", observer, map[string]any{"kind": "text", "text": "hi"}).want(t, 403)
		ts.call(t, "POST", cp+"/messages", stranger, map[string]any{"kind": "text", "text": "hi"}).want(t, 404, "chat_not_found")
		ts.call(t, "POST", "/api/v1/chats/ch_nope/messages", member, map[string]any{"kind": "text", "text": "hi"}).want(t, 404, "chat_not_found")

		bad := []struct {
			body any
			code string
		}{
			{`{"kind":"text","text":"x"`, "malformed_json"},
			{`not json`, "malformed_json"},
			{``, "malformed_json"},
			{`[1,2]`, "malformed_json"},
			{`{"kind":"text","text":"a"} {}`, "malformed_json"},
			{map[string]any{"kind": 5}, "invalid_field"},
			{map[string]any{"kind": "text", "text": 5}, "invalid_field"},
			{map[string]any{"kind": "text", "text": "   "}, "empty_text"},
			{map[string]any{"kind": "text"}, "empty_text"},
			{map[string]any{"text": "no kind"}, "missing_kind"},
			{map[string]any{"kind": "fax", "text": "x"}, "invalid_kind"},
			{map[string]any{"kind": "text", "text": strings.Repeat("x", 9000)}, "text_too_long"},
			{map[string]any{"kind": "location"}, "missing_location"},
			{map[string]any{"kind": "location", "location": map[string]any{"lat": 91, "lon": 0}}, "invalid_lat"},
			{map[string]any{"kind": "location", "location": map[string]any{"lat": 0, "lon": -180.5}}, "invalid_lon"},
			{map[string]any{"kind": "location", "location": map[string]any{"lat": "53", "lon": 9}}, "invalid_field"},
			{`{"kind":"location","location":{"lat":1e999,"lon":9}}`, "invalid_field"},
			{map[string]any{"kind": "text", "text": "x", "client_id": strings.Repeat("c", 65)}, "invalid_client_id"},
		}
		for _, b := range bad {
			ts.call(t, "POST", cp+"/messages", member, b.body).want(t, 400, b.code)
		}
		ts.call(t, "POST", rp+"/chats", member, map[string]any{"name": strings.Repeat("n", 121)}).want(t, 400, "name_too_long")
		ts.call(t, "POST", rp+"/chats", member, map[string]any{"name": ""}).want(t, 400, "missing_name")
		ts.call(t, "POST", "/api/v1/rooms", member, map[string]any{"name": 42}).want(t, 400, "invalid_field")

		for i := range 5 {
			ts.call(t, "POST", cp+"/messages", member, map[string]any{"kind": "text", "text": fmt.Sprintf("page %d", i)}).want(t, 201)
		}
		var seqs []float64
		path := cp + "/messages?limit=2"
		for page := 0; page < 10; page++ {
			r := ts.call(t, "GET", path, observer, nil).want(t, 200)
			for _, m := range r.items() {
				seqs = append(seqs, m["seq"].(float64))
			}
			next := r.str("next_cursor")
			if next == "" {
				break
			}
			path = cp + "/messages?limit=2&cursor=" + next
		}
		if len(seqs) != 7 {
			t.Fatalf("paged through %d messages, want 7: %v", len(seqs), seqs)
		}
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Fatalf("pages not in seq order or repeated: %v", seqs)
			}
		}
		after := ts.call(t, "GET", fmt.Sprintf("%s/messages?after_seq=%d", cp, int(seqs[4])), observer, nil).want(t, 200).items()
		if len(after) != 2 {
			t.Errorf("after_seq=%v gave %d messages, want 2", seqs[4], len(after))
		}
		ts.call(t, "GET", cp+"/messages?after_seq=abc", observer, nil).want(t, 400, "invalid_after_seq")
		ts.call(t, "GET", cp+"/messages?limit=100000", observer, nil).want(t, 400, "invalid_limit")
		ts.call(t, "GET", cp+"/messages", stranger, nil).want(t, 404, "chat_not_found")

		// A member removed from the chat loses it at once.
		ts.call(t, "DELETE", cp+"/members/"+observerID, lead, nil).want(t, 204)
		ts.call(t, "GET", cp+"/messages", observer, nil).want(t, 404, "chat_not_found")
		ts.call(t, "DELETE", cp+"/members/"+observerID, lead, nil).want(t, 404, "member_not_found")

		r := ts.call(t, "GET", rp, lead, nil).want(t, 200)
		// One event each: room created, 2 members, chat created, 2 grants,
		// 7 messages (the resend adds none), 1 chat member removed.
		if seq := r.Body["seq"].(float64); seq != 14 {
			t.Errorf("room seq = %v, want 14: one event per change", seq)
		}
	})

	t.Run("room member removal leaves its chats", func(t *testing.T) {
		ts.call(t, "DELETE", rp+"/members/"+memberID, lead, nil).want(t, 204)
		ts.call(t, "GET", rp, member, nil).want(t, 404, "room_not_found")
		ts.call(t, "GET", cp+"/messages", member, nil).want(t, 404, "chat_not_found")
		ms := ts.call(t, "GET", cp+"/members", lead, nil).want(t, 200).items()
		if len(ms) != 1 {
			t.Errorf("chat still has %d members after the room removal, want 1 (the lead)", len(ms))
		}
	})

	t.Run("logout and wipe", func(t *testing.T) {
		second := ts.login(t, "stranger@polizei.example")
		devs := ts.call(t, "GET", "/api/v1/me/devices", stranger, nil).want(t, 200).items()
		if len(devs) != 2 {
			t.Fatalf("devices = %v", devs)
		}
		var secondID string
		for _, d := range devs {
			if _, revoked := d["revoked_at"]; !revoked && d["id"] != "" {
				secondID = d["id"].(string) // newest first
				break
			}
		}
		ts.call(t, "DELETE", "/api/v1/me/devices/"+secondID, lead, nil).want(t, 404, "device_not_found")
		ts.call(t, "DELETE", "/api/v1/admin/devices/"+secondID, lead, nil).want(t, 403, "not_admin")
		ts.call(t, "DELETE", "/api/v1/me/devices/"+secondID, stranger, nil).want(t, 204)
		ts.call(t, "GET", "/api/v1/me", second, nil).want(t, 401, "token_revoked")
		ts.call(t, "GET", "/api/v1/me", stranger, nil).want(t, 200)
		ts.call(t, "POST", "/api/v1/auth/logout", stranger, nil).want(t, 204)
		ts.call(t, "GET", "/api/v1/me", stranger, nil).want(t, 401, "token_revoked")

		obsDevs := ts.call(t, "GET", "/api/v1/me/devices", observer, nil).want(t, 200).items()
		ts.call(t, "DELETE", "/api/v1/admin/devices/"+obsDevs[0]["id"].(string), admin, nil).want(t, 204)
		ts.call(t, "GET", "/api/v1/me", observer, nil).want(t, 401, "token_revoked")
	})

	t.Run("operations", func(t *testing.T) {
		ts.call(t, "GET", "/api/v1/nope", lead, nil).want(t, 404, "no_such_endpoint")
		ts.call(t, "GET", "/healthz", "", nil).want(t, 200)
		ts.call(t, "GET", "/readyz", "", nil).want(t, 200)
		doc := ts.call(t, "GET", "/api/v1/openapi.json", "", nil).want(t, 200)
		paths, _ := doc.Body["paths"].(map[string]any)
		for _, p := range []string{"/api/v1/auth/login", "/api/v1/rooms/{room}/chats", "/api/v1/chats/{chat}/messages", "/api/v1/admin/users"} {
			if _, ok := paths[p]; !ok {
				t.Errorf("openapi.json lacks %s", p)
			}
		}
		ts.call(t, "GET", "/metrics", "", nil).want(t, 401, "metrics_token")
		ts.call(t, "GET", "/metrics", admin, nil).want(t, 401, "metrics_token") // a user's token is not the metrics token
		m := ts.call(t, "GET", "/metrics", testMetricsToken, nil).want(t, 200)
		for _, name := range []string{"einsatzraum_http_requests_total", "einsatzraum_http_request_seconds", "einsatzraum_store_seconds", "go_goroutines"} {
			if !strings.Contains(string(m.Raw), name) {
				t.Errorf("/metrics lacks %s", name)
			}
		}
	})
}
