package cot

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// Config wires and tunes the gateway.
type Config struct {
	Service *einsatzraum.Service
	Hub     *einsatzraum.Hub
	Logger  *slog.Logger
	// TLS secures the listener; nil serves plain TCP (only when asked for).
	TLS *tls.Config
	// MaxEventBytes bounds one event; a longer one ends the connection.
	// Default 64 KiB.
	MaxEventBytes int64
	// HandshakeTimeout bounds the TLS handshake and the wait for the first
	// (authenticating) event. Default 10s.
	HandshakeTimeout time.Duration
	// ReadTimeout drops a client silent this long (ATAK sends t-x-c-t
	// pings and its position every few seconds). Default 2 min.
	ReadTimeout time.Duration
	// WriteTimeout bounds one write to a client. Default 10s.
	WriteTimeout time.Duration
	// StaleAfter is when a member's position goes stale unless its reporter
	// said otherwise (the map's setting). Default 5 min.
	StaleAfter time.Duration
	// FileURL turns an attachment and a file link into the URL a TAK client
	// downloads the file from (the web server's /attachments/{id}/shared).
	FileURL func(attachmentID, link string) string
	// LinkTTL is how long a file share's link works. Default 24h.
	LinkTTL time.Duration
	// Registry receives the gateway's metrics; nil keeps them unregistered.
	Registry prometheus.Registerer
	// TeamColor is the ATAK team (__group name) room members are shown in
	// on TAK clients' contact lists. Default "Cyan".
	TeamColor string
}

func (c *Config) defaults() {
	if c.MaxEventBytes <= 0 {
		c.MaxEventBytes = 64 << 10
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = 10 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 2 * time.Minute
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = 5 * time.Minute
	}
	if c.LinkTTL <= 0 {
		c.LinkTTL = 24 * time.Hour
	}
	if c.TeamColor == "" {
		c.TeamColor = "Cyan"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Gateway accepts TAK clients. Every connection is one goroutine that
// reads the client's events; what the room sends back goes through the
// hub like any live connection's frames (its queue bound, slow close and
// writer goroutine included).
type Gateway struct {
	cfg     Config
	log     *slog.Logger
	metrics gatewayMetrics
	codec   *einsatzraum.CodecKey // the shared CoT forms in the hub frames' memos

	// shapeUIDs maps the ID of every drawing sent to its CoT uid, so that
	// its deletion (which names only the ID) reaches TAK clients.
	shapeUIDs sync.Map

	mu       sync.Mutex
	sessions map[*session]struct{}
	wg       sync.WaitGroup
}

type gatewayMetrics struct {
	clients  prometheus.Gauge
	received *prometheus.CounterVec
	sent     prometheus.Counter
	refused  *prometheus.CounterVec
}

// New returns a gateway; Serve runs it.
func New(cfg Config) *Gateway {
	cfg.defaults()
	m := gatewayMetrics{
		clients:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "einsatzraum_cot_clients", Help: "Connected TAK clients."}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "einsatzraum_cot_events_received_total", Help: "CoT events from TAK clients by kind."}, []string{"kind"}),
		sent:     prometheus.NewCounter(prometheus.CounterOpts{Name: "einsatzraum_cot_events_sent_total", Help: "CoT events sent to TAK clients."}),
		refused:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "einsatzraum_cot_connections_refused_total", Help: "TAK connections ended early, by reason."}, []string{"reason"}),
	}
	if cfg.Registry != nil {
		cfg.Registry.MustRegister(m.clients, m.received, m.sent, m.refused)
	}
	return &Gateway{cfg: cfg, log: cfg.Logger, metrics: m, sessions: map[*session]struct{}{}, codec: einsatzraum.NewCodecKey("cot")}
}

// Serve accepts TAK clients on ln until ctx ends or ln fails; then it
// closes ln and every client connection and waits for their goroutines.
// Riding out a passing accept error (out of file descriptors) is the
// listener's job.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var err error
	for {
		var conn net.Conn
		if conn, err = ln.Accept(); err != nil {
			break
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			defer g.recoverConn(conn)
			g.serveConn(ctx, conn)
		}()
	}
	g.mu.Lock()
	for s := range g.sessions {
		s.conn.Close()
	}
	g.mu.Unlock()
	g.wg.Wait()
	if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("cot: accept: %w", err)
}

// recoverConn is deferred by each connection's goroutine: a panic while
// handling a client's bytes is logged and ends that one connection, never
// the process.
func (g *Gateway) recoverConn(conn net.Conn) {
	if r := recover(); r != nil {
		g.log.Error("cot: connection handler panicked; connection closed", "remote", conn.RemoteAddr(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		conn.Close()
	}
}

// serveConn runs one TAK connection: TLS handshake, the authenticating
// first event, then the client's events until it leaves.
func (g *Gateway) serveConn(ctx context.Context, raw net.Conn) {
	defer raw.Close()
	conn := raw
	if g.cfg.TLS != nil {
		tc := tls.Server(raw, g.cfg.TLS)
		hctx, cancel := context.WithTimeout(ctx, g.cfg.HandshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			g.metrics.refused.WithLabelValues("tls_handshake").Inc()
			g.log.Debug("cot: TLS handshake failed", "remote", raw.RemoteAddr(), "err", err)
			return
		}
		conn = tc
	}
	rd := NewReader(conn, g.cfg.MaxEventBytes)
	_ = conn.SetReadDeadline(time.Now().Add(g.cfg.HandshakeTimeout))
	first, auth, err := rd.NextOrAuth()
	if err != nil {
		g.metrics.refused.WithLabelValues("no_first_event").Inc()
		g.log.Info("cot: no first event", "remote", raw.RemoteAddr(), "err", err)
		return
	}
	var s *session
	if auth != nil {
		s, err = g.openWithAuth(ctx, conn, auth)
	} else {
		s, err = g.open(ctx, conn, first)
	}
	if err != nil {
		g.metrics.refused.WithLabelValues("auth").Inc()
		g.log.Warn("cot: client refused", "remote", raw.RemoteAddr(), "err", err)
		return
	}
	g.mu.Lock()
	g.sessions[s] = struct{}{}
	g.mu.Unlock()
	g.metrics.clients.Inc()
	g.log.Info("cot: TAK client joined", "remote", raw.RemoteAddr(), "uid", s.uid, "user", s.actor.User.ID, "room", s.room, "chat", s.chatID())
	defer func() {
		s.client.Detach()
		g.mu.Lock()
		delete(g.sessions, s)
		g.mu.Unlock()
		g.metrics.clients.Dec()
		g.log.Info("cot: TAK client left", "uid", s.uid, "user", s.actor.User.ID)
	}()
	s.start(ctx)
	if first != nil {
		s.handle(ctx, first)
	}
	for {
		_ = conn.SetReadDeadline(time.Now().Add(g.cfg.ReadTimeout))
		ev, err := rd.Next()
		if err != nil {
			if errors.Is(err, ErrEventTooLarge) || !isEndOfStream(err) {
				g.metrics.refused.WithLabelValues("bad_stream").Inc()
				g.log.Warn("cot: bad stream; connection closed", "uid", s.uid, "err", err)
				s.client.Close(einsatzraum.CloseProtocol)
			}
			return
		}
		s.handle(ctx, ev)
	}
}

// isEndOfStream tells a client that left (EOF, reset, closed, timed out)
// from one that sent garbage.
func isEndOfStream(err error) bool {
	var ne net.Error // resets and timeouts, under TLS too
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.As(err, &ne)
}

// open authenticates the first event's __einsatzraum element and binds
// the client to its room and chat.
func (g *Gateway) open(ctx context.Context, conn net.Conn, first *Event) (*session, error) {
	if first.Detail == nil || first.Detail.Auth == nil {
		return nil, errors.New("the first event carries no <__einsatzraum token room/> detail")
	}
	if first.UID == "" || len(first.UID) > 200 {
		return nil, errors.New("the first event has no usable uid")
	}
	auth := first.Detail.Auth
	a, err := g.cfg.Service.Authenticate(ctx, auth.Token)
	if err != nil {
		return nil, err
	}
	return g.bind(ctx, conn, a, auth.Room, auth.Chat, first.UID)
}

// openWithAuth logs stock ATAK in with its <auth> element: username the
// user's email, password an app password made for this TAK device, which
// names the room the client joins (its GeoChat goes to the user's first
// chat there).
func (g *Gateway) openWithAuth(ctx context.Context, conn net.Conn, auth *TakAuth) (*session, error) {
	if auth.Cot.UID == "" || len(auth.Cot.UID) > 200 {
		return nil, errors.New("the <auth> element has no usable uid")
	}
	address, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
	a, err := g.cfg.Service.AppLogin(ctx, auth.Cot.Username, auth.Cot.Password, address)
	if err != nil {
		return nil, err
	}
	return g.bind(ctx, conn, a, a.Device.Room, "", auth.Cot.UID)
}

// bind joins an authenticated client to its room and chat.
func (g *Gateway) bind(ctx context.Context, conn net.Conn, a *einsatzraum.Actor, roomID, chatID, uid string) (*session, error) {
	svc := g.cfg.Service
	if err := svc.CheckApproved(a); err != nil {
		return nil, err
	}
	if err := svc.CheckScope(a, einsatzraum.UseCoT); err != nil {
		return nil, err
	}
	if a.Device.Room != "" && a.Device.Room != roomID {
		return nil, fmt.Errorf("this app password is for room %s, not %s", a.Device.Room, roomID)
	}
	room, err := svc.Room(ctx, a, roomID)
	if err != nil {
		return nil, err
	}
	chats, err := svc.Chats(ctx, a, room.ID)
	if err != nil {
		return nil, err
	}
	var bound *einsatzraum.Chat
	for i := range chats {
		if chats[i].ID == chatID || (chatID == "" && bound == nil) {
			bound = &chats[i]
		}
	}
	if bound == nil && chatID != "" {
		return nil, fmt.Errorf("chat %q: not one of the user's chats in room %s", chatID, room.ID)
	}
	s := &session{g: g, conn: conn, actor: a, uid: uid, room: room.ID, roomSeq: room.Seq, chat: bound,
		lastPoint: map[string]Point{}}
	s.client = g.cfg.Hub.Connect(a, s)
	return s, nil
}
