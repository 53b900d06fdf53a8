package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/valyala/fasthttp"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/layers"
)

// "einsatzraum bench" measures the request path in one command: it starts
// a server of its own in this process (SQLite in a temporary directory, or
// --store for PostgreSQL), makes users and a room, and drives it over
// HTTP and WebSocket from this machine with keep-alive clients, then
// prints one table. The figures are the goals; they depend on the
// machine (the client shares its cores with the server).

type benchConfig struct {
	Store    string
	Duration time.Duration
	Conns    int
	Users    int
	Posters  int
	Rooms    int // the posters post in this many rooms (round robin)
	Only     string
	Profile  string
}

type benchResult struct {
	name, value, goal string
	met               bool
	reference         bool // a figure to read others by, with no goal of its own
}

func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg benchConfig
	fs := newFlagSet("bench", stderr)
	fs.StringVar(&cfg.Store, "store", "", "PostgreSQL DSN for the durable posts (default: SQLite in a temporary directory)")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Second, "how long each measurement runs")
	fs.IntVar(&cfg.Conns, "conns", 50, "keep-alive connections of the HTTP and WebSocket clients")
	fs.IntVar(&cfg.Users, "users", 200, "users reporting positions (each its own device)")
	fs.IntVar(&cfg.Posters, "posters", 64, "concurrent posters of durable messages")
	fs.IntVar(&cfg.Rooms, "post-rooms", 1, "rooms the posters post in, round robin (1: all in one chat, each post waits for the room's sequence number)")
	fs.StringVar(&cfg.Only, "only", "", "run one measurement: positions, floor, batch, ws, bbox, posts, tiles")
	fs.StringVar(&cfg.Profile, "cpuprofile", "", "write a CPU profile of the whole run (server and client) to this file")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "einsatzraum-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	scfg := serveConfig{Listen: "127.0.0.1:0", DataDir: dir, Store: cfg.Store, EmailDomains: []string{"polizei.example"},
		ShutdownTimeout: 5 * time.Second, getenv: func(k string) string {
			if k == "EINSATZRAUM_MASTER_KEY" && getenv(k) == "" && cfg.Store != "" {
				return benchKey // a shared store wants a key from outside
			}
			return getenv(k)
		}}
	scfg.Map.PointsPerMinute = -1
	scfg.RateLimits = einsatzraum.RateLimits{WritesPerMinute: -1, LoginAttemptsPerAddress: -1, LoginFailuresPerAccount: -1}
	srv, err := newServer(ctx, scfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", scfg.Listen)
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	defer func() { stop(); <-done }()
	addr := ln.Addr().String()
	fmt.Fprintf(stderr, "bench: server on %s (%s), %d users, %v per measurement\n", addr, storeName(cfg.Store), cfg.Users, cfg.Duration)

	b := &bench{cfg: cfg, svc: srv.svc, addr: addr, client: newBenchClient(addr, cfg.Conns)}
	if err := b.seed(ctx); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if cfg.Profile != "" {
		f, err := os.Create(cfg.Profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var results []benchResult
	steps := []struct {
		name string
		run  func(context.Context) (benchResult, error)
	}{
		{"positions", b.positions(1)}, {"floor", b.httpFloor}, {"batch", b.positions(20)}, {"ws", b.wsPositions}, {"bbox", b.bbox}, {"posts", b.posts}, {"tiles", b.tiles},
	}
	for _, st := range steps {
		if cfg.Only != "" && cfg.Only != st.name {
			continue
		}
		fmt.Fprintf(stderr, "bench: %s ...\n", st.name)
		r, err := st.run(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		results = append(results, r)
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "measurement\tfigure\tgoal\tmet")
	for _, r := range results {
		met := "no"
		switch {
		case r.reference:
			met = "-"
		case r.met:
			met = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.name, r.value, r.goal, met)
	}
	return tw.Flush()
}

// newBenchClient is the keep-alive HTTP client of the measurements.
func newBenchClient(addr string, conns int) *fasthttp.HostClient {
	return &fasthttp.HostClient{Addr: addr, MaxConns: conns * 2, ReadTimeout: 10 * time.Second}
}

func storeName(dsn string) string {
	if dsn == "" {
		return "SQLite"
	}
	return "PostgreSQL"
}

type bench struct {
	cfg    benchConfig
	svc    *einsatzraum.Service
	addr   string
	client *fasthttp.HostClient
	tokens []string
	ids    []string // the users, as tokens
	room   string
	chat   string
}

// seed makes the users (each logged in once: its own device), one room
// with all of them and a chat "Lage".
func (b *bench) seed(ctx context.Context) error {
	lead, err := b.svc.CreateUser(ctx, nil, einsatzraum.NewUser{Email: "lead@polizei.example", Name: "Lea", Callsign: "Fuchs 1/1", Password: benchPassword})
	if err != nil {
		return err
	}
	la := &einsatzraum.Actor{User: lead}
	room, err := b.svc.CreateRoom(ctx, la, "Bench", "")
	if err != nil {
		return err
	}
	b.room = room.ID
	var ids []string
	for i := range b.cfg.Users {
		u, err := b.svc.CreateUser(ctx, nil, einsatzraum.NewUser{Email: fmt.Sprintf("o%d@polizei.example", i), Name: fmt.Sprintf("Officer %d", i),
			Callsign: fmt.Sprintf("Fuchs %d/%d", 20+i/4, 1+i%4), Password: benchPassword})
		if err != nil {
			return err
		}
		if _, err := b.svc.PutMember(ctx, la, b.room, u.ID, einsatzraum.RoleMember); err != nil {
			return err
		}
		res, err := b.svc.Login(ctx, einsatzraum.LoginInput{Email: u.Email, Password: benchPassword, DeviceName: "bench"}, "127.0.0.1")
		if err != nil {
			return err
		}
		b.tokens = append(b.tokens, res.Token)
		ids = append(ids, u.ID)
	}
	c, err := b.svc.CreateChat(ctx, la, b.room, "Lage", ids)
	if err != nil {
		return err
	}
	b.chat, b.ids = c.ID, ids
	return nil
}

const benchPassword = "bench-password-123"

// benchKey is the master key of a bench run on a shared store (a fresh
// schema of its own; the data is thrown away).
var benchKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

// load runs fn on conns workers for the duration and returns how many
// calls succeeded and their latencies.
func (b *bench) load(ctx context.Context, workers int, fn func(worker, i int) error) (n int64, lat []time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	var count atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; ctx.Err() == nil; i++ {
				start := time.Now()
				if err := fn(w, i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(start))
				count.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return count.Load(), lat, firstErr
}

// do sends one request and checks its status.
func (b *bench) do(method, path, token string, body []byte, want int) error {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	req.SetRequestURI("http://" + b.addr + path)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBody(body)
	}
	if err := b.client.Do(req, resp); err != nil {
		return err
	}
	if resp.StatusCode() != want {
		return fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode(), resp.Body())
	}
	return nil
}

func percentile(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return lat[min(len(lat)-1, int(float64(len(lat))*p))]
}

// around is a point near Bayreuth, spread over about 10 km.
func around(r *rand.Rand) (lat, lon float64) { return 49.95 + r.Float64()*0.1, 11.5 + r.Float64()*0.14 }

// appendPositionsBody appends a report of per points near Bayreuth, their
// timestamps a millisecond apart up to now, as a field client sends it.
func appendPositionsBody(b []byte, r *rand.Rand, per int, now time.Time) []byte {
	b = append(b, `{"items":[`...)
	for k := range per {
		la, lo := around(r)
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"lat":`...)
		b = strconv.AppendFloat(b, la, 'f', 6, 64)
		b = append(b, `,"lon":`...)
		b = strconv.AppendFloat(b, lo, 'f', 6, 64)
		b = append(b, `,"accuracy_m":5,"ts":"`...)
		b = now.Add(time.Duration(k-per)*time.Millisecond).AppendFormat(b, time.RFC3339Nano)
		b = append(b, `"}`...)
	}
	return append(b, "]}"...)
}

// positions reports batches of per points over HTTP, one request each.
func (b *bench) positions(per int) func(context.Context) (benchResult, error) {
	return func(ctx context.Context) (benchResult, error) {
		bodies := make([][]byte, b.cfg.Conns) // one buffer per worker: the client's cost stays small
		n, lat, err := b.load(ctx, b.cfg.Conns, func(w, i int) error {
			r := rand.New(rand.NewPCG(uint64(w), uint64(i)))
			body := appendPositionsBody(bodies[w][:0], r, per, time.Now().UTC())
			bodies[w] = body
			return b.do("POST", "/api/v1/positions", b.tokens[(w+i*b.cfg.Conns)%len(b.tokens)], body, 202)
		})
		if err != nil {
			return benchResult{}, err
		}
		rate := float64(n*int64(per)) / b.cfg.Duration.Seconds()
		if per == 1 {
			return benchResult{name: "positions over HTTP, one per request", value: fmt.Sprintf("%.0f/s (p99 %v)", rate, percentile(lat, 0.99).Round(time.Microsecond)),
				goal: ">= 75,000/s", met: rate >= 75000}, nil
		}
		return benchResult{name: fmt.Sprintf("positions over HTTP, batches of %d", per), value: fmt.Sprintf("%.0f positions/s", rate),
			goal: ">= 300,000/s", met: rate >= 300000}, nil
	}
}

// httpFloor measures what the HTTP stack alone carries on this machine:
// the same client, connections and one-point bodies as "positions", sent
// to a bare Fiber server (in this process too) whose one handler answers
// 202 {"accepted":1} and does nothing else. No handler of ours can be
// faster than this; it is the ceiling of "positions, one per request".
func (b *bench) httpFloor(ctx context.Context) (benchResult, error) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/api/v1/positions", func(c *fiber.Ctx) error {
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"accepted": 1})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return benchResult{}, err
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	defer func() { _ = app.Shutdown(); <-served }()
	addr := ln.Addr().String()
	floor := &bench{cfg: b.cfg, tokens: b.tokens, addr: addr, client: newBenchClient(addr, b.cfg.Conns)}
	r, err := floor.positions(1)(ctx)
	if err != nil {
		return benchResult{}, err
	}
	return benchResult{name: "the same to an empty Fiber handler (HTTP floor)", value: r.value, goal: "(ceiling of the line above)", reference: true}, nil
}

// wsPositions sends position frames on one socket per connection and
// counts what the server took.
func (b *bench) wsPositions(ctx context.Context) (benchResult, error) {
	before := b.svc.AcceptedPositions()
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, b.cfg.Conns)
	for w := range b.cfg.Conns {
		conn, _, err := websocket.DefaultDialer.Dial("ws://"+b.addr+"/api/v1/ws?access_token="+url.QueryEscape(b.tokens[w%len(b.tokens)]), nil)
		if err != nil {
			return benchResult{}, err
		}
		defer conn.Close()
		go func() { // read and drop what the server sends
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					return
				}
			}
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for ctx.Err() == nil {
				la, lo := around(r)
				frame := fmt.Appendf(nil, `{"type":"position","lat":%.6f,"lon":%.6f,"accuracy_m":5,"ts":%q}`, la, lo, time.Now().UTC().Format(time.RFC3339Nano))
				if err := conn.WriteMessage(websocket.TextMessage, frame); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	start := time.Now()
	wg.Wait()
	// What was sent is taken shortly after: wait until the count settles.
	last := b.svc.AcceptedPositions()
	for {
		time.Sleep(100 * time.Millisecond)
		now := b.svc.AcceptedPositions()
		if now == last {
			break
		}
		last = now
	}
	elapsed := time.Since(start)
	select {
	case err := <-errc:
		return benchResult{}, err
	default:
	}
	rate := float64(last-before) / elapsed.Seconds()
	return benchResult{name: "positions over WebSocket", value: fmt.Sprintf("%.0f/s", rate), goal: ">= 100,000/s", met: rate >= 100000}, nil
}

// bbox asks for the room's positions in a box holding about 20 of them.
func (b *bench) bbox(ctx context.Context) (benchResult, error) {
	// Everyone at a known place: 20 in the box, the rest outside.
	for i, tok := range b.tokens {
		lat, lon := 49.90+float64(i%20)*0.001, 11.50
		if i >= 20 {
			lat, lon = 50.2+float64(i)*0.0001, 11.9
		}
		body := fmt.Appendf(nil, `{"items":[{"lat":%f,"lon":%f,"ts":%q}]}`, lat, lon, time.Now().UTC().Format(time.RFC3339Nano))
		if err := b.do("POST", "/api/v1/positions", tok, body, 202); err != nil {
			return benchResult{}, err
		}
	}
	path := "/api/v1/rooms/" + b.room + "/positions?bbox=11.49,49.899,11.51,49.921"
	n, lat, err := b.load(ctx, b.cfg.Conns, func(w, i int) error { return b.do("GET", path, b.tokens[w%len(b.tokens)], nil, 200) })
	if err != nil {
		return benchResult{}, err
	}
	rate := float64(n) / b.cfg.Duration.Seconds()
	return benchResult{name: "room positions in a bbox (20 hits)", value: fmt.Sprintf("%.0f req/s (p99 %v)", rate, percentile(lat, 0.99).Round(time.Microsecond)),
		goal: ">= 10,000 req/s", met: rate >= 10000}, nil
}

// posts has Posters members post durable messages to the room's chat
// (or, with --post-rooms, to chats in that many rooms).
func (b *bench) posts(ctx context.Context) (benchResult, error) {
	paths := []string{"/api/v1/chats/" + b.chat + "/messages"}
	lead, err := b.svc.UserByEmail(ctx, "lead@polizei.example")
	if err != nil {
		return benchResult{}, err
	}
	la := &einsatzraum.Actor{User: lead}
	for r := 1; r < b.cfg.Rooms; r++ { // more rooms, each with every poster in its chat
		room, err := b.svc.CreateRoom(ctx, la, fmt.Sprintf("Bench %d", r), "")
		if err != nil {
			return benchResult{}, err
		}
		var ids []string
		for w := 0; w < b.cfg.Posters && w < len(b.ids); w++ {
			if _, err := b.svc.PutMember(ctx, la, room.ID, b.ids[w], einsatzraum.RoleMember); err != nil {
				return benchResult{}, err
			}
			ids = append(ids, b.ids[w])
		}
		c, err := b.svc.CreateChat(ctx, la, room.ID, "Lage", ids)
		if err != nil {
			return benchResult{}, err
		}
		paths = append(paths, "/api/v1/chats/"+c.ID+"/messages")
	}
	n, lat, err := b.load(ctx, b.cfg.Posters, func(w, i int) error {
		id, err := uuid.NewV7() // time-ordered, as the field client's client_ids (outbox.ts, newClientID)
		if err != nil {
			return err
		}
		return b.do("POST", paths[w%len(paths)], b.tokens[w%len(b.tokens)], fmt.Appendf(nil, `{"kind":"text","text":"Lage %d/%d","client_id":"%s"}`, w, i, id), 201)
	})
	if err != nil {
		return benchResult{}, err
	}
	rate := float64(n) / b.cfg.Duration.Seconds()
	goal, want := ">= 10,000/s, p99 < 50 ms", 10000.0
	if b.cfg.Store != "" {
		goal, want = ">= 5,000/s, p99 < 50 ms", 5000
	}
	p99 := percentile(lat, 0.99)
	return benchResult{name: fmt.Sprintf("durable posts, %d posters in %d room(s) (%s)", b.cfg.Posters, len(paths), storeName(b.cfg.Store)),
		value: fmt.Sprintf("%.0f msgs/s (p99 %v)", rate, p99.Round(time.Microsecond)), goal: goal, met: rate >= want && p99 < 50*time.Millisecond}, nil
}

// tiles renders z14 vector tiles of a 10^6-point layer from scratch.
func (b *bench) tiles(ctx context.Context) (benchResult, error) {
	r := rand.New(rand.NewPCG(11, 12))
	fs := make([]layers.Feature, 1_000_000)
	for i := range fs {
		p := orb.Point{8 + r.Float64()*4, 52.5 + r.Float64()*2}
		if i%2 == 1 {
			p = orb.Point{9.7 + r.Float64()*0.6, 53.4 + r.Float64()*0.35}
		}
		fs[i] = layers.Feature{ID: i, Geometry: p, Properties: map[string]any{"n": float64(i)}}
	}
	l := layers.NewLayer(layers.Meta{ID: "ly_bench", Version: 1}, fs)
	deadline := time.Now().Add(b.cfg.Duration)
	n := 0
	start := time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		t := maptile.At(orb.Point{9.75 + r.Float64()*0.5, 53.45 + r.Float64()*0.25}, 14)
		if _, err := l.Render(uint32(t.Z), t.X, t.Y); err != nil {
			return benchResult{}, err
		}
		n++
	}
	rate := float64(n) / time.Since(start).Seconds()
	if ctx.Err() != nil {
		return benchResult{}, errors.New("cancelled")
	}
	return benchResult{name: "z14 vector tiles of 10^6 points, from scratch", value: fmt.Sprintf("%.0f tiles/s", rate), goal: ">= 5,000/s", met: rate >= 5000}, nil
}
