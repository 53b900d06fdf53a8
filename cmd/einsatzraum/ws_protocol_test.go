package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/web"
)

// rawWS is a WebSocket client on a bare TCP connection that parses every
// byte the server sends with gobwas/ws's client-side checks: a frame cut
// off or a close written into another frame fails the test.
type rawWS struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
}

// dialRawWS upgrades a bare TCP connection; rcvBuf > 0 sets a small kernel
// receive buffer, to make a slow reader.
func (ts *testServer) dialRawWS(t *testing.T, token string, rcvBuf int) *rawWS {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if rcvBuf > 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf) })
			return errors.Join(err, serr)
		}
	}
	host := strings.TrimPrefix(ts.URL, "http://")
	conn, err := d.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	fmt.Fprintf(conn, "GET /api/v1/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\nAuthorization: Bearer %s\r\n\r\n",
		host, base64.StdEncoding.EncodeToString(key), token)
	rd := bufio.NewReader(conn)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	return &rawWS{t: t, conn: conn, rd: rd}
}

// writeFrame sends one masked frame.
func (c *rawWS) writeFrame(op ws.OpCode, payload []byte) {
	c.t.Helper()
	f := ws.MaskFrame(ws.NewFrame(op, true, payload))
	if err := ws.WriteFrame(c.conn, f); err != nil {
		c.t.Fatalf("write frame: %v", err)
	}
}

// readFrame reads one whole server frame, checked as a client must.
func (c *rawWS) readFrame(timeout time.Duration) (ws.Header, []byte, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	h, err := ws.ReadHeader(c.rd)
	if err != nil {
		return h, nil, err
	}
	if err := ws.CheckHeader(h, ws.StateClientSide); err != nil {
		return h, nil, fmt.Errorf("server frame breaks RFC 6455: %w", err)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c.rd, p); err != nil {
		return h, nil, fmt.Errorf("frame of %d bytes cut off: %w", h.Length, err)
	}
	return h, p, nil
}

// untilClose reads frames until the server's close frame and returns its
// code, checking every frame before it is a whole text frame of JSON.
func (c *rawWS) untilClose(timeout time.Duration) (code int, texts int) {
	c.t.Helper()
	for {
		h, p, err := c.readFrame(timeout)
		if err != nil {
			c.t.Fatalf("after %d text frames: %v", texts, err)
		}
		switch h.OpCode {
		case ws.OpText:
			if !json.Valid(p) {
				c.t.Fatalf("text frame %d is not whole JSON: %.80q", texts, p)
			}
			texts++
		case ws.OpPing, ws.OpPong:
		case ws.OpClose:
			if len(p) < 2 {
				c.t.Fatalf("close frame without a code: % x", p)
			}
			code, reason := ws.ParseCloseFrameData(p)
			if err := ws.CheckCloseFrameData(code, reason); err != nil && code < 4000 {
				c.t.Fatalf("server's close frame is invalid: %v", err)
			}
			return int(code), texts
		default:
			c.t.Fatalf("unexpected opcode %v", h.OpCode)
		}
	}
}

// expectFIN reads on after the close handshake: the server must end the
// TCP connection in order (EOF), not reset it, within timeout.
func (c *rawWS) expectFIN(timeout time.Duration) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	n, err := io.Copy(io.Discard, c.rd)
	if err != nil {
		c.t.Fatalf("after the close: %d more bytes, then %v; want a clean end of stream (FIN)", n, err)
	}
	if n > 0 {
		c.t.Fatalf("%d bytes after the close frame", n)
	}
}

func closeBody(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// TestSlowReaderGetsWholeFramesThenClose: a client that stops reading
// while a room is flooded is cut off with 4001 once its queue is full; when
// it reads again it finds whole frames, then an intact close 4001, then the
// end of the stream (FIN).
func TestSlowReaderGetsWholeFramesThenClose(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t, func(c *serveConfig) {
		c.Hub.QueueLimit = 16
		c.Hub.WriteTimeout = time.Minute // the blocked write waits for the reader, however slow the machine
		c.RateLimits.WritesPerMinute = -1
	})
	slow := f.ts.dialRawWS(t, f.member, 4096)
	sub, _ := json.Marshal(map[string]any{"type": "subscribe", "room": f.room, "since": 0})
	slow.writeFrame(ws.OpText, sub)
	for { // the replay, read at full speed
		_, p, err := slow.readFrame(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(p), `"type":"subscribed"`) {
			break
		}
	}

	// The client reads nothing while four posters flood the room, until
	// the server has cut it off (its queue overflowed).
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text := strings.Repeat("x", 8000)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				f.post(t, f.lead, fmt.Sprintf("%d/%d %s", p, i, text))
			}
		}()
	}
	deadline := time.Now().Add(60 * time.Second)
	for f.ts.metric(t, "einsatzraum_hub_queue_drops_total") < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the server did not cut off the client that reads nothing")
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	code, texts := slow.untilClose(30 * time.Second)
	if code != web.CloseCode(einsatzraum.CloseSlow) {
		t.Fatalf("slow reader closed with %d after %d frames, want %d", code, texts, web.CloseCode(einsatzraum.CloseSlow))
	}
	slow.expectFIN(5 * time.Second)
}

// metric reads one counter or gauge without labels from /metrics.
func (ts *testServer) metric(t *testing.T, name string) float64 {
	t.Helper()
	req, _ := http.NewRequest("GET", ts.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+testMetricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var x float64
			_, _ = fmt.Sscan(v, &x)
			return x
		}
	}
	return 0
}

// TestCloseHandshake: closes the server starts for a client's fault carry
// RFC 6455's code, wait for the client's answer and end with FIN; the
// client's own close is echoed with its code.
func TestCloseHandshake(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t, func(c *serveConfig) { c.MaxFrameBytes = 1024 })
	cases := []struct {
		name  string
		send  func(c *rawWS)
		want  int
		reply bool // the client answers the server's close
	}{
		{"client close 1000 echoed", func(c *rawWS) { c.writeFrame(ws.OpClose, closeBody(1000, "bye")) }, 1000, false},
		{"client close 4321 echoed", func(c *rawWS) { c.writeFrame(ws.OpClose, closeBody(4321, "")) }, 4321, false},
		{"close code 1005 refused", func(c *rawWS) { c.writeFrame(ws.OpClose, closeBody(1005, "")) }, 1002, false},
		{"close code 5000 refused", func(c *rawWS) { c.writeFrame(ws.OpClose, closeBody(5000, "")) }, 1002, false},
		{"one-byte close refused", func(c *rawWS) { c.writeFrame(ws.OpClose, []byte{3}) }, 1002, false},
		{"text not UTF-8", func(c *rawWS) { c.writeFrame(ws.OpText, []byte{0xff, 0xfe}) }, 1007, true},
		{"message too big", func(c *rawWS) { c.writeFrame(ws.OpText, []byte(strings.Repeat("x", 4096))) }, 1009, true},
		{"unmasked frame", func(c *rawWS) { _ = ws.WriteFrame(c.conn, ws.NewTextFrame([]byte("{}"))) }, 1002, true},
		{"reserved opcode", func(c *rawWS) { c.writeFrame(0x3, nil) }, 1002, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := f.ts.dialRawWS(t, f.member, 0)
			tc.send(c)
			start := time.Now()
			if code, _ := c.untilClose(5 * time.Second); code != tc.want {
				t.Fatalf("close code %d, want %d", code, tc.want)
			}
			if tc.reply {
				c.writeFrame(ws.OpClose, closeBody(uint16(tc.want), ""))
			}
			c.expectFIN(5 * time.Second)
			if d := time.Since(start); tc.reply && d > time.Second && tc.name != "unmasked frame" && tc.name != "reserved opcode" {
				t.Errorf("the server took %v to end the connection after the client's close answer", d)
			}
		})
	}
}
