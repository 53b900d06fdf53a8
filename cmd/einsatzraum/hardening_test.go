package main

import (
	"strings"
	"testing"
	"time"
)

// TestHostileEXIFUpload uploads the 22-byte JPEG whose EXIF segment claims
// a length of 2: it once ended the process. It must be answered (stored or
// refused, never a 5xx) and the server must go on serving.
func TestHostileEXIFUpload(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t)
	bomb := []byte("\xff\xd8\xff\xe1\x00\x02Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xd9")
	r := f.ts.uploadFile(t, f.member, "/api/v1/chats/"+f.chat+"/attachments", "x.jpg", bomb, nil)
	if r.Status >= 500 {
		t.Fatalf("hostile JPEG answered %d: %s", r.Status, r.Raw)
	}
	f.ts.call(t, "GET", "/api/v1/me", f.member, nil).want(t, 200)
}

// TestUnknownFieldsAreRefused: a field the server does not know is a 400
// naming it, not something dropped in silence.
func TestUnknownFieldsAreRefused(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t)
	ts := f.ts
	r := ts.call(t, "POST", "/api/v1/chats/"+f.chat+"/messages", f.member, map[string]any{"kind": "text", "text": "x", "reaction": "👍"}).want(t, 400, "unknown_field")
	if !strings.Contains(string(r.Raw), "reaction") {
		t.Fatalf("the error does not name the field: %s", r.Raw)
	}
	// Every JSON body: the same body is taken without the unknown field
	// and refused with it (a typo must not be dropped silently).
	now := time.Now().UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		method, path string
		body         map[string]any
		ok           int
	}{
		{"POST", "/api/v1/chats/" + f.chat + "/messages", map[string]any{"kind": "text", "text": "x", "priority": "urgent"}, 201},
		{"POST", "/api/v1/rooms", map[string]any{"name": "Neu"}, 201},
		{"PATCH", "/api/v1/rooms/" + f.room, map[string]any{"description": "Lage"}, 200},
		{"PATCH", "/api/v1/chats/" + f.chat, map[string]any{"name": "Lage"}, 200},
		{"POST", "/api/v1/rooms/" + f.room + "/chats", map[string]any{"name": "Zwei"}, 201},
		{"POST", "/api/v1/rooms/" + f.room + "/pois", map[string]any{"name": "P", "category": "info", "lat": 50.0, "lon": 11.5}, 201},
		{"POST", "/api/v1/positions", map[string]any{"items": []any{map[string]any{"lat": 50.0, "lon": 11.5, "ts": now}}}, 202},
		{"PUT", "/api/v1/chats/" + f.chat + "/members/" + f.memberID, map[string]any{"permissions": []string{"read", "write"}}, 200},
		{"POST", "/api/v1/chats/" + f.chat + "/read", map[string]any{"seq": 1}, 204},
	} {
		with := map[string]any{"colour": "rot"}
		for k, v := range tc.body {
			with[k] = v
		}
		ts.call(t, tc.method, tc.path, f.lead, with).want(t, 400, "unknown_field")
		ts.call(t, tc.method, tc.path, f.lead, tc.body).want(t, tc.ok)
	}
}
