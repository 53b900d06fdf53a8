package main

import (
	"strings"
	"testing"
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
	r := f.ts.call(t, "POST", "/api/v1/chats/"+f.chat+"/messages", f.member, map[string]any{"kind": "text", "text": "x", "reaction": "👍"}).want(t, 400, "unknown_field")
	if !strings.Contains(string(r.Raw), "reaction") {
		t.Fatalf("the error does not name the field: %s", r.Raw)
	}
	f.ts.call(t, "POST", "/api/v1/chats/"+f.chat+"/messages", f.member, map[string]any{"kind": "text", "text": "x", "priority": "urgent"}).want(t, 201)
}
