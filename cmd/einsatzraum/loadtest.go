package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// loadConfig is the configuration of "einsatzraum loadtest".
type loadConfig struct {
	Server       string
	Nodes        []string // every node: Server first, then --nodes
	Token        string   // an admin's token, to create the simulated users
	Users        int
	Rooms        int
	Rate         float64
	Duration     time.Duration
	Drain        time.Duration
	Domain       string
	Password     string
	Senders      int
	DialWorkers  int
	StateFile    string
	Debug        string // the server's --debug-listen URL, to collect garbage before memory readings
	MetricsToken string // the server's --metrics-token, for /metrics without --server-debug
	Mode         string // "messages" or "officers"
	Interval     time.Duration
	Dashboards   int
	WSOfficers   int    // officers with a socket; the others report over HTTP (-1: all)
	CoT          string // officers mode: report as TAK clients to this CoT address instead
	CoTPlain     bool   // the CoT address speaks plain TCP
}

func runLoadtest(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := loadConfig{}
	fs := newFlagSet("loadtest", stderr)
	fs.StringVar(&cfg.Server, "server", "http://127.0.0.1:8080", "server URL")
	nodes := listFlag{}
	fs.Var(&nodes, "nodes", "more nodes of the same deployment, comma separated: sockets and posts are spread round-robin over --server and these")
	fs.StringVar(&cfg.Token, "token", "", "an admin's bearer token (EINSATZRAUM_TOKEN)")
	fs.IntVar(&cfg.Users, "users", 1000, "simulated users, each with one live connection")
	fs.IntVar(&cfg.Rooms, "rooms", 100, "rooms; the users are spread evenly over them")
	fs.Float64Var(&cfg.Rate, "rate", 100, "messages per second, all rooms together")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long to send")
	fs.DurationVar(&cfg.Drain, "drain", 5*time.Second, "how long to wait for deliveries after the last send")
	fs.StringVar(&cfg.Domain, "email-domain", "polizei.example", "domain of the simulated users' emails")
	fs.StringVar(&cfg.Password, "user-password", "loadtest-password-1", "password of the simulated users")
	fs.IntVar(&cfg.Senders, "senders", 32, "concurrent HTTP senders")
	fs.IntVar(&cfg.DialWorkers, "dial-workers", 32, "concurrent logins and socket dials")
	fs.StringVar(&cfg.Debug, "server-debug", "", "the server's --debug-listen URL (http://127.0.0.1:6060): memory is read there after a GC, which makes it exact")
	fs.StringVar(&cfg.MetricsToken, "metrics-token", "", "the server's --metrics-token, to read /metrics on its own address when --server-debug is not given")
	fs.StringVar(&cfg.Mode, "mode", "messages", "messages: post chat messages at --rate; alarms: raise (and cancel) alarms at --rate, measured to every member's socket; officers: every user reports a position every --interval over its socket and --dashboards sockets watch the rooms")
	fs.DurationVar(&cfg.Interval, "interval", 5*time.Second, "officers mode: how often each officer reports")
	fs.IntVar(&cfg.WSOfficers, "ws-officers", -1, "officers mode: how many officers report over a socket; the rest POST /api/v1/positions (-1: all; a process has at most `ulimit -n` sockets)")
	fs.StringVar(&cfg.CoT, "cot", "", "officers mode: officers report as TAK clients (streaming CoT XML over TLS) to this --cot-listen address instead of WebSockets")
	fs.BoolVar(&cfg.CoTPlain, "cot-plain", false, "the --cot address speaks plain TCP (the server runs with --cot-plain)")
	fs.IntVar(&cfg.Dashboards, "dashboards", 500, "officers mode: dashboard sockets, spread over the rooms")
	fs.StringVar(&cfg.StateFile, "state", "loadtest-state.json", "file that keeps the simulated users' tokens and rooms between runs")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if cfg.Token == "" {
		cfg.Token = getenv("EINSATZRAUM_TOKEN")
	}
	cfg.Nodes = append([]string{cfg.Server}, nodes...)
	if cfg.Users < 2 || cfg.Rooms < 1 || cfg.Users < cfg.Rooms || cfg.Rate <= 0 {
		return errors.New("loadtest: need --users >= 2, --rooms >= 1, --users >= --rooms and --rate > 0")
	}
	lt := &loadtest{cfg: cfg, out: stderr, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: cfg.Senders + cfg.DialWorkers, MaxIdleConnsPerHost: cfg.Senders + cfg.DialWorkers,
		MaxConnsPerHost: cfg.Senders + cfg.DialWorkers, // sockets are what a process runs out of first
	}}}
	if cfg.Mode == "officers" {
		orep, err := lt.runOfficers(ctx)
		if err != nil {
			return err
		}
		orep.print(stdout)
		return nil
	}
	rep, err := lt.run(ctx)
	if err != nil {
		return err
	}
	rep.print(stdout)
	if rep.Lost > 0 || rep.Duplicates > 0 {
		return fmt.Errorf("loadtest: %d deliveries lost, %d duplicated", rep.Lost, rep.Duplicates)
	}
	return nil
}

// raiseAndCancel raises an alarm whose text carries the send time, then
// cancels it (so the sender may raise again).
func (lt *loadtest) raiseAndCancel(ctx context.Context, i int, room, token string) error {
	var al struct {
		ID string `json:"id"`
	}
	text := fmt.Sprintf("%d Lasttest Alarm %d", time.Now().UnixNano(), i)
	if err := lt.call(ctx, "POST", lt.node(i+1)+"/api/v1/rooms/"+room+"/alarms", token, map[string]any{"kind": "emergency", "text": text}, &al); err != nil {
		return err
	}
	return lt.call(ctx, "POST", lt.node(i+1)+"/api/v1/alarms/"+al.ID+"/cancel", token, nil, nil)
}

type loadtest struct {
	cfg  loadConfig
	out  io.Writer
	http *http.Client

	state loadState

	sent, received, dups, failedSends atomic.Int64
	latMu                             sync.Mutex
	latencies                         []time.Duration
	expected                          atomic.Int64
}

// loadState is what survives between runs: creating and logging in
// thousands of users (argon2id) takes minutes, so it is done once.
type loadState struct {
	Server string          `json:"server"`
	Users  []loadUser      `json:"users"`
	Rooms  []loadRoomState `json:"rooms"`
}

type loadUser struct {
	Email string `json:"email"`
	ID    string `json:"id"`
	Token string `json:"token"`
}

type loadRoomState struct {
	ID      string `json:"id"`
	Chat    string `json:"chat"`
	Members []int  `json:"members"` // indices into Users
}

// report is the outcome of a load test.
type report struct {
	Users, Rooms                   int
	Sent, FailedSends              int64
	Expected, Received, Lost       int64
	Duplicates                     int64
	SendRate                       float64
	P50, P95, P99, Max             time.Duration
	MemPerConnHeap, MemPerConnRSS  float64
	ServerHeapBytes, ServerRSSByte float64
	ConnectSeconds                 float64
}

func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "loadtest: %d users (live connections) in %d rooms\n", r.Users, r.Rooms)
	fmt.Fprintf(w, "  connect:      %.1f s for all sockets\n", r.ConnectSeconds)
	fmt.Fprintf(w, "  sent:         %d messages (%.0f/s), %d failed\n", r.Sent, r.SendRate, r.FailedSends)
	fmt.Fprintf(w, "  deliveries:   %d expected, %d received, %d lost, %d duplicated\n", r.Expected, r.Received, r.Lost, r.Duplicates)
	fmt.Fprintf(w, "  latency:      p50 %s  p95 %s  p99 %s  max %s (post to frame)\n", ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max))
	fmt.Fprintf(w, "  server memory per idle connection: %.1f KiB (Go heap+stacks), %.1f KiB (RSS)\n", r.MemPerConnHeap/1024, r.MemPerConnRSS/1024)
	fmt.Fprintf(w, "  server after the run: heap+stacks %.0f MiB, RSS %.0f MiB\n", r.ServerHeapBytes/(1<<20), r.ServerRSSByte/(1<<20))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

func (lt *loadtest) logf(format string, args ...any) {
	fmt.Fprintf(lt.out, "\r\033[K"+format, args...)
}

func (lt *loadtest) run(ctx context.Context) (report, error) {
	var rep report
	rep.Users, rep.Rooms = lt.cfg.Users, lt.cfg.Rooms
	if err := lt.prepare(ctx); err != nil {
		return rep, err
	}
	before, err := lt.serverMemory(ctx)
	if err != nil {
		return rep, err
	}
	start := time.Now()
	conns, err := lt.connect(ctx)
	if err != nil {
		return rep, err
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	rep.ConnectSeconds = time.Since(start).Seconds()
	time.Sleep(2 * time.Second) // let the server settle before measuring
	after, err := lt.serverMemory(ctx)
	if err != nil {
		return rep, err
	}
	n := float64(len(conns))
	rep.MemPerConnHeap = (after.heap - before.heap) / n
	rep.MemPerConnRSS = (after.rss - before.rss) / n
	lt.logf("%d sockets open: %.1f KiB per connection (heap+stacks)\n", len(conns), rep.MemPerConnHeap/1024)

	sendStart := time.Now()
	lt.send(ctx)
	sendTime := time.Since(sendStart)
	deadline := time.Now().Add(lt.cfg.Drain)
	for time.Now().Before(deadline) && lt.received.Load() < lt.expected.Load() {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // a late duplicate would show now
	lt.logf("\n")

	rep.Sent, rep.FailedSends = lt.sent.Load(), lt.failedSends.Load()
	rep.SendRate = float64(rep.Sent) / sendTime.Seconds()
	rep.Expected, rep.Received = lt.expected.Load(), lt.received.Load()
	rep.Duplicates = lt.dups.Load()
	rep.Lost = rep.Expected - (rep.Received - rep.Duplicates)
	lt.latMu.Lock()
	lats := slices.Clone(lt.latencies)
	lt.latMu.Unlock()
	slices.Sort(lats)
	if len(lats) > 0 {
		q := func(p float64) time.Duration { return lats[min(len(lats)-1, int(p*float64(len(lats))))] }
		rep.P50, rep.P95, rep.P99, rep.Max = q(0.50), q(0.95), q(0.99), lats[len(lats)-1]
	}
	if m, err := lt.serverMemory(ctx); err == nil {
		rep.ServerHeapBytes, rep.ServerRSSByte = m.heap, m.rss
	}
	return rep, nil
}

// prepare creates (or reuses from the state file) the users, their tokens
// and the rooms, each with one chat of all its members.
func (lt *loadtest) prepare(ctx context.Context) error {
	if b, err := os.ReadFile(lt.cfg.StateFile); err == nil {
		if json.Unmarshal(b, &lt.state) == nil && lt.state.Server == lt.cfg.Server &&
			len(lt.state.Users) == lt.cfg.Users && len(lt.state.Rooms) == lt.cfg.Rooms {
			if lt.call(ctx, "GET", "/api/v1/me", lt.state.Users[0].Token, nil, nil) == nil {
				lt.logf("reusing %d users and %d rooms from %s\n", lt.cfg.Users, lt.cfg.Rooms, lt.cfg.StateFile)
				return nil
			}
		}
	}
	if lt.cfg.Token == "" {
		return errors.New("loadtest: an admin token is needed to create users: set EINSATZRAUM_TOKEN or --token")
	}
	lt.state = loadState{Server: lt.cfg.Server, Users: make([]loadUser, lt.cfg.Users)}
	var done atomic.Int64
	err := parallel(ctx, lt.cfg.DialWorkers, lt.cfg.Users, func(i int) error {
		u := &lt.state.Users[i]
		u.Email = fmt.Sprintf("loadtest-%06d@%s", i, lt.cfg.Domain)
		body := map[string]any{"email": u.Email, "name": fmt.Sprintf("Last %d", i), "callsign": fmt.Sprintf("LT %d", i), "password": lt.cfg.Password}
		err := lt.call(ctx, "POST", "/api/v1/admin/users", lt.cfg.Token, body, nil)
		if err != nil && !strings.Contains(err.Error(), "email_taken") {
			return err
		}
		var login struct {
			Token string `json:"token"`
			User  struct {
				ID string `json:"id"`
			} `json:"user"`
		}
		if err := lt.call(ctx, "POST", "/api/v1/auth/login", "", map[string]any{"email": u.Email, "password": lt.cfg.Password, "device_name": "loadtest"}, &login); err != nil {
			return err
		}
		u.Token, u.ID = login.Token, login.User.ID
		if n := done.Add(1); n%100 == 0 || int(n) == lt.cfg.Users {
			lt.logf("users: %d/%d created and logged in", n, lt.cfg.Users)
		}
		return nil
	})
	if err != nil {
		return err
	}
	lt.logf("\n")
	lt.state.Rooms = make([]loadRoomState, lt.cfg.Rooms)
	done.Store(0)
	err = parallel(ctx, lt.cfg.DialWorkers, lt.cfg.Rooms, func(r int) error {
		rs := &lt.state.Rooms[r]
		for i := r; i < lt.cfg.Users; i += lt.cfg.Rooms {
			rs.Members = append(rs.Members, i)
		}
		lead := lt.state.Users[rs.Members[0]]
		var room struct{ ID string }
		if err := lt.call(ctx, "POST", "/api/v1/rooms", lead.Token, map[string]any{"name": fmt.Sprintf("Lasttest %d", r)}, &room); err != nil {
			return err
		}
		rs.ID = room.ID
		var ids []string
		for _, m := range rs.Members[1:] {
			id := lt.state.Users[m].ID
			ids = append(ids, id)
			if err := lt.call(ctx, "PUT", "/api/v1/rooms/"+room.ID+"/members/"+id, lead.Token, map[string]any{"role": "member"}, nil); err != nil {
				return err
			}
		}
		// A chat is created with at most 1000 members; the rest are added.
		const atCreation = 1000
		var c struct{ ID string }
		if err := lt.call(ctx, "POST", "/api/v1/rooms/"+room.ID+"/chats", lead.Token, map[string]any{"name": "Lage", "members": ids[:min(len(ids), atCreation)]}, &c); err != nil {
			return err
		}
		for _, id := range ids[min(len(ids), atCreation):] {
			if err := lt.call(ctx, "PUT", "/api/v1/chats/"+c.ID+"/members/"+id, lead.Token, map[string]any{"permissions": []string{"read", "write"}}, nil); err != nil {
				return err
			}
		}
		rs.Chat = c.ID
		if n := done.Add(1); n%50 == 0 || int(n) == lt.cfg.Rooms {
			lt.logf("rooms: %d/%d", n, lt.cfg.Rooms)
		}
		return nil
	})
	if err != nil {
		return err
	}
	lt.logf("\n")
	b, _ := json.Marshal(lt.state)
	if err := os.WriteFile(lt.cfg.StateFile, b, 0o600); err != nil {
		return fmt.Errorf("loadtest: save state: %w", err)
	}
	return nil
}

// connect opens one socket per user, subscribed to its room from the
// room's current seq, and starts its reader.
// roomOfUsers maps each simulated user to the index of its room in
// state.Rooms (prepare puts every user in exactly one).
func (lt *loadtest) roomOfUsers() []int {
	roomOf := make([]int, len(lt.state.Users))
	for r, rs := range lt.state.Rooms {
		for _, m := range rs.Members {
			roomOf[m] = r
		}
	}
	return roomOf
}

func (lt *loadtest) connect(ctx context.Context) ([]*websocket.Conn, error) {
	seqs := make([]int64, len(lt.state.Rooms))
	err := parallel(ctx, lt.cfg.DialWorkers, len(lt.state.Rooms), func(r int) error {
		var room struct{ Seq int64 }
		err := lt.call(ctx, "GET", "/api/v1/rooms/"+lt.state.Rooms[r].ID, lt.state.Users[lt.state.Rooms[r].Members[0]].Token, nil, &room)
		seqs[r] = room.Seq
		return err
	})
	if err != nil {
		return nil, err
	}
	roomOf := lt.roomOfUsers()
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 2048, WriteBufferSize: 512}
	conns := make([]*websocket.Conn, len(lt.state.Users))
	var open atomic.Int64
	err = parallel(ctx, lt.cfg.DialWorkers, len(conns), func(i int) error {
		wsURL := "ws" + strings.TrimPrefix(lt.node(i), "http") + "/api/v1/ws?access_token="
		c, _, err := dialer.DialContext(ctx, wsURL+url.QueryEscape(lt.state.Users[i].Token), nil)
		if err != nil {
			return fmt.Errorf("dial socket %d: %w", i, err)
		}
		r := roomOf[i]
		if err := c.WriteJSON(map[string]any{"type": "subscribe", "room": lt.state.Rooms[r].ID, "since": seqs[r]}); err != nil {
			c.Close()
			return err
		}
		for { // wait for the end of the (empty) replay
			_, data, err := c.ReadMessage()
			if err != nil {
				c.Close()
				return fmt.Errorf("socket %d: %w", i, err)
			}
			if bytes.Contains(data, []byte(`"type":"subscribed"`)) {
				break
			}
			if bytes.Contains(data, []byte(`"type":"error"`)) {
				c.Close()
				return fmt.Errorf("socket %d: %s", i, data)
			}
		}
		conns[i] = c
		go lt.read(c)
		if n := open.Add(1); n%500 == 0 || int(n) == len(conns) {
			lt.logf("sockets: %d/%d open and subscribed", n, len(conns))
		}
		return nil
	})
	lt.logf("\n")
	if err != nil {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		return nil, err
	}
	return conns, nil
}

// read counts the message events a socket receives and their latency; the
// text of a load test message starts with its send time in Unix nanoseconds.
func (lt *loadtest) read(c *websocket.Conn) {
	var f struct {
		Type  string `json:"type"`
		Event struct {
			Type    string `json:"type"`
			Message struct {
				Text     string `json:"text"`
				ClientID string `json:"client_id"`
			} `json:"message"`
			Alarm struct {
				ID   string `json:"id"`
				Text string `json:"text"`
			} `json:"alarm"`
		} `json:"event"`
	}
	seen := map[string]bool{} // client_ids this socket got
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		f.Event.Alarm.ID, f.Event.Alarm.Text = "", ""
		if json.Unmarshal(data, &f) != nil || f.Type != "event" {
			continue
		}
		text, key := f.Event.Message.Text, f.Event.Message.ClientID
		switch f.Event.Type {
		case "message.created":
		case "alarm.raised": // alarms mode: raise to every socket of the room
			text, key = f.Event.Alarm.Text, f.Event.Alarm.ID
		default:
			continue
		}
		sentNs, err := strconv.ParseInt(strings.Fields(text + " 0")[0], 10, 64)
		if err != nil {
			continue
		}
		lt.received.Add(1)
		if seen[key] {
			lt.dups.Add(1)
		}
		seen[key] = true
		lt.latMu.Lock()
		lt.latencies = append(lt.latencies, now.Sub(time.Unix(0, sentNs)))
		lt.latMu.Unlock()
	}
}

// send posts messages at the configured rate for the configured duration,
// each from a random member to its room's chat, and shows progress.
func (lt *loadtest) send(ctx context.Context) {
	jobs := make(chan int, lt.cfg.Senders*4)
	var wg sync.WaitGroup
	for range lt.cfg.Senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				rs := lt.state.Rooms[i%len(lt.state.Rooms)]
				sender := lt.state.Users[rs.Members[(i/len(lt.state.Rooms))%len(rs.Members)]]
				clientID := fmt.Sprintf("lt-%d-%d", time.Now().UnixNano(), i)
				lt.expected.Add(int64(len(rs.Members)))
				if lt.cfg.Mode == "alarms" {
					if err := lt.raiseAndCancel(ctx, i, rs.ID, sender.Token); err != nil {
						lt.expected.Add(-int64(len(rs.Members)))
						lt.failedSends.Add(1)
						continue
					}
					lt.sent.Add(1)
					continue
				}
				text := fmt.Sprintf("%d Lasttest Nachricht %d", time.Now().UnixNano(), i)
				err := lt.call(ctx, "POST", lt.node(i+1)+"/api/v1/chats/"+rs.Chat+"/messages", sender.Token, map[string]any{"kind": "text", "text": text, "client_id": clientID}, nil)
				if err != nil {
					lt.expected.Add(-int64(len(rs.Members)))
					lt.failedSends.Add(1)
					continue
				}
				lt.sent.Add(1)
			}
		}()
	}
	stopProgress := make(chan struct{})
	go lt.progress(stopProgress)
	start := time.Now()
	interval := time.Duration(float64(time.Second) / lt.cfg.Rate)
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= lt.cfg.Duration || ctx.Err() != nil {
			break
		}
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(stopProgress)
}

func (lt *loadtest) progress(stop chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var lastSent int64
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			sent := lt.sent.Load()
			lt.latMu.Lock()
			var p99 time.Duration
			if n := len(lt.latencies); n > 0 {
				recent := slices.Clone(lt.latencies[max(0, n-5000):])
				slices.Sort(recent)
				p99 = recent[int(0.99*float64(len(recent)-1))]
			}
			lt.latMu.Unlock()
			lt.logf("sent %d (%d/s)  received %d of %d  recent p99 %s  failed %d", sent, sent-lastSent,
				lt.received.Load(), lt.expected.Load(), ms(p99), lt.failedSends.Load())
			lastSent = sent
		}
	}
}

type memory struct{ heap, rss, cpuSeconds, cotRejected float64 }

// serverMemory reads the server's Go heap + stack and RSS from /metrics
// after asking nothing of it: the figures are what the process reports.
func (lt *loadtest) serverMemory(ctx context.Context) (memory, error) {
	if lt.cfg.Debug != "" { // the heap profile with gc=1 runs a garbage collection first
		if err := lt.call(ctx, "GET", strings.TrimSuffix(lt.cfg.Debug, "/")+"/debug/pprof/heap?gc=1", "", nil, nil); err != nil {
			return memory{}, fmt.Errorf("collect garbage on the server: %w", err)
		}
	}
	// /metrics is on the debug listener, or on the server's own with its
	// metrics token.
	url := lt.cfg.Server + "/metrics"
	if lt.cfg.Debug != "" {
		url = strings.TrimSuffix(lt.cfg.Debug, "/") + "/metrics"
	}
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return memory{}, err
	}
	if lt.cfg.MetricsToken != "" {
		req.Header.Set("Authorization", "Bearer "+lt.cfg.MetricsToken)
	}
	resp, err := lt.http.Do(req)
	if err != nil {
		return memory{}, fmt.Errorf("read /metrics: %w", err)
	}
	defer resp.Body.Close()
	var m memory
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		switch name {
		case "go_memstats_heap_inuse_bytes", "go_memstats_stack_inuse_bytes":
			m.heap += v
		case "process_resident_memory_bytes":
			m.rss = v
		case "process_cpu_seconds_total":
			m.cpuSeconds = v
		case `einsatzraum_cot_events_received_total{kind="position_rejected"}`:
			m.cotRejected = v
		}
	}
	return m, sc.Err()
}

// call does one API request; a non-2xx status is an error with the body.
func (lt *loadtest) call(ctx context.Context, method, path, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = lt.cfg.Server + path
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := lt.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// node returns the node for the i-th socket or post, round-robin.
func (lt *loadtest) node(i int) string { return lt.cfg.Nodes[i%len(lt.cfg.Nodes)] }

// parallel runs fn(0..n-1) on workers goroutines and returns the first error.
func parallel(parent context.Context, workers, n int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	idx := make(chan int)
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range max(1, min(workers, n, runtime.NumCPU()*64)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		idx <- i
	}
	close(idx)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return parent.Err()
}
