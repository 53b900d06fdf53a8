package main

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum/cot"
)

// takClient is a TAK client as the test plays it: it writes events the way
// ATAK writes them and reads the server's event stream.
type takClient struct {
	t      *testing.T
	conn   net.Conn
	uid    string
	events chan *cot.Event
	err    chan error
	seen   []*cot.Event // every event next read, the skipped ones too
}

func dialTAK(t *testing.T, addr string, pool *x509.CertPool, uid string) *takClient {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("dial CoT: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &takClient{t: t, conn: conn, uid: uid, events: make(chan *cot.Event, 1000), err: make(chan error, 1)}
	go func() {
		rd := cot.NewReader(conn, 1<<20)
		for {
			ev, err := rd.Next()
			if err != nil {
				c.err <- err
				close(c.events)
				return
			}
			c.events <- ev
		}
	}()
	return c
}

func (c *takClient) send(xml string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(xml)); err != nil {
		c.t.Fatalf("write CoT: %v", err)
	}
}

// next returns the next event whose type is typ and whose uid starts with
// uidPrefix, skipping others.
func (c *takClient) next(typ, uidPrefix string) *cot.Event {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				c.t.Fatalf("stream ended waiting for %s %s*: %v", typ, uidPrefix, <-c.err)
			}
			c.seen = append(c.seen, ev)
			if ev.Type == typ && strings.HasPrefix(ev.UID, uidPrefix) {
				return ev
			}
		case <-deadline:
			c.t.Fatalf("no %s event %s* within 5 s", typ, uidPrefix)
		}
	}
}

// closed waits until the server ends the stream.
func (c *takClient) closed(within time.Duration) bool {
	deadline := time.After(within)
	for {
		select {
		case _, ok := <-c.events:
			if !ok {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func cotTime(t time.Time) string { return cot.FormatTime(t) }

// atakSA is a position report as ATAK writes it (TAK Server's fixtures'
// shape), with Einsatzraum's auth element when auth is not empty.
func atakSA(uid, callsign string, lat, lon float64, at, stale time.Time, auth string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="` + uid + `" type="a-f-G-U-C" time="` + cotTime(at) +
		`" start="` + cotTime(at) + `" stale="` + cotTime(stale) + `" how="h-e"><point lat="` + fmt.Sprint(lat) + `" lon="` + fmt.Sprint(lon) +
		`" hae="19.25" ce="12.5" le="9999999.0"/><detail>` + auth + `<takv os="34" version="5.2.0.4 (b1e5e4a2)[playstore].1712345678-CIV" device="GOOGLE PIXEL 8" platform="ATAK-CIV"/>` +
		`<contact endpoint="*:-1:stcp" callsign="` + callsign + `"/><uid Droid="` + callsign + `"/><precisionlocation altsrc="GPS" geopointsrc="GPS"/>` +
		`<__group role="Team Member" name="Cyan"/><status battery="88"/><track course="123.4" speed="1.5"/></detail></event>`
}

// atakChat is a GeoChat to "All Chat Rooms" as ATAK writes it.
func atakChat(uid, callsign, msgID, text string, at time.Time) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="GeoChat.` + uid + `.All Chat Rooms.` + msgID +
		`" type="b-t-f" time="` + cotTime(at) + `" start="` + cotTime(at) + `" stale="` + cotTime(at.Add(24*time.Hour)) + `" how="h-g-i-g-o">` +
		`<point lat="53.55" lon="10.0" hae="25.3" ce="9999999.0" le="9999999.0"/><detail><__chat parent="RootContactGroup" groupOwner="false" messageId="` + msgID +
		`" chatroom="All Chat Rooms" id="All Chat Rooms" senderCallsign="` + callsign + `"><chatgrp uid0="` + uid + `" uid1="All Chat Rooms" id="All Chat Rooms"/></__chat>` +
		`<link uid="` + uid + `" type="a-f-G-U-C" relation="p-p"/><remarks source="BAO.F.ATAK.` + uid + `" to="All Chat Rooms" time="` + cotTime(at) + `">` + text + `</remarks>` +
		`<__serverdestination destinations="10.41.113.200:4242:tcp:` + uid + `"/><marti/></detail></event>`
}

func atakPing(uid string, at time.Time) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="` + uid + `-ping" type="t-x-c-t" time="` + cotTime(at) +
		`" start="` + cotTime(at) + `" stale="` + cotTime(at.Add(20*time.Second)) + `" how="m-g"><point lat="0.0" lon="0.0" hae="0.0" ce="9999999.0" le="9999999.0"/><detail/></event>`
}

func cotAuth(token, room, chat string) string {
	return `<__einsatzraum token="` + token + `" room="` + room + `" chat="` + chat + `"/>`
}

type cotFixture struct {
	*liveFixture
	addr string
	pool *x509.CertPool
}

func newCoTFixture(t *testing.T, edit ...func(*serveConfig)) *cotFixture {
	certFile, keyFile, pool := selfSignedCert(t, t.TempDir())
	f := newLiveFixture(t, append([]func(*serveConfig){func(c *serveConfig) {
		c.CoT = cotConfig{Listen: "127.0.0.1:0", Cert: certFile, Key: keyFile, MaxEvent: 8 << 10, HandshakeTimeout: 500 * time.Millisecond}
	}}, edit...)...)
	return &cotFixture{liveFixture: f, addr: f.ts.srv.cotLn.Addr().String(), pool: pool}
}

// dashboard is the lead's live socket, subscribed to the room.
func (f *cotFixture) dashboard(t *testing.T) *wsClient {
	t.Helper()
	dash := f.ts.dialWS(t, f.lead, 0)
	dash.subscribe(f.room, 0)
	dash.untilSubscribed()
	return dash
}

// TestCoTGatewayRoundTrips: a TAK client joins the room as the member; its
// position reaches the dashboard (stale honoured), its GeoChat the chat;
// the lead's messages, position and POIs and a data admin's file reach it
// as CoT; its pings are answered.
func TestCoTGatewayRoundTrips(t *testing.T) {
	t.Parallel()
	f := newCoTFixture(t)
	dash := f.dashboard(t)

	// Join with the first position report.
	tak := dialTAK(t, f.addr, f.pool, "ANDROID-589520ccfcd20f01")
	now := time.Now()
	tak.send(atakSA(tak.uid, "HOPE", 53.5511, 9.9937, now, now.Add(time.Minute), cotAuth(f.member, f.room, f.chat)))
	item := waitPosition(t, dash, f.memberID)
	if item["lat"] != 53.5511 || item["lon"] != 9.9937 || item["accuracy_m"] != 12.5 || item["stale"] != false || item["stale_at"] == nil {
		t.Errorf("TAK position on the dashboard: %v", item)
	}
	if h, _ := item["heading"].(float64); h != 123.4 {
		t.Errorf("heading %v, want the track's course 123.4", item["heading"])
	}
	// A report whose own stale time has passed shows stale at once.
	at := time.Now()
	tak.send(atakSA(tak.uid, "HOPE", 53.5521, 9.9947, at, at, ""))
	if item := waitPositionAt(t, dash, f.memberID, 53.5521); item["stale"] != true {
		t.Errorf("position past its CoT stale time: %v, want stale", item)
	}

	// The lead's chat message reaches the TAK client as GeoChat.
	f.post(t, f.lead, "Lage: Zugriff 14:00")
	gc := tak.next("b-t-f", "GeoChat.einsatzraum.")
	if gc.Detail == nil || gc.Detail.Remarks == nil || gc.Detail.Remarks.Text != "Lage: Zugriff 14:00" ||
		gc.Detail.Chat == nil || gc.Detail.Chat.SenderCallsign != "CS Lea" || gc.Detail.Chat.ID != "All Chat Rooms" {
		t.Errorf("GeoChat to TAK: %+v", gc.Detail)
	}

	// The TAK client's GeoChat becomes a message of the chat, once even
	// when ATAK resends it.
	chatXML := atakChat(tak.uid, "HOPE", "5d1f2a3b-1111-2222-3333-444455556666", "Verstanden &amp; unterwegs", time.Now())
	tak.send(chatXML)
	tak.send(chatXML)
	for {
		ev := dash.nextOf("event")
		if eventType(ev) == "message.created" && messageText(ev) == "Verstanden & unterwegs" {
			m := ev.Event["message"].(map[string]any)
			if m["sender"].(map[string]any)["id"] != f.memberID || m["chat"] != f.chat {
				t.Errorf("GeoChat message %v", m)
			}
			break
		}
	}
	msgs := f.ts.call(t, "GET", "/api/v1/chats/"+f.chat+"/messages", f.lead, nil).want(t, 200).items()
	n := 0
	for _, m := range msgs {
		if m["text"] == "Verstanden & unterwegs" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the resent GeoChat is stored %d times, want once", n)
	}

	// The lead's position reaches the TAK client with a stable uid.
	f.ts.call(t, "POST", "/api/v1/positions", f.lead, map[string]any{"items": []any{
		map[string]any{"lat": 53.56, "lon": 10.01, "accuracy_m": 8, "ts": time.Now().UTC().Format(time.RFC3339Nano)}}}).want(t, 202)
	pos := tak.next("a-f-G-U-C", "einsatzraum."+f.leadID)
	for _, ev := range tak.seen { // the client's own GeoChat and position do not come back
		if (ev.Type == "b-t-f" && ev.Detail.Remarks.Text == "Verstanden & unterwegs") || ev.UID == "einsatzraum."+f.memberID {
			t.Errorf("the TAK client got its own %s back", ev.Type)
		}
	}
	if pos.Point.Lat != "53.56" || pos.Point.Lon != "10.01" || pos.Point.Ce != "8" || pos.Detail.Contact.Callsign != "CS Lea" {
		t.Errorf("lead's position as CoT: %+v %+v", pos.Point, pos.Detail.Contact)
	}

	// POIs: added as a marker, deleted as a stale-now update of the same uid.
	poi := f.ts.call(t, "POST", "/api/v1/rooms/"+f.room+"/pois", f.lead, map[string]any{"name": "Sammelpunkt", "lat": 53.545, "lon": 9.98, "category": "meeting", "description": "Nordseite"}).want(t, 201).str("id")
	marker := tak.next("b-m-p-s-m", "einsatzraum.poi."+poi)
	if marker.Point.Lat != "53.545" || marker.Detail.Contact.Callsign != "Sammelpunkt" || marker.Detail.Remarks.Text != "Nordseite" {
		t.Errorf("POI marker %+v %+v", marker.Point, marker.Detail)
	}
	if st, _ := cot.ParseTime(marker.Stale); st.Before(time.Now().Add(24 * time.Hour)) {
		t.Errorf("POI marker goes stale at %s; it should stay", marker.Stale)
	}
	f.ts.call(t, "DELETE", "/api/v1/rooms/"+f.room+"/pois/"+poi, f.lead, nil).want(t, 204)
	gone := tak.next("b-m-p-s-m", "einsatzraum.poi."+poi)
	if gone.Stale != gone.Time || gone.Point.Lat != "53.545" {
		t.Errorf("deleted POI: stale %s time %s point %+v; want stale now at its point", gone.Stale, gone.Time, gone.Point)
	}

	// A data administrator's injected PDF arrives as a file share whose
	// URL downloads it without a bearer token; an altered link does not.
	f.ts.addUser(t, "daten@polizei.example", "Daten Admin", "data_admin")
	da := f.ts.login(t, "daten@polizei.example")
	pdf := []byte("%PDF-1.4\n% Einsatzbefehl\n%%EOF\n")
	f.ts.uploadFile(t, da, "/api/v1/admin/chats/"+f.chat+"/inject", "einsatzbefehl.pdf", pdf, map[string]string{"caption": "Befehl"}).want(t, 201)
	share := tak.next("b-f-t-r", "einsatzraum.file.")
	fs := share.Detail.FileShare
	sum := sha256.Sum256(pdf)
	if fs == nil || fs.Filename != "einsatzbefehl.pdf" || fs.SizeInBytes != int64(len(pdf)) || fs.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("file share %+v", fs)
	}
	if got := httpGet(t, fs.SenderURL); got.status != 200 || string(got.body) != string(pdf) {
		t.Errorf("download of the share: %d %q", got.status, got.body)
	}
	if got := httpGet(t, strings.Replace(fs.SenderURL, "link=", "link=A", 1)); got.status != 404 {
		t.Errorf("altered link: %d, want 404", got.status)
	}

	// Pings are answered.
	tak.send(atakPing(tak.uid, time.Now()))
	tak.next("t-x-c-t-r", tak.uid+"-ping")

	// A wipe of the member's device ends the TAK connection.
	devs := f.ts.call(t, "GET", "/api/v1/me/devices", f.member, nil).want(t, 200).items()
	for _, d := range devs {
		f.ts.call(t, "DELETE", "/api/v1/me/devices/"+d["id"].(string), f.member, nil)
	}
	if !tak.closed(2 * time.Second) {
		t.Error("the TAK connection of a wiped device is still open")
	}
	if got := httpGet(t, fs.SenderURL); got.status != 404 {
		t.Errorf("file link of a wiped device: %d, want 404", got.status)
	}
}

// waitPosition returns the user's item from the dashboard's next
// positions frames.
func waitPosition(t *testing.T, dash *wsClient, user string) map[string]any {
	t.Helper()
	return waitPositionAt(t, dash, user, 0)
}

func waitPositionAt(t *testing.T, dash *wsClient, user string, lat float64) map[string]any {
	t.Helper()
	for {
		for _, it := range dash.nextOf("positions").items() {
			if it["user"] == user && (lat == 0 || it["lat"] == lat) {
				return it
			}
		}
	}
}

type httpReply struct {
	status int
	body   []byte
}

func httpGet(t *testing.T, u string) httpReply {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return httpReply{resp.StatusCode, b}
}

// TestCoTGatewayHostileClients: bad credentials, broken XML, oversized
// events and a client that never finishes its TLS handshake are dropped
// without stalling a working client; a bad position is refused without
// dropping the client.
func TestCoTGatewayHostileClients(t *testing.T) {
	t.Parallel()
	f := newCoTFixture(t)
	good := dialTAK(t, f.addr, f.pool, "ANDROID-good")
	now := time.Now()
	good.send(atakSA(good.uid, "GOOD", 53.55, 9.99, now, now.Add(time.Minute), cotAuth(f.member, f.room, f.chat)))
	pingGood := func(step string) {
		t.Helper()
		good.send(atakPing(good.uid, time.Now()))
		if ev := good.next("t-x-c-t-r", good.uid); ev == nil {
			t.Fatalf("%s: the good client gets no answer", step)
		}
	}
	pingGood("start")

	// A stalled TLS handshake: the TCP connection opens, nothing follows.
	stalled, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	pingGood("during a stalled handshake")
	_ = stalled.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := stalled.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("stalled handshake: read %v; want the server to close it after 500 ms", err)
	}

	refused := []struct{ name, first string }{
		{"no auth element", atakSA("ANDROID-x1", "X", 53.5, 9.9, now, now.Add(time.Minute), "")},
		{"unknown token", atakSA("ANDROID-x2", "X", 53.5, 9.9, now, now.Add(time.Minute), cotAuth("bogus", f.room, f.chat))},
		{"another's room", atakSA("ANDROID-x3", "X", 53.5, 9.9, now, now.Add(time.Minute), cotAuth(f.member, "rm_nope", ""))},
		{"broken XML", `<event version="2.0" uid="x" type="a-f-G-U-C"><point lat="1" lon="2"></event>`},
		{"not an event", `<html><body>hello</body></html>`},
		{"oversized event", atakSA("ANDROID-x4", "X", 53.5, 9.9, now, now.Add(time.Minute), cotAuth(f.member, f.room, f.chat)+"<remarks>"+strings.Repeat("A", 9000)+"</remarks>")},
		{"silence", ""},
	}
	for _, tc := range refused {
		c := dialTAK(t, f.addr, f.pool, "x")
		if tc.first != "" {
			c.send(tc.first)
		}
		if !c.closed(3 * time.Second) {
			t.Errorf("%s: connection still open", tc.name)
		}
		pingGood(tc.name)
	}

	// After joining: a NaN position is refused and the client stays; an
	// oversized event later ends only that client.
	bad := dialTAK(t, f.addr, f.pool, "ANDROID-bad")
	bad.send(atakSA(bad.uid, "BAD", 53.5, 9.9, now, now.Add(time.Minute), cotAuth(f.observer, f.room, "")))
	bad.send(strings.Replace(atakSA(bad.uid, "BAD", 53.5, 9.9, now, now.Add(time.Minute), ""), `lat="53.5"`, `lat="NaN"`, 1))
	bad.send(atakPing(bad.uid, time.Now()))
	bad.next("t-x-c-t-r", bad.uid)
	ps := f.ts.call(t, "GET", "/api/v1/rooms/"+f.room+"/positions", f.lead, nil).want(t, 200).items()
	for _, p := range ps {
		if p["lat"] != 53.5 && p["user"] != f.memberID {
			t.Errorf("a NaN position was taken: %v", p)
		}
	}
	bad.send(`<event version="2.0" uid="` + bad.uid + `" type="a-f-G-U-C" time="x" start="x" stale="x"><detail><remarks>` + strings.Repeat("B", 10000) + `</remarks></detail></event>`)
	if !bad.closed(3 * time.Second) {
		t.Error("an oversized event after joining left the connection open")
	}
	pingGood("after the oversized event")

	// A user removed from the room loses the TAK connection bound to it.
	obs := dialTAK(t, f.addr, f.pool, "ANDROID-observer")
	obs.send(atakSA(obs.uid, "OBS", 53.5, 9.9, now, now.Add(time.Minute), cotAuth(f.observer, f.room, "")))
	obs.send(atakPing(obs.uid, time.Now()))
	obs.next("t-x-c-t-r", obs.uid)
	var observerID string
	for _, m := range f.ts.call(t, "GET", "/api/v1/rooms/"+f.room+"/members", f.lead, nil).want(t, 200).items() {
		if m["role"] == "observer" {
			observerID = m["user"].(map[string]any)["id"].(string)
		}
	}
	f.ts.call(t, "DELETE", "/api/v1/rooms/"+f.room+"/members/"+observerID, f.lead, nil).want(t, 204)
	if !obs.closed(3 * time.Second) {
		t.Error("the TAK connection of a user removed from the room is still open")
	}
	pingGood("after the removal")
}

// TestCoTSlowClientIsCutOff: a TAK client that stops reading is closed
// (queue limit or write deadline) while a second one receives every
// message of the flood.
func TestCoTSlowClientIsCutOff(t *testing.T) {
	t.Parallel()
	f := newCoTFixture(t, func(c *serveConfig) {
		c.Hub.QueueLimit, c.Hub.WriteTimeout, c.RateLimits.WritesPerMinute = 16, 500*time.Millisecond, -1
	})
	// The slow client: a tiny receive buffer, and it never reads.
	raw, err := (&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return errors.Join(err, serr)
	}}).Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	slow := tls.Client(raw, &tls.Config{RootCAs: f.pool, ServerName: "127.0.0.1"})
	now := time.Now()
	if _, err := slow.Write([]byte(atakSA("ANDROID-slow", "SLOW", 53.5, 9.9, now, now.Add(time.Minute), cotAuth(f.member, f.room, f.chat)))); err != nil {
		t.Fatal(err)
	}
	fast := dialTAK(t, f.addr, f.pool, "ANDROID-fast")
	fast.send(atakSA(fast.uid, "FAST", 53.5, 9.9, now, now.Add(time.Minute), cotAuth(f.member, f.room, f.chat)))
	fast.send(atakPing(fast.uid, time.Now()))
	fast.next("t-x-c-t-r", fast.uid) // joined

	const n = 400
	text := strings.Repeat("x", 8000)
	go func() {
		for i := range n {
			f.post(t, f.lead, fmt.Sprintf("%d %s", i, text))
		}
	}()
	for i := range n {
		ev := fast.next("b-t-f", "GeoChat.")
		if want := fmt.Sprintf("%d ", i); !strings.HasPrefix(ev.Detail.Remarks.Text, want) {
			t.Fatalf("fast client: message %q, want %q...", ev.Detail.Remarks.Text[:10], want)
		}
	}
	// The slow one was cut off: once its kernel buffers are read, the
	// stream ends.
	_ = slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, slow); err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		t.Error("the slow TAK client is still connected")
	}
}

// atakEmergency is ATAK's emergency beacon ("911 Alert"), or its cancel.
func atakEmergency(uid, callsign string, lat, lon float64, at time.Time, cancel bool) string {
	typ, em := "b-a-o-tbl", `<emergency type="911 Alert">`+callsign+`</emergency>`
	if cancel {
		typ, em = "b-a-o-can", `<emergency cancel="true">`+callsign+`</emergency>`
	}
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="` + uid + `-9-1-1" type="` + typ + `" time="` + cotTime(at) +
		`" start="` + cotTime(at) + `" stale="` + cotTime(at.Add(10*time.Second)) + `" how="h-e"><point lat="` + fmt.Sprint(lat) + `" lon="` + fmt.Sprint(lon) +
		`" hae="19.2" ce="9999999.0" le="9999999.0"/><detail><link uid="` + uid + `" type="a-f-G-U-C" relation="p-p"/><contact callsign="` + callsign + `-Alert"/>` + em + `</detail></event>`
}

// TestCoTEmergency: an ATAK user's emergency beacon raises an alarm that a
// dashboard socket gets within a second; another TAK client gets it as a
// 911 beacon; the cancel cancels it everywhere.
func TestCoTEmergency(t *testing.T) {
	t.Parallel()
	f := newCoTFixture(t)
	dash := f.dashboard(t)
	now := time.Now()
	tak := dialTAK(t, f.addr, f.pool, "ANDROID-0000aaaa")
	tak.send(atakSA(tak.uid, "HOPE", 53.5511, 9.9937, now, now.Add(time.Minute), cotAuth(f.member, f.room, f.chat)))
	other := dialTAK(t, f.addr, f.pool, "ANDROID-0000bbbb")
	other.send(atakSA(other.uid, "LEA", 53.55, 9.99, now, now.Add(time.Minute), cotAuth(f.lead, f.room, f.chat)))
	waitPosition(t, dash, f.memberID)

	start := time.Now()
	tak.send(atakEmergency(tak.uid, "HOPE", 53.5512, 9.9938, time.Now(), false))
	for {
		ev := dash.nextOf("event")
		if eventType(ev) == "alarm.raised" {
			al := ev.Event["alarm"].(map[string]any)
			if al["user"] != f.memberID || al["lat"] != 53.5512 || al["state"] != "open" {
				t.Fatalf("alarm from TAK: %v", al)
			}
			break
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the TAK emergency took %v to reach the dashboard", d)
	}
	if b := other.next("b-a-o-tbl", "einsatzraum.alarm."); b.Detail == nil || b.Detail.Emergency == nil || b.Detail.Emergency.Type != "911 Alert" {
		t.Fatalf("the other TAK client got %+v", b)
	}
	tak.send(atakEmergency(tak.uid, "HOPE", 53.5512, 9.9938, time.Now(), true))
	for {
		if ev := dash.nextOf("event"); eventType(ev) == "alarm.cancelled" {
			break
		}
	}
	other.next("b-a-o-can", "einsatzraum.alarm.")
	if open := f.ts.call(t, "GET", "/api/v1/rooms/"+f.room+"/alarms?state=open", f.lead, nil).want(t, 200).items(); len(open) != 0 {
		t.Fatalf("open alarms after the cancel: %v", open)
	}
}

// TestCoTShapes: a polygon an ATAK user draws becomes a drawing of the room
// (and an edit of it changes the same drawing); a circle the lead draws on
// the dashboard reaches TAK clients as u-d-c-c, with its colour and label,
// and its deletion as stale-now; ATAK's delete task deletes the TAK
// user's drawing. Members' positions reach TAK with __group and contact.
func TestCoTShapes(t *testing.T) {
	t.Parallel()
	f := newCoTFixture(t)
	dash := f.dashboard(t)
	now := time.Now()
	tak := dialTAK(t, f.addr, f.pool, "ANDROID-5ba9e5")
	tak.send(atakSA(tak.uid, "HOPE", 49.99, 11.55, now, now.Add(time.Minute), cotAuth(f.member, f.room, f.chat)))
	waitPosition(t, dash, f.memberID)

	polygon := func(north string) string {
		return `<event version="2.0" uid="3f1c9d2e-7b1a-4c55" type="u-d-f" time="` + cotTime(now) + `" start="` + cotTime(now) + `" stale="` + cotTime(now.Add(24*time.Hour)) + `" how="h-e">` +
			`<point lat="49.99" lon="11.55" hae="9999999.0" ce="9999999.0" le="9999999.0"/><detail>` +
			`<link point="49.989,11.548"/><link point="49.989,11.552"/><link point="` + north + `,11.552"/><link point="49.991,11.548"/><link point="49.989,11.548"/>` +
			`<strokeColor value="-65536"/><strokeWeight value="4.0"/><fillColor value="-1761673216"/><contact callsign="Sperrkreis"/><labels_on value="true"/></detail></event>`
	}
	tak.send(polygon("49.991"))
	var drawing map[string]any
	for drawing == nil {
		if ev := dash.nextOf("event"); eventType(ev) == "drawing.created" {
			drawing = ev.Event["drawing"].(map[string]any)
		}
	}
	if drawing["label"] != "Sperrkreis" || drawing["color"] != "#ff0000" || drawing["created_by"] != f.memberID ||
		drawing["geometry"].(map[string]any)["type"] != "Polygon" {
		t.Fatalf("the TAK polygon on the dashboard: %v", drawing)
	}
	tak.send(polygon("49.992")) // a vertex moved in ATAK
	for {
		if ev := dash.nextOf("event"); eventType(ev) == "drawing.updated" {
			d := ev.Event["drawing"].(map[string]any)
			ring := d["geometry"].(map[string]any)["coordinates"].([]any)[0].([]any)
			if d["id"] != drawing["id"] || ring[2].([]any)[1] != 49.992 {
				t.Fatalf("the edit: %v", d)
			}
			break
		}
	}
	if fc := f.ts.call(t, "GET", "/api/v1/rooms/"+f.room+"/drawings", f.lead, nil).want(t, 200); len(fc.Body["features"].([]any)) != 1 {
		t.Fatalf("drawings after an edit: %v", fc.Body)
	}

	// The lead's circle reaches the TAK client as ATAK draws circles.
	circle := f.ts.call(t, "POST", "/api/v1/rooms/"+f.room+"/drawings", f.lead, map[string]any{
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{11.56, 49.995}}, "radius_m": 120,
		"label": "Bereitstellungsraum", "category": "area", "color": "#00c853"}).want(t, 201)
	c := tak.next("u-d-c-c", "einsatzraum.drawing.")
	if c.Point.Lat != "49.995" || c.Point.Lon != "11.56" || c.Detail.Shape == nil || c.Detail.Shape.Ellipse == nil ||
		c.Detail.Shape.Ellipse.Major != "120" || c.Detail.Contact.Callsign != "Bereitstellungsraum" ||
		c.Detail.StrokeColor.Value != "-16725933" || c.Detail.LabelsOn.Value != "true" {
		t.Fatalf("circle to TAK: %+v %+v", c, c.Detail)
	}
	f.ts.call(t, "DELETE", "/api/v1/drawings/"+circle.str("id"), f.lead, nil).want(t, 204)
	if gone := tak.next("u-d-f", "einsatzraum.drawing."+circle.str("id")); gone.Stale != gone.Time {
		t.Fatalf("deleted circle: stale %s at %s, want stale at once", gone.Stale, gone.Time)
	}

	// Members reach TAK as contacts with a team.
	f.ts.call(t, "POST", "/api/v1/positions", f.lead, map[string]any{"items": []map[string]any{{"lat": 49.991, "lon": 11.551, "ts": time.Now()}}}).want(t, 202)
	lead := tak.next("a-f-G-U-C", "einsatzraum.")
	if lead.Detail.Group == nil || lead.Detail.Group.Name != "Cyan" || lead.Detail.Group.Role != "Team Member" || lead.Detail.Contact.Endpoint == "" {
		t.Fatalf("member to TAK without __group/contact: %+v", lead.Detail)
	}

	// ATAK deletes its polygon.
	tak.send(`<event version="2.0" uid="del-1" type="t-x-d-d" time="` + cotTime(now) + `" start="` + cotTime(now) + `" stale="` + cotTime(now.Add(time.Minute)) + `" how="h-e">` +
		`<point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/><detail><link uid="3f1c9d2e-7b1a-4c55" relation="none" type="none"/></detail></event>`)
	for {
		if ev := dash.nextOf("event"); eventType(ev) == "drawing.deleted" && ev.Event["drawing"] == drawing["id"] {
			break // the circle's deletion came before
		}
	}
}

// TestCoTStockATAKAuth: stock ATAK with "Use Authentication" logs in with
// <auth><cot username password uid/></auth>: the email and an app password
// made for that TAK device in one room; it joins that room, its position
// reaches the dashboard and the room's messages reach it. The app password
// opens nothing else; a wrong one, another user's email, and a wiped
// device are refused.
func TestCoTStockATAKAuth(t *testing.T) {
	t.Parallel()
	f := newCoTFixture(t)
	dash := f.dashboard(t)
	app := f.ts.call(t, "POST", "/api/v1/me/app-passwords", f.member, map[string]any{"name": "ATAK Pixel 8", "room": f.room}).want(t, 201)
	password, device := app.str("token"), app.Body["device"].(map[string]any)
	if device["scope"] != "tak" || device["room"] != f.room {
		t.Fatalf("app password device %v", device)
	}
	f.ts.call(t, "POST", "/api/v1/me/app-passwords", f.member, map[string]any{"name": "x", "room": "rm_nope"}).want(t, 404)
	f.ts.call(t, "GET", "/api/v1/rooms", password, nil).want(t, 401, "app_password")
	authXML := func(user, pw, uid string) string {
		return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><auth><cot username="` + user + `" password="` + pw + `" uid="` + uid + `"/></auth>`
	}

	tak := dialTAK(t, f.addr, f.pool, "ANDROID-stock-atak")
	now := time.Now()
	tak.send(authXML("member@polizei.example", password, tak.uid))
	tak.send(atakSA(tak.uid, "HOPE", 53.5511, 9.9937, now, now.Add(time.Minute), ""))
	if item := waitPosition(t, dash, f.memberID); item["lat"] != 53.5511 {
		t.Fatalf("stock ATAK position on the dashboard: %v", item)
	}
	f.post(t, f.lead, "Lage an alle")
	if gc := tak.next("b-t-f", "GeoChat.einsatzraum."); gc.Detail.Remarks.Text != "Lage an alle" {
		t.Fatalf("GeoChat to stock ATAK: %+v", gc.Detail.Remarks)
	}

	for name, auth := range map[string]string{
		"wrong password": authXML("member@polizei.example", "not-the-app-password", "ANDROID-x1"),
		"another email":  authXML("lead@polizei.example", password, "ANDROID-x2"),
		"a login token":  authXML("member@polizei.example", f.member, "ANDROID-x3"),
	} {
		c := dialTAK(t, f.addr, f.pool, "ANDROID-x")
		c.send(auth)
		if !c.closed(3 * time.Second) {
			t.Errorf("%s: the connection stays open", name)
		}
	}
	f.ts.call(t, "DELETE", "/api/v1/me/devices/"+device["id"].(string), f.member, nil).want(t, 204)
	if !tak.closed(3 * time.Second) {
		t.Fatal("wiping the TAK device's app password leaves its connection open")
	}
	again := dialTAK(t, f.addr, f.pool, "ANDROID-stock-atak")
	again.send(authXML("member@polizei.example", password, again.uid))
	if !again.closed(3 * time.Second) {
		t.Fatal("a wiped app password logs in")
	}
}
