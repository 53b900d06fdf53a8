package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/web"
)

// liveFixture is a room with a lead, a member and an observer, and a chat
// "Lage" of lead and member (the observer is not in it).
type liveFixture struct {
	ts                     *testServer
	room, chat             string
	lead, member, observer string // tokens
	leadID, memberID       string
}

func newLiveFixture(t testing.TB, edit ...func(*serveConfig)) *liveFixture {
	ts := startServer(t, edit...)
	f := &liveFixture{ts: ts}
	f.leadID = ts.addUser(t, "lead@polizei.example", "Lea")
	f.memberID = ts.addUser(t, "member@polizei.example", "Max")
	obsID := ts.addUser(t, "observer@polizei.example", "Olga")
	f.lead, f.member, f.observer = ts.login(t, "lead@polizei.example"), ts.login(t, "member@polizei.example"), ts.login(t, "observer@polizei.example")
	f.room = ts.call(t, "POST", "/api/v1/rooms", f.lead, map[string]any{"name": "Live"}).want(t, 201).str("id")
	ts.call(t, "PUT", "/api/v1/rooms/"+f.room+"/members/"+f.memberID, f.lead, map[string]any{"role": "member"}).want(t, 200)
	ts.call(t, "PUT", "/api/v1/rooms/"+f.room+"/members/"+obsID, f.lead, map[string]any{"role": "observer"}).want(t, 200)
	f.chat = ts.call(t, "POST", "/api/v1/rooms/"+f.room+"/chats", f.lead, map[string]any{"name": "Lage", "members": []string{f.memberID}}).want(t, 201).str("id")
	return f
}

func (f *liveFixture) post(t testing.TB, token, text string) int64 {
	t.Helper()
	r := f.ts.call(t, "POST", "/api/v1/chats/"+f.chat+"/messages", token, map[string]any{"kind": "text", "text": text}).want(t, 201)
	return int64(r.Body["seq"].(float64))
}

func TestLiveDeliveryAndVisibility(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t)
	lead, member, observer := f.ts.dialWS(t, f.lead, 0), f.ts.dialWS(t, f.member, 0), f.ts.dialWS(t, f.observer, 0)
	for _, c := range []*wsClient{lead, member, observer} {
		c.subscribe(f.room, 0)
	}
	// The replay: the lead and the member see all 4 events (room created,
	// two members, chat created); the observer not the chat's creation.
	if evs := lead.untilSubscribed(); len(evs) != 4 || evs[3].Seq != 4 || eventType(evs[3]) != "chat.created" {
		t.Fatalf("lead's replay = %+v", evs)
	}
	if evs := member.untilSubscribed(); len(evs) != 4 {
		t.Fatalf("member's replay has %d events, want 4", len(evs))
	}
	if evs := observer.untilSubscribed(); len(evs) != 3 {
		t.Fatalf("observer's replay has %d events, want 3 (not the chat's)", len(evs))
	}

	seq := f.post(t, f.member, "Lage ruhig")
	for _, c := range []*wsClient{lead, member} {
		ev := c.nextOf("event")
		if ev.Seq != seq || ev.Room != f.room || eventType(ev) != "message.created" || messageText(ev) != "Lage ruhig" {
			t.Fatalf("live event = %+v", ev)
		}
	}
	observer.expectQuiet(300 * time.Millisecond)

	// A room-level event reaches the observer too.
	f.ts.call(t, "PUT", "/api/v1/rooms/"+f.room+"/members/"+f.memberID, f.lead, map[string]any{"role": "lead"}).want(t, 200)
	if ev := observer.nextOf("event"); eventType(ev) != "member.updated" || ev.Seq != seq+1 {
		t.Fatalf("observer got %+v, want member.updated", ev)
	}

	// Unsubscribe stops delivery.
	if ev := lead.nextOf("event"); eventType(ev) != "member.updated" {
		t.Fatalf("lead got %+v", ev)
	}
	member.nextOf("event")
	lead.send(map[string]any{"type": "unsubscribe", "room": f.room})
	// A socket's frames are handled in order: once the answer to an unknown
	// frame is back, the unsubscribe has been done.
	lead.send(map[string]any{"type": "after-unsubscribe"})
	if ev := lead.nextOf("error"); ev.Error.Code != "unknown_frame_type" {
		t.Fatalf("lead got %+v, want the unknown frame's error", ev)
	}
	f.post(t, f.member, "nach Abmeldung")
	member.nextOf("event")
	lead.expectQuiet(300 * time.Millisecond)
}

// TestResumeWithoutLoss disconnects a client, posts while it is away and
// while it replays, and checks that every event arrives once, in order.
func TestResumeWithoutLoss(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t)
	c := f.ts.dialWS(t, f.lead, 0)
	c.subscribe(f.room, 0)
	seen := c.untilSubscribed()
	last := seen[len(seen)-1].Seq
	c.conn.Close()

	for i := range 30 {
		f.post(t, f.member, fmt.Sprintf("away %d", i))
	}
	// Keep posting while the client reconnects and replays.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 40 {
			f.post(t, f.member, fmt.Sprintf("during %d", i))
		}
	}()
	c2 := f.ts.dialWS(t, f.lead, 0)
	c2.subscribe(f.room, last)
	wg.Wait()
	final := f.post(t, f.member, "final")

	var got []int64
	for len(got) == 0 || got[len(got)-1] < final {
		fr := c2.next()
		if fr.Type == "event" {
			got = append(got, fr.Seq)
		}
	}
	if int64(len(got)) != final-last {
		t.Fatalf("got %d events after seq %d, want %d (final %d): %v", len(got), last, final-last, final, got)
	}
	for i, s := range got {
		if s != last+1+int64(i) {
			t.Fatalf("event %d has seq %d, want %d: gap, duplicate or disorder in %v", i, s, last+1+int64(i), got)
		}
	}
	c2.expectQuiet(300 * time.Millisecond)
}

// TestRevocationTakesEffectAtOnce removes a member from the chat: they get
// the removal and no later chat message, but still the room's events.
func TestRevocationTakesEffectAtOnce(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t)
	m := f.ts.dialWS(t, f.member, 0)
	m.subscribe(f.room, 0)
	m.untilSubscribed()
	f.post(t, f.lead, "vorher")
	if ev := m.nextOf("event"); messageText(ev) != "vorher" {
		t.Fatalf("got %+v", ev)
	}
	f.ts.call(t, "DELETE", "/api/v1/chats/"+f.chat+"/members/"+f.memberID, f.lead, nil).want(t, 204)
	f.post(t, f.lead, "geheim")
	f.ts.call(t, "POST", "/api/v1/rooms/"+f.room+"/chats", f.lead, map[string]any{"name": "Neu"}).want(t, 201) // not theirs either
	f.ts.call(t, "PUT", "/api/v1/rooms/"+f.room+"/members/"+f.memberID, f.lead, map[string]any{"role": "observer"}).want(t, 200)
	if ev := m.nextOf("event"); eventType(ev) != "chat.member.removed" {
		t.Fatalf("got %+v, want chat.member.removed", ev)
	}
	if ev := m.nextOf("event"); eventType(ev) != "member.updated" {
		t.Fatalf("got %+v (%s), want member.updated: a message of a chat they left leaked?", ev, messageText(ev))
	}
	// Re-added, they see the chat's new messages again.
	f.ts.call(t, "PUT", "/api/v1/chats/"+f.chat+"/members/"+f.memberID, f.lead, map[string]any{"permissions": []string{"read"}}).want(t, 200)
	f.post(t, f.lead, "wieder da")
	if ev := m.nextOf("event"); eventType(ev) != "chat.member.updated" {
		t.Fatalf("got %+v", ev)
	}
	if ev := m.nextOf("event"); messageText(ev) != "wieder da" {
		t.Fatalf("got %+v", ev)
	}
	// Removed from the room: they get member.removed and nothing more.
	f.ts.call(t, "DELETE", "/api/v1/rooms/"+f.room+"/members/"+f.memberID, f.lead, nil).want(t, 204)
	for {
		ev := m.nextOf("event")
		if eventType(ev) == "member.removed" {
			break
		}
	}
	f.post(t, f.lead, "danach")
	m.expectQuiet(300 * time.Millisecond)
}

func TestBadFramesAndAuth(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t, func(c *serveConfig) { c.MaxFrameBytes = 1024 })
	c := f.ts.dialWS(t, f.member, 0)
	other := f.ts.dialWS(t, f.lead, 0)
	other.subscribe(f.room, 0)
	other.untilSubscribed()

	cases := []struct {
		frame string
		code  string
	}{
		{`not json`, "malformed_frame"},
		{`{"type":"dance"}`, "unknown_frame_type"},
		{`{"room":"x"}`, "missing_type"},
		{`[]`, "malformed_frame"},
		{`{"type":"subscribe","room":"rm_nope"}`, "room_not_found"},
		{`{"type":"subscribe","room":"` + f.room + `","since":-1}`, "invalid_since"},
		{`{"type":"subscribe","room":"` + f.room + `","since":99999}`, "invalid_since"},
		{`{"type":"subscribe","room":"` + f.room + `","since":"abc"}`, "malformed_frame"},
	}
	for _, tc := range cases {
		if err := c.conn.WriteMessage(1, []byte(tc.frame)); err != nil {
			t.Fatal(err)
		}
		if fr := c.nextOf("error"); fr.Error.Code != tc.code {
			t.Errorf("frame %s: error %q, want %q", tc.frame, fr.Error.Code, tc.code)
		}
	}
	if err := c.conn.WriteMessage(2, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if fr := c.nextOf("error"); fr.Error.Code != "binary_frame" {
		t.Errorf("binary frame: %q", fr.Error.Code)
	}
	// A stranger's subscription to the room is refused like a missing room.
	stranger := f.ts.addUser(t, "fremd@polizei.example", "Fremd")
	_ = stranger
	s := f.ts.dialWS(t, f.ts.login(t, "fremd@polizei.example"), 0)
	s.subscribe(f.room, 0)
	if fr := s.nextOf("error"); fr.Error.Code != "room_not_found" {
		t.Errorf("stranger subscribe: %q", fr.Error.Code)
	}
	// A huge frame closes that socket with 1009; the other keeps working.
	_ = c.conn.WriteMessage(1, []byte(`{"type":"subscribe","room":"`+strings.Repeat("x", 4096)+`"}`))
	if code := c.closeCode(5 * time.Second); code != web.CloseCode(einsatzraum.CloseTooBig) {
		t.Errorf("huge frame: close %d, want %d", code, web.CloseCode(einsatzraum.CloseTooBig))
	}
	f.post(t, f.lead, "noch da")
	if ev := other.nextOf("event"); messageText(ev) != "noch da" {
		t.Errorf("other connection got %+v", ev)
	}

	// No token, a bad token, a plain GET.
	f.ts.call(t, "GET", "/api/v1/ws", f.lead, nil).want(t, 400, "websocket_required")
	for _, tok := range []string{"", "bogus"} {
		u := "ws" + strings.TrimPrefix(f.ts.URL, "http") + "/api/v1/ws?access_token=" + tok
		if _, resp, err := wsDialer().Dial(u, nil); err == nil || resp == nil || resp.StatusCode != 401 {
			t.Errorf("token %q: dial err %v, status %v; want 401", tok, err, resp)
		}
	}
}

// TestWipeClosesLiveConnection revokes a device: its socket gets "wipe"
// and close 4003 within a second; its token is dead.
func TestWipeClosesLiveConnection(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t)
	c := f.ts.dialWS(t, f.member, 0)
	c.subscribe(f.room, 0)
	c.untilSubscribed()
	devs := f.ts.call(t, "GET", "/api/v1/me/devices", f.member, nil).want(t, 200).items()
	start := time.Now()
	f.ts.call(t, "DELETE", "/api/v1/me/devices/"+devs[0]["id"].(string), f.member, nil).want(t, 204)
	if fr := c.nextOf("wipe"); fr.Type != "wipe" {
		t.Fatal("no wipe frame")
	}
	if code := c.closeCode(time.Second); code != web.CloseCode(einsatzraum.CloseRevoked) {
		t.Fatalf("close code %d, want %d", code, web.CloseCode(einsatzraum.CloseRevoked))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("wipe took %v, want < 1s", d)
	}
}

// TestBusyConnectionIsPinged keeps a subscriber that never sends a frame
// busy with events past the server's pong wait: pings (answered by the
// client's pongs) must keep it open.
func TestBusyConnectionIsPinged(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t, func(c *serveConfig) {
		c.Hub.PingInterval = 200 * time.Millisecond
		c.PongWait = 600 * time.Millisecond
	})
	c := f.ts.dialWS(t, f.member, 0)
	c.subscribe(f.room, 0)
	c.untilSubscribed()
	for i := range 15 { // 1.5 s of traffic, 2.5 pong waits
		f.post(t, f.lead, fmt.Sprintf("busy %d", i))
		if ev := c.nextOf("event"); messageText(ev) != fmt.Sprintf("busy %d", i) {
			t.Fatalf("event %d: %+v", i, ev)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestWebSocketProtocolEdges speaks raw RFC 6455 to the server: a frame
// dribbled in byte by byte, a client ping, a close handshake, a socket
// that never answers pings (cut off after the pong wait) and a page of
// another origin (refused).
func TestWebSocketProtocolEdges(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t, func(c *serveConfig) {
		c.Hub.PingInterval = 200 * time.Millisecond
		c.PongWait = 600 * time.Millisecond
	})
	host := strings.TrimPrefix(f.ts.URL, "http://")
	dialRaw := func(origin string) (net.Conn, *bufio.Reader, string) {
		t.Helper()
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		req := "GET /api/v1/ws?access_token=" + url.QueryEscape(f.member) + " HTTP/1.1\r\nHost: " + host +
			"\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		if origin != "" {
			req += "Origin: " + origin + "\r\n"
		}
		if _, err := conn.Write([]byte(req + "\r\n")); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == 101 && resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
			t.Fatalf("accept %q", resp.Header.Get("Sec-WebSocket-Accept"))
		}
		return conn, br, resp.Status
	}
	// readFrame reads one server frame (unmasked) with a deadline.
	readFrame := func(conn net.Conn, br *bufio.Reader, d time.Duration) (byte, []byte, error) {
		_ = conn.SetReadDeadline(time.Now().Add(d))
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return 0, nil, err
		}
		n := int(h[1] & 0x7F)
		switch n {
		case 126:
			var l [2]byte
			if _, err := io.ReadFull(br, l[:]); err != nil {
				return 0, nil, err
			}
			n = int(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			if _, err := io.ReadFull(br, l[:]); err != nil {
				return 0, nil, err
			}
			n = int(binary.BigEndian.Uint64(l[:]))
		}
		p := make([]byte, n)
		_, err := io.ReadFull(br, p)
		return h[0] & 0x0F, p, err
	}
	masked := func(op byte, payload []byte) []byte {
		out := []byte{0x80 | op, 0x80 | byte(len(payload)), 1, 2, 3, 4}
		for i, c := range payload {
			out = append(out, c^byte(i%4+1))
		}
		return out
	}
	// untilOp reads frames (answering nothing) until one has op.
	untilOp := func(conn net.Conn, br *bufio.Reader, op byte) []byte {
		t.Helper()
		for {
			got, p, err := readFrame(conn, br, 3*time.Second)
			if err != nil {
				t.Fatalf("waiting for op %d: %v", op, err)
			}
			if got == op {
				return p
			}
		}
	}

	// Cross-origin pages are refused before the upgrade.
	if _, _, status := dialRaw("https://evil.example"); !strings.HasPrefix(status, "403") {
		t.Errorf("cross-origin upgrade: %s, want 403", status)
	}

	// A subscribe frame sent one byte per write still arrives whole.
	conn, br, status := dialRaw("http://" + host)
	if !strings.HasPrefix(status, "101") {
		t.Fatalf("upgrade: %s", status)
	}
	for _, b := range masked(1, []byte(`{"type":"subscribe","room":"`+f.room+`","since":0}`)) {
		if _, err := conn.Write([]byte{b}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	for !strings.Contains(string(untilOp(conn, br, 1)), `"type":"subscribed"`) {
	}
	// A client ping is answered with a pong carrying its payload.
	if _, err := conn.Write(masked(9, []byte("hallo"))); err != nil {
		t.Fatal(err)
	}
	if p := untilOp(conn, br, 10); string(p) != "hallo" {
		t.Errorf("pong payload %q", p)
	}
	// The client's close is answered with the same code.
	if _, err := conn.Write(masked(8, []byte{0x03, 0xe8})); err != nil {
		t.Fatal(err)
	}
	if p := untilOp(conn, br, 8); len(p) < 2 || binary.BigEndian.Uint16(p) != 1000 {
		t.Errorf("close answer %v", p)
	}

	// A socket that reads but never answers the server's pings is closed
	// once the pong wait passed; until then it gets pings.
	silent, sbr, _ := dialRaw("")
	start := time.Now()
	pings := 0
	for {
		op, _, err := readFrame(silent, sbr, 3*time.Second)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal("a silent socket is still open after 3 s")
			}
			break
		}
		if op == 9 {
			pings++
		}
	}
	if d := time.Since(start); d < 500*time.Millisecond || pings == 0 {
		t.Errorf("silent socket closed after %v with %d pings; want >= the 600 ms pong wait, pinged", d, pings)
	}
}
