package web

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// LiveConfig tunes the WebSocket endpoint.
type LiveConfig struct {
	// Hub delivers the events; without it /api/v1/ws is not served.
	Hub *einsatzraum.Hub
	// MaxFrameBytes bounds a client message; larger ones close the socket
	// with 1009. Default 64 KiB.
	MaxFrameBytes int64
	// PongWait is how long a silent socket lives; the hub pings more often
	// and the client's pongs count as traffic. Default 60s.
	PongWait time.Duration
}

// liveEndpoint serves GET /api/v1/ws. It speaks RFC 6455 itself so that an
// idle connection costs little: after the handshake the socket leaves
// fasthttp (its request state is released), plain TCP sockets wait in one
// epoll set without a goroutine, and a goroutine reads a socket only while
// it has bytes (TLS sockets, and every socket off Linux, keep a reader
// goroutine each). A sweeper closes sockets silent for longer than PongWait.
type liveEndpoint struct {
	cfg  LiveConfig
	log  *slog.Logger
	poll *readPoller // nil: a reader goroutine per socket
	bufs sync.Pool   // *[]byte read buffers, lent to a reader while it reads

	mu    sync.Mutex
	conns map[*wsConn]struct{}
	stopC chan struct{}
	done  chan struct{}
}

// readBufferSize is what one non-blocking read takes at most.
const readBufferSize = 16 << 10

func newLiveEndpoint(cfg LiveConfig, log *slog.Logger) *liveEndpoint {
	if cfg.MaxFrameBytes <= 0 {
		cfg.MaxFrameBytes = 64 << 10
	}
	if cfg.PongWait <= 0 {
		cfg.PongWait = 60 * time.Second
	}
	e := &liveEndpoint{cfg: cfg, log: log, conns: map[*wsConn]struct{}{}, stopC: make(chan struct{}), done: make(chan struct{})}
	e.bufs.New = func() any { b := make([]byte, readBufferSize); return &b }
	p, err := newReadPoller(log)
	if err != nil {
		log.Info("live: sockets are read by a goroutine each", "reason", err)
	} else {
		e.poll = p
	}
	go e.sweep()
	return e
}

// stop ends the sweeper and the poller. Open sockets stay open for the
// hub to close.
func (e *liveEndpoint) stop() {
	close(e.stopC)
	<-e.done
	if e.poll != nil {
		e.poll.stop()
	}
}

// handler upgrades an authenticated request (bearer header or
// access_token) to a WebSocket and hands the socket to the hub. Browsers
// may only connect from the server's own origin.
func (e *liveEndpoint) handler(c *fiber.Ctx) error {
	if !headerHasToken(c.Get(fiber.HeaderConnection), "upgrade") || !strings.EqualFold(c.Get(fiber.HeaderUpgrade), "websocket") {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "websocket_required", "this endpoint speaks WebSocket only")
	}
	if c.Get("Sec-WebSocket-Version") != "13" {
		c.Set("Sec-WebSocket-Version", "13")
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "websocket_version", "this endpoint speaks WebSocket version 13")
	}
	key := c.Get("Sec-WebSocket-Key")
	if k, err := base64.StdEncoding.DecodeString(key); err != nil || len(k) != 16 {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "websocket_key", "Sec-WebSocket-Key must be 16 bytes in base64")
	}
	if !sameOrigin(c.Get(fiber.HeaderOrigin), string(c.Request().Host())) {
		return einsatzraum.Errorf(einsatzraum.KindForbidden, "cross_origin", "WebSocket connections are accepted from this server's own pages only")
	}
	a := actor(c)
	conn := c.Context().Conn()
	c.Status(fiber.StatusSwitchingProtocols)
	c.Set(fiber.HeaderUpgrade, "websocket")
	c.Set(fiber.HeaderConnection, "Upgrade")
	c.Set("Sec-WebSocket-Accept", acceptKey(key))
	// fasthttp writes the 101 response, then calls this in a goroutine of
	// its own; the server keeps hijacked connections open
	// (KeepHijackedConns) and releases its request state when it returns.
	// The socket is read from conn itself: a client sends nothing before
	// the 101 (RFC 6455 section 4.1), so fasthttp's reader holds no byte.
	c.Context().Hijack(func(net.Conn) { e.attach(a, conn) })
	return nil
}

// attach hands a fresh WebSocket to the hub and starts reading it.
func (e *liveEndpoint) attach(a *einsatzraum.Actor, conn net.Conn) {
	_ = conn.SetDeadline(time.Time{})
	ws := &wsConn{ep: e, conn: conn, reader: frameReader{limit: int(e.cfg.MaxFrameBytes)}}
	if tcp, ok := conn.(*net.TCPConn); ok && e.poll != nil {
		ws.raw, _ = tcp.SyscallConn()
	}
	ws.lastRead.Store(time.Now().UnixNano())
	ws.client = e.cfg.Hub.Connect(a, ws)
	e.mu.Lock()
	e.conns[ws] = struct{}{}
	e.mu.Unlock()
	if ws.raw != nil {
		err := e.poll.add(ws)
		if err == nil {
			return
		}
		e.log.Warn("live: socket read by a goroutine", "err", err)
	}
	go ws.readLoop()
}

// sweep closes sockets that sent nothing, not even a pong, for PongWait.
func (e *liveEndpoint) sweep() {
	defer close(e.done)
	t := time.NewTicker(max(e.cfg.PongWait/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-e.stopC:
			return
		case now := <-t.C:
			deadline := now.Add(-e.cfg.PongWait).UnixNano()
			e.mu.Lock()
			var silent []*wsConn
			for ws := range e.conns {
				if ws.lastRead.Load() < deadline {
					silent = append(silent, ws)
				}
			}
			e.mu.Unlock()
			for _, ws := range silent {
				ws.end()
			}
		}
	}
}

// wsConn is one WebSocket: the hub's Socket for writing, and the reader
// that feeds the client's frames to the hub.
type wsConn struct {
	ep     *liveEndpoint
	conn   net.Conn
	raw    syscall.RawConn // set when the poller reads the socket
	fd     int32           // the socket's descriptor, for the poller
	client *einsatzraum.Client

	reader   frameReader  // used by one reader at a time
	reading  atomic.Bool  // a reader goroutine runs (poller mode)
	lastRead atomic.Int64 // unix nanoseconds of the last bytes read

	wmu        sync.Mutex // one frame written at a time
	header     [10]byte
	closeSent  bool
	closeTimer *time.Timer

	endOnce sync.Once
}

// readReady reads a socket the poller reported readable until it holds
// nothing more, then re-arms it.
func (ws *wsConn) readReady() {
	if !ws.reading.CompareAndSwap(false, true) {
		return
	}
	defer ws.recoverSocket()
	bp := ws.ep.bufs.Get().(*[]byte)
	defer ws.ep.bufs.Put(bp)
	for {
		n, err := readNonblocking(ws.raw, *bp)
		if err != nil && errWouldBlock(err) {
			break
		}
		if n > 0 && !ws.consume((*bp)[:n]) {
			return
		}
		if err != nil || n == 0 {
			ws.end()
			return
		}
	}
	ws.reading.Store(false)
	if err := ws.ep.poll.arm(ws); err != nil {
		ws.end()
	}
}

// readLoop reads a socket the poller does not watch until it ends.
func (ws *wsConn) readLoop() {
	defer ws.recoverSocket()
	buf := make([]byte, 4096)
	for {
		n, err := ws.conn.Read(buf)
		if n > 0 && !ws.consume(buf[:n]) {
			return
		}
		if err != nil {
			ws.end()
			return
		}
	}
}

// consume decodes bytes read from the socket and handles their frames. It
// reports false when the socket is done with reading: closed by the
// client, or a frame broke the protocol (the client is then closed with
// the matching code).
func (ws *wsConn) consume(data []byte) bool {
	ws.lastRead.Store(time.Now().UnixNano())
	more := true
	err := ws.reader.feed(data, func(op byte, payload []byte) bool {
		more = ws.handle(op, payload)
		return more
	})
	var pe *protocolError
	if errors.As(err, &pe) {
		ws.client.Close(pe.code, pe.reason)
		return false
	}
	return more
}

// handle acts on one message or control frame; false ends the reading.
func (ws *wsConn) handle(op byte, payload []byte) bool {
	switch op {
	case opText:
		ws.client.HandleFrame(payload)
	case opBinary:
		ws.client.BadFrame("binary_frame", "frames must be JSON text")
	case opPing:
		_ = ws.writeFrame(opPong, payload, time.Now().Add(time.Second))
	case opPong: // the read itself kept the socket alive
	case opClose:
		code := einsatzraum.CloseNormal
		if len(payload) >= 2 {
			code = int(binary.BigEndian.Uint16(payload))
		}
		ws.answerClose(code)
		return false
	}
	return true
}

// answerClose answers the client's close frame (unless ours went first)
// and ends the connection.
func (ws *wsConn) answerClose(code int) {
	_ = ws.Close(code, "", time.Now().Add(time.Second))
	ws.end()
}

// end closes the socket once and detaches the client from the hub.
func (ws *wsConn) end() {
	ws.endOnce.Do(func() {
		ws.ep.mu.Lock()
		delete(ws.ep.conns, ws)
		ws.ep.mu.Unlock()
		if ws.raw != nil {
			ws.ep.poll.remove(ws)
		}
		ws.wmu.Lock()
		if ws.closeTimer != nil {
			ws.closeTimer.Stop()
		}
		ws.wmu.Unlock()
		_ = ws.conn.Close()
		go ws.client.Detach()
	})
}

// WriteText implements einsatzraum.Socket.
func (ws *wsConn) WriteText(frame []byte, deadline time.Time) error {
	return ws.writeFrame(opText, frame, deadline)
}

// Ping implements einsatzraum.Socket.
func (ws *wsConn) Ping(deadline time.Time) error { return ws.writeFrame(opPing, nil, deadline) }

// Close implements einsatzraum.Socket: it sends the close frame and closes
// the connection when the client answers it, or one second later.
func (ws *wsConn) Close(code int, reason string, deadline time.Time) error {
	ws.wmu.Lock()
	defer ws.wmu.Unlock()
	if ws.closeSent {
		return nil
	}
	ws.closeSent = true
	ws.closeTimer = time.AfterFunc(time.Second, ws.end)
	return ws.writeLocked(opClose, closePayload(code, reason), deadline)
}

func (ws *wsConn) writeFrame(op byte, payload []byte, deadline time.Time) error {
	ws.wmu.Lock()
	defer ws.wmu.Unlock()
	if ws.closeSent {
		return net.ErrClosed
	}
	return ws.writeLocked(op, payload, deadline)
}

// writeLocked writes one unmasked frame with a single system call where
// the connection allows (writev). The caller holds wmu.
func (ws *wsConn) writeLocked(op byte, payload []byte, deadline time.Time) error {
	if err := ws.conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	bufs := net.Buffers{appendFrameHeader(ws.header[:0], op, len(payload)), payload}
	_, err := bufs.WriteTo(ws.conn)
	return err
}

// acceptKey is the Sec-WebSocket-Accept answer to a client's key.
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// headerHasToken reports whether a comma-separated header holds token.
func headerHasToken(header, token string) bool {
	for _, t := range strings.Split(header, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

// sameOrigin accepts requests without an Origin (not from a browser) and
// those whose Origin names the host they were sent to.
func sameOrigin(origin, host string) bool {
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, host)
}

var _ einsatzraum.Socket = (*wsConn)(nil)
