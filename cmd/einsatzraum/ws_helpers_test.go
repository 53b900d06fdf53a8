package main

import (
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// wsClient is a test's live connection. A reader goroutine feeds frames
// to a channel, so that waiting with a timeout does not break the socket.
type wsClient struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan []byte
	err    error         // why the reader stopped; read after frames is closed
	pause  time.Duration // closeCode waits this long after each frame: a slow reader
}

func newWSClient(t *testing.T, conn *websocket.Conn, buffer int) *wsClient {
	c := &wsClient{t: t, conn: conn, frames: make(chan []byte, buffer)}
	go func() {
		defer close(c.frames)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				c.err = err
				return
			}
			c.frames <- data
		}
	}()
	return c
}

// dialWS opens /api/v1/ws with the token in access_token. rcvBuf > 0 sets
// a small kernel receive buffer, to make a slow reader.
func (ts *testServer) dialWS(t *testing.T, token string, rcvBuf int) *wsClient {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	if rcvBuf > 0 {
		nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf) })
			return errors.Join(err, serr)
		}}
		d.NetDial = nd.Dial
	}
	u := "ws" + strings.TrimPrefix(ts.URL, "http") + "/api/v1/ws?access_token=" + url.QueryEscape(token)
	conn, resp, err := d.Dial(u, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial ws: %v (status %d)", err, status)
	}
	t.Cleanup(func() { conn.Close() })
	buffer := 10000
	if rcvBuf > 0 {
		buffer = 0 // a slow reader: read only when asked
	}
	return newWSClient(t, conn, buffer)
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatalf("ws send: %v", err)
	}
}

func (c *wsClient) subscribe(room string, since int64) {
	c.send(map[string]any{"type": "subscribe", "room": room, "since": since})
}

// frame is a decoded server frame.
type frame struct {
	Type  string         `json:"type"`
	Room  string         `json:"room"`
	Seq   int64          `json:"seq"`
	Event map[string]any `json:"event"`
	Error struct {
		Code string `json:"code"`
	} `json:"error"`
	Items   []any    `json:"items"`
	Removed []string `json:"removed"`
}

func (f frame) items() []map[string]any {
	out := make([]map[string]any, len(f.Items))
	for i, x := range f.Items {
		out[i], _ = x.(map[string]any)
	}
	return out
}

// read returns the next frame, or the error that ended the connection.
func (c *wsClient) read(timeout time.Duration) (frame, error) {
	var data []byte
	select {
	case d, ok := <-c.frames:
		if !ok {
			return frame{}, c.err
		}
		data = d
	case <-time.After(timeout):
		return frame{}, errTimeout
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		c.t.Fatalf("server sent a non-JSON frame: %q", data)
	}
	return f, nil
}

// next returns the next frame or fails the test.
func (c *wsClient) next() frame {
	c.t.Helper()
	f, err := c.read(5 * time.Second)
	if err != nil {
		c.t.Fatalf("ws read: %v", err)
	}
	return f
}

// nextOf returns the next frame of type typ, skipping others.
func (c *wsClient) nextOf(typ string) frame {
	c.t.Helper()
	for {
		if f := c.next(); f.Type == typ {
			return f
		}
	}
}

// untilSubscribed collects event frames until the "subscribed" frame.
func (c *wsClient) untilSubscribed() []frame {
	c.t.Helper()
	var evs []frame
	for {
		f := c.next()
		switch f.Type {
		case "subscribed":
			return evs
		case "event":
			evs = append(evs, f)
		case "error":
			c.t.Fatalf("error frame while subscribing: %s", f.Error.Code)
		}
	}
}

// expectQuiet fails if a frame arrives within d.
func (c *wsClient) expectQuiet(d time.Duration) {
	c.t.Helper()
	if f, err := c.read(d); err == nil {
		c.t.Fatalf("unexpected frame: %+v", f)
	}
}

// closeCode reads until the connection ends and returns its close code
// (0 when it ended without a close frame).
func (c *wsClient) closeCode(timeout time.Duration) int {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		_, err := c.read(time.Until(deadline))
		if err == nil {
			time.Sleep(c.pause)
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if errors.Is(err, errTimeout) {
			break
		}
		return 0
	}
	c.t.Fatal("connection still open")
	return 0
}

func eventType(f frame) string { s, _ := f.Event["type"].(string); return s }

func messageText(f frame) string {
	m, _ := f.Event["message"].(map[string]any)
	s, _ := m["text"].(string)
	return s
}

var errTimeout = errors.New("no frame in time")

func wsDialer() *websocket.Dialer { return &websocket.Dialer{HandshakeTimeout: 5 * time.Second} }
