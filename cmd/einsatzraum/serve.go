package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/bus"
	"github.com/einsatzraum/einsatzraum/einsatzraum/cot"
	"github.com/einsatzraum/einsatzraum/layers"
	"github.com/einsatzraum/einsatzraum/web"
)

// serveConfig is the configuration of "einsatzraum serve".
type serveConfig struct {
	Listen          string
	DataDir         string
	Store           string
	Redis           string
	RedisPrefix     string
	EmailDomains    []string
	Demo            bool
	LogLevel        string
	ShutdownTimeout time.Duration
	Hub             einsatzraum.HubConfig
	MaxFrameBytes   int64
	PongWait        time.Duration
	LayerRefresh    time.Duration
	MaxUpload       int64
	MasterKeyFile   string
	Basemap         string
	Limits          chat.Limits
	getenv          func(string) string
	clock           einsatzraum.Clock // the service clock; nil: the wall clock (tests move it)
	Map             einsatzraum.MapConfig
	RateLimits      einsatzraum.RateLimits
	Retention       einsatzraum.Retention
	TokenIdle       time.Duration
	DeviceApproval  bool
	TLSCert, TLSKey string
	DebugListen     string
	MetricsToken    string
	TrustedProxies  web.Proxies
	CoT             cotConfig
	Identity        identityConfig
}

func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	cfg := serveConfig{}
	domains, proxies := listFlag{}, listFlag{}
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&cfg.DataDir, "data", "./data", "data directory (SQLite file, keys, files)")
	fs.StringVar(&cfg.Store, "store", "", "store DSN; empty: the SQLite file in --data")
	fs.StringVar(&cfg.Redis, "redis", "", "Redis URL for fan-out between nodes (redis://host:6379/0); empty: in-process")
	fs.StringVar(&cfg.RedisPrefix, "redis-prefix", "einsatzraum", "prefix of every Redis channel and key of this deployment")
	fs.Var(&domains, "email-domains", "official email domains, comma separated (default polizei.example)")
	fs.BoolVar(&cfg.Demo, "demo", false, "seed the demo room, users and data")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "debug, info, warn or error")
	cfg.CoT.flags(fs)
	cfg.Identity.flags(fs)
	fs.StringVar(&cfg.DebugListen, "debug-listen", "", "address for Go's pprof profiles and /metrics (keep it on localhost); empty: off")
	fs.StringVar(&cfg.MetricsToken, "metrics-token", "", "bearer token for /metrics on --listen; empty: /metrics only on --debug-listen")
	fs.Var(&proxies, "trusted-proxies", "load balancers (addresses or CIDR ranges, comma separated) whose X-Forwarded-For names the client")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "how long to drain requests on SIGTERM")
	fs.IntVar(&cfg.Hub.QueueLimit, "ws-queue", 1024, "frames queued per live connection before it is closed as slow (4001)")
	fs.DurationVar(&cfg.Map.StaleAfter, "stale-after", 5*time.Minute, "a position is shown stale after this age")
	fs.DurationVar(&cfg.Map.ExpireAfter, "expire-after", time.Hour, "a position leaves the map after this age")
	fs.IntVar(&cfg.Map.PointsPerMinute, "positions-per-minute", 300, "position points one device may report per minute on all transports, after a burst of 1000 (-1: no limit)")
	fs.DurationVar(&cfg.Map.MaxAge, "position-max-age", 24*time.Hour, "the oldest position point a device may still report (its offline buffer)")
	fs.DurationVar(&cfg.Hub.PositionInterval, "position-interval", 500*time.Millisecond, "coalesced positions frames per room go out this often")
	fs.DurationVar(&cfg.Hub.DeviceCheckInterval, "device-check", 30*time.Second, "how often open connections are checked against devices revoked in the store (a wipe the bus lost)")
	fs.DurationVar(&cfg.LayerRefresh, "layer-refresh", 2*time.Second, "how often to look for layers imported by other processes")
	fs.Int64Var(&cfg.MaxUpload, "max-upload", 512<<20, "largest upload (layer or file) in bytes")
	fs.StringVar(&cfg.Basemap, "basemap", "", "the offline basemap: an MBTiles file made by 'einsatzraum basemap build' (tiles, style and geocoding) or a PMTiles file; empty: a neutral background with a coordinate grid")
	fs.StringVar(&cfg.MasterKeyFile, "master-key-file", "", "file with the base64 master key (default: master.key in --data, created on first start); EINSATZRAUM_MASTER_KEY wins")
	fs.Int64Var(&cfg.Limits.Photo, "max-photo", chat.DefaultLimits.Photo, "largest photo in bytes")
	fs.Int64Var(&cfg.Limits.File, "max-file", chat.DefaultLimits.File, "largest PDF in bytes")
	fs.Int64Var(&cfg.Limits.Audio, "max-audio", chat.DefaultLimits.Audio, "largest audio file in bytes")
	fs.Int64Var(&cfg.Limits.Video, "max-video", chat.DefaultLimits.Video, "largest video in bytes")
	fs.DurationVar(&cfg.TokenIdle, "token-idle", 30*24*time.Hour, "a device token that was not used for this long stops working (0: never)")
	fs.BoolVar(&cfg.DeviceApproval, "device-approval", false, "new devices (but administrators') wait for an administrator's approval before they may read anything")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "certificate file (PEM) to serve HTTPS; with --tls-key")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "private key file (PEM) of --tls-cert")
	fs.DurationVar(&cfg.Retention.Visible, "retention-visible", 7*24*time.Hour, "how long members see messages, files, POIs and tracks")
	fs.DurationVar(&cfg.Retention.Audit, "retention-audit", 90*24*time.Hour, "how long content is kept for auditors before it is deleted for good")
	fs.IntVar(&cfg.RateLimits.LoginFailuresPerAccount, "login-failures", 5, "failed logins of one account from one address within --login-window before each further one doubles that address's wait for the account, 1 s up to --login-window (-1: no brake)")
	fs.IntVar(&cfg.RateLimits.LoginAttemptsPerAddress, "login-per-address", 1000, "logins from one address within --login-window (-1: no limit; a load test from one machine needs that)")
	fs.DurationVar(&cfg.RateLimits.LoginWindow, "login-window", 15*time.Minute, "window of the login limits")
	fs.IntVar(&cfg.RateLimits.WritesPerMinute, "writes-per-minute", 600, "writes (posts, uploads, positions, ...) one user may make per minute (-1: no limit)")
	fs.Int64Var(&cfg.MaxFrameBytes, "ws-max-frame", 64<<10, "largest client WebSocket frame in bytes (larger: close 1009)")
	fs.DurationVar(&cfg.PongWait, "ws-pong-wait", 60*time.Second, "a live connection silent this long (no frame, no pong to the pings) is closed")
	if err := parseFlags(fs, args, getenv); err != nil {
		return cfg, err
	}
	if len(domains) == 0 {
		domains = listFlag{"polizei.example"}
	}
	cfg.EmailDomains = domains
	var err error
	if cfg.TrustedProxies, err = web.ParseProxies(proxies); err != nil {
		return cfg, fmt.Errorf("--trusted-proxies: %w", err)
	}
	cfg.getenv = getenv
	if cfg.PongWait <= 2*einsatzraum.DefaultPingInterval {
		return cfg, fmt.Errorf("--ws-pong-wait %v: must be longer than two pings (%v)", cfg.PongWait, 2*einsatzraum.DefaultPingInterval)
	}
	return cfg, nil
}

// baseURL is the URL of the web server listening on ln: https with
// --tls-cert or --tls-key.
func (cfg *serveConfig) baseURL(ln net.Listener) string {
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		return "https://" + ln.Addr().String()
	}
	return "http://" + ln.Addr().String()
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServeFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	srv, err := newServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	if cfg.DebugListen != "" {
		go serveDebug(ctx, cfg.DebugListen, srv.metrics, log)
	}
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		ln = tls.NewListener(ln, serverTLS(cert))
	}
	url := cfg.baseURL(ln)
	log.Info("listening", "url", url, "data", cfg.DataDir, "email_domains", cfg.EmailDomains)
	if cfg.Demo {
		acc, err := seedDemo(ctx, srv.svc, cfg.EmailDomains[0], log)
		if err != nil {
			ln.Close()
			return fmt.Errorf("seed demo: %w", err)
		}
		ext, err := readDemoExtract(ctx)
		if err != nil {
			ln.Close()
			return fmt.Errorf("demo extract: %w", err)
		}
		if err := seedDemoLayers(ctx, srv.svc, ext, log); err != nil {
			ln.Close()
			return fmt.Errorf("seed demo layers: %w", err)
		}
		go simulatePatrols(ctx, srv.svc, acc.actors, demoRoutes(ext), 2*time.Second, log)
		fmt.Fprintf(stdout, "\nEinsatzraum demo is running.\n  Open:     %s/\n  Email:    %s\n  Password: %s\n\n", url, acc.login.Email, acc.login.Password)
	}
	return srv.Serve(ctx, ln)
}

// server is a wired Einsatzraum node: store, service and web app.
type server struct {
	metrics http.Handler // the Prometheus registry's page, for the debug listener
	cfg     serveConfig
	log     *slog.Logger
	store   einsatzraum.Store
	bus     einsatzraum.Bus
	svc     *einsatzraum.Service
	hub     *einsatzraum.Hub
	web     *web.Server

	layers    *layers.Catalog
	basemap   servedBasemap
	stopWatch context.CancelFunc

	cot       *cot.Gateway // nil without --cot-listen
	cotLn     net.Listener
	publicURL string // set by Serve before the gateway starts
}

// newServer opens the store and wires the service and the web app.
func newServer(ctx context.Context, cfg serveConfig, log *slog.Logger) (*server, error) {
	if cfg.getenv == nil {
		cfg.getenv = func(string) string { return "" }
	}
	basemapFiles, places, err := openBasemap(ctx, cfg.Basemap, log)
	if err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			basemapFiles.Close()
		}
	}()
	store, keys, err := openStoreWithKey(ctx, cfg.getenv, cfg.DataDir, cfg.Store, cfg.MasterKeyFile, log)
	if err != nil {
		return nil, err
	}
	blobs, err := openBlobs(store, cfg.DataDir)
	if err != nil {
		store.Close()
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var b einsatzraum.Bus
	var cluster einsatzraum.Cluster
	var redisBus *bus.Redis
	var limiter einsatzraum.Limiter // nil: counted in this process
	if cfg.Redis != "" {
		bus.RouteRedisLogs(log)
		redisBus, err = bus.NewRedis(ctx, bus.RedisConfig{URL: cfg.Redis, Prefix: cfg.RedisPrefix, Logger: log, Registry: reg})
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("--redis: %w", err)
		}
		b = redisBus
		cluster = einsatzraum.Cluster{Node: redisBus.Node(), Latest: redisBus, Revocations: redisBus}
		limiter = redisBus // limits hold whichever node a request reaches
		log.Info("fan-out over Redis", "node", redisBus.Node(), "prefix", cfg.RedisPrefix)
	} else {
		b = bus.NewMemory()
	}
	ls, ok := store.(layers.Store)
	if !ok {
		b.Close()
		store.Close()
		return nil, errors.New("the store keeps no layers")
	}
	if cfg.LayerRefresh <= 0 {
		cfg.LayerRefresh = 2 * time.Second
	}
	catalog := layers.NewCatalog(ls, log)
	if err := catalog.Refresh(ctx); err != nil {
		b.Close()
		store.Close()
		return nil, fmt.Errorf("load layers: %w", err)
	}
	identity, err := cfg.Identity.open(log, cfg.EmailDomains)
	if err != nil {
		b.Close()
		store.Close()
		return nil, err
	}
	s := &server{}
	svc := einsatzraum.NewService(store, b, einsatzraum.Config{
		Mailer:           identity.mailer,
		Directory:        identity.directory,
		DirectoryRefresh: cfg.Identity.LDAPRefresh,
		RequireTOTP:      identity.requireTOTP,
		PublicURL:        func() string { return s.publicURL },
		Clock:            cfg.clock,
		Layers:           catalog,
		Places:           places,
		EmailDomains:     cfg.EmailDomains,
		Logger:           log,
		Metrics:          einsatzraum.NewMetrics(reg),
		Map:              cfg.Map,
		Files:            einsatzraum.Files{Blobs: blobs, Keys: keys, Limits: cfg.Limits},
		Cluster:          cluster,
		Limiter:          limiter,
		RateLimits:       cfg.RateLimits,
		Retention:        cfg.Retention,
		TokenIdle:        cfg.TokenIdle,
		DeviceApproval:   cfg.DeviceApproval,
	})
	hub, err := einsatzraum.NewHub(ctx, svc, b, cfg.Hub, reg)
	if err != nil {
		b.Close()
		store.Close()
		return nil, err
	}
	if redisBus != nil {
		redisBus.OnReconnect(hub.Resync) // events other nodes published meanwhile come from the store
	}
	svc.Start(ctx)
	wctx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
	go catalog.Watch(wctx, cfg.LayerRefresh)
	w := web.New(web.Config{Service: svc, Logger: log, Registry: reg, TrustedProxies: cfg.TrustedProxies, MetricsToken: cfg.MetricsToken,
		ReadyChecks: []func(context.Context) error{diskSpaceCheck(cfg.DataDir)}, MaxUpload: cfg.MaxUpload, Basemap: basemapFiles.Basemap, TLS: cfg.TLSCert != "",
		Live: web.LiveConfig{Hub: hub, MaxFrameBytes: cfg.MaxFrameBytes, PongWait: cfg.PongWait}})
	*s = server{cfg: cfg, log: log, store: store, bus: b, svc: svc, hub: hub, web: w, layers: catalog, basemap: basemapFiles, stopWatch: stopWatch,
		metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})}
	s.cot, s.cotLn, err = openCoT(cfg.CoT, cfg.Map.StaleAfter, svc, hub, reg, log, func() string { return s.publicURL })
	if err != nil {
		stopWatch()
		svc.Close()
		b.Close()
		store.Close()
		return nil, err
	}
	started = true
	return s, nil
}

// Serve answers requests on ln until ctx ends, then stops accepting and
// drains in-flight requests for up to the shutdown timeout.
func (s *server) Serve(ctx context.Context, ln net.Listener) error {
	s.publicURL = strings.TrimSuffix(s.cfg.CoT.PublicURL, "/") // before any request can read it
	if s.publicURL == "" {
		s.publicURL = s.cfg.baseURL(ln)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.web.App().Listener(steadyListener{Listener: ln, log: s.log}) }()
	cotDone := make(chan struct{})
	if s.cot != nil {
		s.log.Info("CoT gateway for TAK clients", "listen", s.cotLn.Addr().String(), "tls", s.cfg.CoT.Cert != "", "files", s.publicURL)
		go func() {
			defer close(cotDone)
			if err := s.cot.Serve(ctx, steadyListener{Listener: s.cotLn, log: s.log}); err != nil {
				s.log.Error("CoT gateway stopped", "err", err)
			}
		}()
	} else {
		close(cotDone)
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining requests", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.web.Shutdown(sctx)
	<-cotDone        // TAK connections are closed; they reconnect elsewhere
	s.hub.Shutdown() // live connections get 1001 and reconnect elsewhere
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	<-errc
	s.log.Info("stopped")
	return nil
}

// Close stops the service's background work and releases the bus and
// the store.
func (s *server) Close() {
	if s.cotLn != nil {
		s.cotLn.Close() // in case Serve never ran
	}
	s.stopWatch()
	s.svc.Close()
	if err := s.bus.Close(); err != nil {
		s.log.Error("close bus", "err", err)
	}
	if err := s.store.Close(); err != nil {
		s.log.Error("close store", "err", err)
	}
	s.basemap.Close()
}

// serveDebug serves Go's pprof profiles on addr until ctx ends.
func serveDebug(ctx context.Context, addr string, metrics http.Handler, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	log.Info("pprof", "url", "http://"+addr+"/debug/pprof/")
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("debug listener", "err", err)
	}
}

// serverTLS is the TLS configuration of every listener: TLS 1.2 or newer,
// and under TLS 1.2 only forward-secret AEAD suites (no CBC, no SHA-1, no
// static RSA key exchange). TLS 1.3's suites are all AEAD.
func serverTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}
}
