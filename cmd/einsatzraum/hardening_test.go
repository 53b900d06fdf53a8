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

// TestReadMarkersAcrossDevicesAndUsers: a read marker belongs to the user,
// not the device: what one phone read is read on the other (which learns
// it live); each user has their own count, of the others' messages.
func TestReadMarkersAcrossDevicesAndUsers(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t)
	ts := f.ts
	phone, tablet := f.member, ts.login(t, "member@polizei.example")
	sock := ts.dialWS(t, tablet, 0)
	sock.subscribe(f.room, 0)
	sock.untilSubscribed()
	var seqs []int64
	for _, text := range []string{"eins", "zwei", "drei"} {
		seqs = append(seqs, f.post(t, f.lead, text))
	}
	f.post(t, f.member, "vom Mitglied")
	unread := func(token string) float64 {
		t.Helper()
		for _, c := range ts.call(t, "GET", "/api/v1/rooms/"+f.room+"/chats", token, nil).want(t, 200).items() {
			if c["id"] == f.chat {
				return c["unread"].(float64)
			}
		}
		t.Fatal("the chat is not listed")
		return 0
	}
	if a, b, lead := unread(phone), unread(tablet), unread(f.lead); a != 3 || b != 3 || lead != 1 {
		t.Fatalf("unread before: phone %v, tablet %v, lead %v; want 3, 3 and 1", a, b, lead)
	}
	ts.call(t, "POST", "/api/v1/chats/"+f.chat+"/read", phone, map[string]any{"seq": seqs[1]}).want(t, 204)
	if a, b, lead := unread(phone), unread(tablet), unread(f.lead); a != 1 || b != 1 || lead != 1 {
		t.Fatalf("unread after the phone read two: phone %v, tablet %v, lead %v; want 1, 1 and 1", a, b, lead)
	}
	for {
		fr := sock.nextOf("event")
		if eventType(fr) == "chat.read" {
			if fr.Event["user"] != f.memberID || fr.Event["seq"].(float64) != float64(seqs[1]) {
				t.Fatalf("chat.read on the tablet: %v", fr.Event)
			}
			break
		}
	}
	reads := ts.call(t, "GET", "/api/v1/messages/"+messageID(t, ts, f.lead, f.chat, "zwei")+"/reads", f.lead, nil).want(t, 200)
	if r := reads.Body["read"].([]any); len(r) != 1 || r[0].(map[string]any)["user"] != f.memberID {
		t.Fatalf("readers of 'zwei': %s", reads.Raw)
	}
	reads = ts.call(t, "GET", "/api/v1/messages/"+messageID(t, ts, f.lead, f.chat, "drei")+"/reads", f.lead, nil).want(t, 200)
	if u := reads.Body["unread"].([]any); len(u) != 1 || u[0] != f.memberID {
		t.Fatalf("'drei' is unread by the member: %s", reads.Raw)
	}
}

// messageID finds a message of a chat by its text.
func messageID(t *testing.T, ts *testServer, token, chatID, text string) string {
	t.Helper()
	for _, m := range ts.call(t, "GET", "/api/v1/chats/"+chatID+"/messages?order=desc&limit=50", token, nil).want(t, 200).items() {
		if m["text"] == text {
			return m["id"].(string)
		}
	}
	t.Fatalf("no message %q", text)
	return ""
}

// TestPOIClientIDIsIdempotent: a phone sending a POI again with the same
// client_id (its first answer was lost) gets the same POI, once on the
// map; another room or another user with the same client_id make their own.
func TestPOIClientIDIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t)
	ts := f.ts
	body := map[string]any{"name": "Sammelpunkt", "category": "meeting_point", "lat": 50.01, "lon": 11.55, "client_id": "c-42"}
	first := ts.call(t, "POST", "/api/v1/rooms/"+f.room+"/pois", f.member, body).want(t, 201)
	again := ts.call(t, "POST", "/api/v1/rooms/"+f.room+"/pois", f.member, body).want(t, 200)
	if first.str("id") != again.str("id") {
		t.Fatalf("a repeat made another POI: %s and %s", first.str("id"), again.str("id"))
	}
	if n := len(ts.call(t, "GET", "/api/v1/rooms/"+f.room+"/pois", f.member, nil).want(t, 200).Body["features"].([]any)); n != 1 {
		t.Fatalf("%d POIs on the map after a repeat, want 1", n)
	}
	if other := ts.call(t, "POST", "/api/v1/rooms/"+f.room+"/pois", f.lead, body).want(t, 201); other.str("id") == first.str("id") {
		t.Fatal("another user's client_id hit the member's POI")
	}
	ts.call(t, "DELETE", "/api/v1/rooms/"+f.room+"/pois/"+first.str("id"), f.member, nil).want(t, 204)
	ts.call(t, "POST", "/api/v1/rooms/"+f.room+"/pois", f.member, body).want(t, 409, "poi_deleted")
}
