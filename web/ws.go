package web

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gobwas/ws"
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
	cfg   LiveConfig
	log   *slog.Logger
	poll  *readPoller           // nil: a reader goroutine per socket
	codec *einsatzraum.CodecKey // the JSON encodings in the frames' memos
	bufs  sync.Pool             // *[]byte read buffers, lent to a reader while it reads

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
	e := &liveEndpoint{cfg: cfg, log: log, codec: einsatzraum.NewCodecKey("json"), conns: map[*wsConn]struct{}{}, stopC: make(chan struct{}), done: make(chan struct{})}
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
// that turns the client's frames into hub commands.
//
// Closing follows RFC 6455 7.1: whoever closes first sends a close frame;
// the other side answers with one; then the server closes the TCP
// connection. A close the server starts waits for the client's answer at
// most closeWait; the socket is read to the end meanwhile, so the
// connection ends with FIN, not RST. A frame is never interleaved with
// another: a write that timed out half-way through a frame leaves the
// stream broken, and then no close frame follows (the connection is cut).
type wsConn struct {
	ep     *liveEndpoint
	conn   net.Conn
	raw    syscall.RawConn // set when the poller reads the socket
	fd     int32           // the socket's descriptor, for the poller
	client *einsatzraum.Client

	reader   frameReader  // used by one reader at a time
	reading  atomic.Bool  // a reader goroutine runs (poller mode)
	lastRead atomic.Int64 // unix nanoseconds of the last bytes read
	closing  atomic.Bool  // a close frame was sent or received: data frames are ignored

	wmu        sync.Mutex // one whole frame written at a time
	header     [ws.MaxHeaderSize]byte
	closeSent  bool // our close frame went out
	broken     bool // a frame was half-written: nothing more may be written
	closeTimer *time.Timer

	endOnce sync.Once
}

// closeWait bounds how long a close the server started waits for the
// client's answer before the connection is cut.
const closeWait = 2 * time.Second

// readReady reads a socket the poller reported readable until it holds
// nothing more, then re-arms it.
func (c *wsConn) readReady() {
	if !c.reading.CompareAndSwap(false, true) {
		return
	}
	defer c.recoverSocket()
	bp := c.ep.bufs.Get().(*[]byte)
	defer c.ep.bufs.Put(bp)
	for {
		n, err := readNonblocking(c.raw, *bp)
		if err != nil && errWouldBlock(err) {
			break
		}
		if n > 0 && !c.consume((*bp)[:n]) {
			return
		}
		if err != nil || n == 0 {
			c.end()
			return
		}
	}
	c.reading.Store(false)
	if err := c.ep.poll.arm(c); err != nil {
		c.end()
	}
}

// readLoop reads a socket the poller does not watch until it ends.
func (c *wsConn) readLoop() {
	defer c.recoverSocket()
	buf := make([]byte, 4096)
	for {
		n, err := c.conn.Read(buf)
		if n > 0 && !c.consume(buf[:n]) {
			return
		}
		if err != nil {
			c.end()
			return
		}
	}
}

// consume decodes bytes read from the socket and handles their frames. It
// reports false once the connection ended. A frame that breaks the
// protocol closes the connection with the matching code at once; the
// frames after it (the client's close answer) are still read.
func (c *wsConn) consume(data []byte) bool {
	c.lastRead.Store(time.Now().UnixNano())
	more := true
	_ = c.reader.feed(data, func(op ws.OpCode, payload []byte) bool {
		more = c.handle(op, payload)
		return more
	}, func(pe *protocolError) {
		c.closing.Store(true)
		c.client.Close(pe.reason)
	})
	return more
}

// handle acts on one message or control frame; false ends the reading.
func (c *wsConn) handle(op ws.OpCode, payload []byte) bool {
	switch op {
	case ws.OpClose:
		return c.closeReceived(payload)
	case ws.OpPing:
		if !c.closing.Load() {
			_ = c.writeFrame(ws.OpPong, payload, time.Now().Add(time.Second))
		}
	case ws.OpPong: // the read itself kept the socket alive
	case ws.OpText:
		if !c.closing.Load() {
			handleClientText(c.client, payload)
		}
	case ws.OpBinary:
		if !c.closing.Load() {
			c.client.BadFrame("", "binary_frame", "frames must be JSON text")
		}
	}
	return true
}

// closeReceived handles the client's close frame: the answer to ours, or
// the client's own close, which is validated and echoed (an invalid one
// fails the connection with 1002 or 1007). Either way the server then
// closes the TCP connection.
func (c *wsConn) closeReceived(payload []byte) bool {
	c.closing.Store(true)
	c.wmu.Lock()
	answered := c.closeSent
	c.wmu.Unlock()
	if !answered {
		code, err := parseClientClose(payload)
		var pe *protocolError
		switch {
		case errors.As(err, &pe):
			_ = c.writeClose(closePayload(closeCode(pe.reason), pe.text), time.Now().Add(time.Second))
		case code == 0:
			_ = c.writeClose(nil, time.Now().Add(time.Second))
		default:
			_ = c.writeClose(closePayload(code, ""), time.Now().Add(time.Second))
		}
	}
	c.end()
	return false
}

// end closes the socket once and detaches the client from the hub.
func (c *wsConn) end() {
	c.endOnce.Do(func() {
		c.ep.mu.Lock()
		delete(c.ep.conns, c)
		c.ep.mu.Unlock()
		if c.raw != nil {
			c.ep.poll.remove(c)
		}
		c.wmu.Lock()
		if c.closeTimer != nil {
			c.closeTimer.Stop()
		}
		c.wmu.Unlock()
		_ = c.conn.Close()
		go c.client.Detach()
	})
}

// Write implements einsatzraum.Socket: the frame's JSON (encoded once for
// every socket) as one text frame.
func (c *wsConn) Write(f einsatzraum.Frame, deadline time.Time) error {
	text, err := einsatzraum.Encode(f, c.ep.codec, encodeFrame)
	if err != nil {
		c.ep.log.Error("live: frame not encoded", "frame", fmt.Sprintf("%T", f), "err", err)
		return nil // one frame the codec cannot take must not end the connection
	}
	return c.writeFrame(ws.OpText, text, deadline)
}

// Ping implements einsatzraum.Socket.
func (c *wsConn) Ping(deadline time.Time) error { return c.writeFrame(ws.OpPing, nil, deadline) }

// Close implements einsatzraum.Socket: it sends the close frame for reason
// and waits for the client's answer at most closeWait; a connection whose
// stream is broken is cut at once.
func (c *wsConn) Close(reason einsatzraum.CloseReason, deadline time.Time) error {
	c.closing.Store(true)
	err := c.writeClose(closePayload(closeCode(reason), reason.String()), deadline)
	c.wmu.Lock()
	waiting := c.closeSent && !c.broken && err == nil
	if waiting && c.closeTimer == nil {
		c.closeTimer = time.AfterFunc(closeWait, c.end)
	}
	c.wmu.Unlock()
	if !waiting {
		c.end()
	}
	return err
}

// writeClose writes a close frame once, unless the stream is broken.
func (c *wsConn) writeClose(payload []byte, deadline time.Time) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return nil
	}
	if c.broken {
		return net.ErrClosed
	}
	c.closeSent = true
	return c.writeLocked(ws.OpClose, payload, deadline)
}

func (c *wsConn) writeFrame(op ws.OpCode, payload []byte, deadline time.Time) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent || c.broken {
		return net.ErrClosed
	}
	return c.writeLocked(op, payload, deadline)
}

// writeLocked writes one unmasked frame with a single system call where
// the connection allows (writev). A write that fails after part of the
// frame went out breaks the stream for good. The caller holds wmu.
func (c *wsConn) writeLocked(op ws.OpCode, payload []byte, deadline time.Time) error {
	if err := c.conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	head := appendFrameHeader(c.header[:0], op, len(payload))
	bufs := net.Buffers{head, payload}
	n, err := bufs.WriteTo(c.conn)
	if err != nil && n > 0 {
		c.broken = true
	}
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
