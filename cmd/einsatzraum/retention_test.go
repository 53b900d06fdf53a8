package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum/clocktest"
)

// TestRetentionAndAudit moves the service clock: after the visible
// retention members no longer see a message, a photo, a POI or a replayed
// event, while an auditor still finds the message (and the search is
// logged); after the audit retention everything is deleted, the file's
// bytes included. Administrators read no content at any time.
func TestRetentionAndAudit(t *testing.T) {
	t.Parallel()
	clk := &clocktest.Shifted{}
	f := newLiveFixture(t, func(c *serveConfig) { c.clock = clk })
	ts := f.ts
	ts.addUser(t, "auditor@polizei.example", "Aude", "auditor")
	ts.addUser(t, "admin@polizei.example", "Adam", "admin")
	auditor, admin := ts.login(t, "auditor@polizei.example"), ts.login(t, "admin@polizei.example")

	f.post(t, f.member, "Zeuge Müller wohnt Hafenstraße 12")
	up := ts.uploadFile(t, f.member, "/api/v1/chats/"+f.chat+"/attachments", "lage.jpg", exifJPEG(t, 32, 24, 1, 0, 0), nil).want(t, 201)
	ts.call(t, "POST", "/api/v1/rooms/"+f.room+"/pois", f.member, map[string]any{"name": "Sammelstelle", "category": "sammelstelle", "lat": 53.5, "lon": 10}).want(t, 201)
	blobs := 0
	_ = filepath.Walk(filepath.Join(ts.Data, "blobs"), func(_ string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() {
			blobs++
		}
		return nil
	})
	if blobs == 0 {
		t.Fatal("no blob files after the upload")
	}

	// Administrators and members without the role are no auditors.
	for _, tok := range []string{admin, f.lead} {
		ts.call(t, "GET", "/api/v1/audit/messages?case=AZ-4711&room="+f.room, tok, nil).want(t, 403, "not_auditor")
		ts.call(t, "GET", "/api/v1/audit/log?case=AZ-4711", tok, nil).want(t, 403, "not_auditor")
	}
	ts.call(t, "GET", "/api/v1/chats/"+f.chat+"/messages", admin, nil).want(t, 404)

	clk.Advance(8 * 24 * time.Hour) // past the visible retention
	if ms := ts.call(t, "GET", "/api/v1/chats/"+f.chat+"/messages", f.member, nil).want(t, 200).items(); len(ms) != 0 {
		t.Fatalf("member still sees %d messages after 8 days", len(ms))
	}
	ts.call(t, "GET", "/api/v1/attachments/"+up.str("id"), f.member, nil).want(t, 404)
	if pois := ts.call(t, "GET", "/api/v1/rooms/"+f.room+"/pois", f.member, nil).want(t, 200); len(pois.Body["features"].([]any)) != 0 {
		t.Fatalf("POI still shown after 8 days: %s", pois.Raw)
	}
	c := ts.dialWS(t, f.member, 0)
	c.subscribe(f.room, 0)
	if evs := c.untilSubscribed(); len(evs) != 0 {
		t.Fatalf("replay after 8 days sent %d old events", len(evs))
	}
	seq := f.post(t, f.member, "Neue Lage") // new content is visible, live and in the list
	if ms := ts.call(t, "GET", "/api/v1/chats/"+f.chat+"/messages", f.member, nil).want(t, 200).items(); len(ms) != 1 || ms[0]["seq"].(float64) != float64(seq) {
		t.Fatalf("messages after 8 days = %v, want only the new one", ms)
	}

	found := ts.call(t, "GET", "/api/v1/audit/messages?case=AZ-4711&room="+f.room+"&q="+url.QueryEscape("ZEUGE MÜLLER"), auditor, nil).want(t, 200).items()
	if len(found) != 1 || !strings.Contains(found[0]["text"].(string), "Müller") {
		t.Fatalf("auditor's search found %v, want the retained message", found)
	}
	ts.call(t, "GET", "/api/v1/audit/messages?case=AZ-4711", auditor, nil).want(t, 400, "room_required")
	ts.call(t, "GET", "/api/v1/audit/messages?case=AZ-4711&room="+f.room+"&from=yesterday", auditor, nil).want(t, 400, "invalid_from")
	ts.call(t, "GET", "/api/v1/audit/messages?case=AZ-4711&room=rm_nope", auditor, nil).want(t, 404)
	// Every audit names its case; the record keeps it.
	ts.call(t, "GET", "/api/v1/audit/messages?room="+f.room, auditor, nil).want(t, 400, "case_required")
	ts.call(t, "GET", "/api/v1/audit/log", auditor, nil).want(t, 400, "case_required")

	clk.Advance(91 * 24 * time.Hour) // both messages are past the audit retention now
	if _, err := ts.srv.svc.Purge(context.Background()); err != nil {
		t.Fatal(err)
	}
	if found := ts.call(t, "GET", "/api/v1/audit/messages?case=AZ-4711&room="+f.room, auditor, nil).want(t, 200).items(); len(found) != 0 {
		t.Fatalf("auditor still finds %d messages after 91 days", len(found))
	}
	blobs = 0
	_ = filepath.Walk(filepath.Join(ts.Data, "blobs"), func(_ string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() {
			blobs++
		}
		return nil
	})
	if blobs != 0 {
		t.Fatalf("%d blob files left after the purge", blobs)
	}

	log := ts.call(t, "GET", "/api/v1/audit/log?case=AZ-4711&limit=500", auditor, nil).want(t, 200).items()
	actions := map[string]int{}
	for _, e := range log {
		actions[e["action"].(string)]++
		if e["action"] == "audit_read_messages" && (!strings.Contains(e["detail"].(string), `case "AZ-4711"`) || e["target"] == "(another auditor's room)") {
			t.Errorf("own audit query recorded as %v", e)
		}
	}
	// A second auditor sees that and when the first searched, and for
	// which case, but not the room nor the words.
	ts.addUser(t, "auditor2@polizei.example", "Aude Zwei", "auditor")
	for _, e := range ts.call(t, "GET", "/api/v1/audit/log?case=AZ-0815&limit=500", ts.login(t, "auditor2@polizei.example"), nil).want(t, 200).items() {
		if e["action"] == "audit_read_messages" && (e["target"] != "(another auditor's room)" || strings.Contains(e["detail"].(string), "MÜLLER") || !strings.Contains(e["detail"].(string), "AZ-4711")) {
			t.Errorf("another auditor's query shown as %v", e)
		}
	}
	for _, want := range []string{"login", "create_user", "audit_read_messages"} {
		if actions[want] == 0 {
			t.Errorf("audit log has no %q entry: %v", want, actions)
		}
	}
	if actions["audit_read_messages"] != 3 { // the search, the one for a missing room, the one after the purge
		t.Errorf("audit log holds %d auditor queries, want every one (3)", actions["audit_read_messages"])
	}
}
