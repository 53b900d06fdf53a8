// Package web is the HTTP face of Einsatzraum: the Fiber app with the REST
// handlers of API.md, the WebSocket endpoint, authentication, the mapping of
// domain errors to statuses, operations endpoints and the embedded
// dashboard. Handlers decode, authenticate and call one einsatzraum.Service
// method; they hold no business rules.
package web

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/web/ui"
)

// Config is what the web layer needs.
type Config struct {
	Service *einsatzraum.Service
	Logger  *slog.Logger
	// Registry collects the metrics served at /metrics.
	Registry *prometheus.Registry
	// TLS says the server is reached over HTTPS (adds Strict-Transport-Security).
	TLS bool
	// BodyLimit bounds JSON request bodies in bytes; 0 means 1 MiB.
	BodyLimit int
	// Live configures the WebSocket endpoint.
	Live LiveConfig
	// MaxUpload bounds a file upload (a layer) in bytes; 0 means 512 MiB.
	MaxUpload int64
	// TrustedProxies are the load balancers whose X-Forwarded-For names
	// the client (for the per-address login limit and the audit log).
	TrustedProxies Proxies
	// ReadyChecks are further conditions of /readyz (free disk space).
	ReadyChecks []func(context.Context) error
	// MetricsToken, when set, is the bearer token /metrics asks for;
	// without one /metrics is not served here (see the debug listener).
	MetricsToken string
	// Basemap is the offline street map; zero for none (the dashboard then
	// draws a neutral background with a coordinate grid).
	Basemap Basemap
}

// Server is the Fiber app with its routes.
type Server struct {
	app       *fiber.App
	svc       *einsatzraum.Service
	log       *slog.Logger
	routes    []route
	openapi   []byte
	maxUpload int64
	bodyLimit int
	live      *liveEndpoint // nil without a hub
	proxies   Proxies
	ready     []func(context.Context) error
	basemap   Basemap
}

// New builds the app and registers every route.
func New(cfg Config) *Server {
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = 1 << 20
	}
	if cfg.MaxUpload == 0 {
		cfg.MaxUpload = 512 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	app := fiber.New(fiber.Config{
		AppName:               "einsatzraum",
		BodyLimit:             cfg.BodyLimit,
		StreamRequestBody:     true, // larger bodies (uploads) reach the handler as a stream
		Immutable:             true,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		ErrorHandler:          errorHandler(cfg.Logger),
	})
	s := &Server{app: app, svc: cfg.Service, log: cfg.Logger, maxUpload: cfg.MaxUpload, bodyLimit: cfg.BodyLimit, proxies: cfg.TrustedProxies, ready: cfg.ReadyChecks, basemap: cfg.Basemap}
	app.Use(recoverPanics(cfg.Logger))
	app.Use(requestMetrics(cfg.Registry))
	app.Use(securityHeaders(cfg.TLS))
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", s.readyz)
	if cfg.MetricsToken != "" {
		app.Get("/metrics", requireToken(cfg.MetricsToken), adaptor.HTTPHandler(promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{Registry: cfg.Registry})))
	}
	s.routes = s.apiRoutes()
	for _, r := range s.routes {
		handlers := []fiber.Handler{r.handler}
		switch {
		case r.public:
		case r.method == fiber.MethodGet:
			handlers = []fiber.Handler{s.authenticate, r.handler}
		default:
			handlers = []fiber.Handler{s.authenticate, s.limitWrites, r.handler}
		}
		app.Add(r.method, fiberPath(r.path), handlers...)
	}
	if cfg.Live.Hub != nil {
		// WebSockets leave fasthttp after the handshake; it must not close them.
		app.Server().KeepHijackedConns = true
		s.live = newLiveEndpoint(cfg.Live, cfg.Logger)
		app.Get("/api/v1/ws", s.authenticate, s.live.handler)
	}
	ogc := app.Group("/ogc", s.authenticate)
	ogc.Get("/", s.ogcLanding)
	ogc.Get("/conformance", s.ogcConformance)
	ogc.Get("/collections", s.ogcCollections)
	ogc.Get("/collections/:layer", s.ogcCollectionOne)
	ogc.Get("/collections/:layer/items", s.ogcItems)
	ogc.Get("/collections/:layer/items/:item", s.ogcItem)
	s.openapi = buildOpenAPI(s.routes)
	app.Get("/api/v1/openapi.json", s.openAPI)
	app.Get("/api/v1/config", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"basemap": cfg.Basemap.configured(), "languages": []string{"de", "en"}})
	})
	app.Use("/api", func(c *fiber.Ctx) error {
		return einsatzraum.Errorf(einsatzraum.KindNotFound, "no_such_endpoint", "no endpoint %s %s", c.Method(), c.Path())
	})
	app.Get("/basemap.pmtiles", servePMTiles(cfg.Basemap.PMTiles))
	app.Get("/*", serveUI(ui.Files(), ui.Built()))
	return s
}

// App returns the Fiber app, to listen or to test.
func (s *Server) App() *fiber.App { return s.app }

// Shutdown stops accepting connections and waits for in-flight requests to
// finish until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.app.ShutdownWithContext(ctx)
	if s.live != nil {
		s.live.stop()
	}
	return err
}

func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	err := s.svc.Ready(ctx)
	for _, check := range s.ready {
		if err == nil {
			err = check(ctx)
		}
	}
	if err != nil {
		s.log.Warn("not ready", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "reason": err.Error()})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

// fiberPath turns "/rooms/{room}" into Fiber's "/rooms/:room".
func fiberPath(p string) string { return pathParam.ReplaceAllString(p, ":$1") }

// requestMetrics counts requests and their latency by route and status.
func requestMetrics(reg prometheus.Registerer) fiber.Handler {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "einsatzraum_http_requests_total", Help: "HTTP requests by method, route and status.",
	}, []string{"method", "route", "status"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "einsatzraum_http_request_seconds", Help: "HTTP request latency by method and route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"method", "route"})
	reg.MustRegister(requests, latency)
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			if de := einsatzraum.AsError(err); de != nil {
				status = statusOf(de.Kind)
			} else if fe, ok := err.(*fiber.Error); ok {
				status = fe.Code
			} else {
				status = fiber.StatusInternalServerError
			}
		}
		route := c.Route().Path
		if status == fiber.StatusNotFound && route == "/api" {
			route = "unmatched"
		}
		requests.WithLabelValues(c.Method(), route, strconv.Itoa(status)).Inc()
		latency.WithLabelValues(c.Method(), route).Observe(time.Since(start).Seconds())
		return err
	}
}

// requireToken lets through requests that carry token as their bearer
// token (compared in constant time); others get 401.
func requireToken(token string) fiber.Handler {
	want := []byte(token)
	return func(c *fiber.Ctx) error {
		if subtle.ConstantTimeCompare([]byte(headerToken(c)), want) != 1 {
			return einsatzraum.Errorf(einsatzraum.KindUnauthorized, "metrics_token", "/metrics needs the metrics bearer token")
		}
		return c.Next()
	}
}
