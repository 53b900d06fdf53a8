package web

import (
	"errors"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// LiveConfig tunes the WebSocket endpoint.
type LiveConfig struct {
	// Hub delivers the events; without it /api/v1/ws is not served.
	Hub *einsatzraum.Hub
	// MaxFrameBytes bounds a client frame; larger ones close the socket
	// with 1009. Default 64 KiB.
	MaxFrameBytes int64
	// PongWait is how long a silent socket lives; the hub pings more often.
	// Default 60s.
	PongWait time.Duration
}

// liveHandler serves GET /api/v1/ws: after authentication (bearer header
// or access_token) it upgrades the connection, hands the socket to the hub
// and reads client frames until the socket ends. Browsers may only connect
// from the server's own origin.
func liveHandler(cfg LiveConfig) fiber.Handler {
	if cfg.MaxFrameBytes <= 0 {
		cfg.MaxFrameBytes = 64 << 10
	}
	if cfg.PongWait <= 0 {
		cfg.PongWait = 60 * time.Second
	}
	upgrader := websocket.FastHTTPUpgrader{
		ReadBufferSize: 1024, WriteBufferSize: 4096, WriteBufferPool: &sync.Pool{},
		HandshakeTimeout: 10 * time.Second,
	}
	return func(c *fiber.Ctx) error {
		if !websocket.FastHTTPIsWebSocketUpgrade(c.Context()) {
			return einsatzraum.Errorf(einsatzraum.KindInvalid, "websocket_required", "this endpoint speaks WebSocket only")
		}
		a := actor(c)
		return upgrader.Upgrade(c.Context(), func(conn *websocket.Conn) { serveSocket(cfg, a, conn) })
	}
}

func serveSocket(cfg LiveConfig, a *einsatzraum.Actor, conn *websocket.Conn) {
	client := cfg.Hub.Connect(a, &socket{conn: conn})
	defer client.Detach()
	conn.SetReadLimit(cfg.MaxFrameBytes)
	_ = conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(cfg.PongWait)) })
	for {
		kind, data, err := conn.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				client.Close(einsatzraum.CloseTooBig, "frame too large")
			}
			return
		}
		_ = conn.SetReadDeadline(time.Now().Add(cfg.PongWait))
		if kind != websocket.TextMessage {
			client.BadFrame("binary_frame", "frames must be JSON text")
			continue
		}
		client.HandleFrame(data)
	}
}

// socket adapts a WebSocket connection to einsatzraum.Socket.
type socket struct {
	conn *websocket.Conn
}

func (s *socket) WriteText(frame []byte, deadline time.Time) error {
	if err := s.conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	return s.conn.WriteMessage(websocket.TextMessage, frame)
}

func (s *socket) Ping(deadline time.Time) error {
	return s.conn.WriteControl(websocket.PingMessage, nil, deadline)
}

// Close sends the close frame and ends the reader one second later (or at
// once when the client answers the close), which closes the connection:
// Fiber closes a hijacked connection only when its handler returns.
func (s *socket) Close(code int, reason string, deadline time.Time) error {
	err := s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), deadline)
	return errors.Join(err, s.conn.SetReadDeadline(time.Now().Add(time.Second)))
}
