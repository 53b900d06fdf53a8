package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/einsatzraum/einsatzraum/einsatzraum/cot"
)

// officersReport is the outcome of the officers mode.
type officersReport struct {
	Officers, Dashboards, Rooms int
	WSOfficers                  int
	Transport                   string // how the socket officers report: WebSockets or CoT
	Sent, Rejected              int64
	Items                       int64
	Seconds                     float64
	P50, P95, P99, Max          time.Duration
	CPUCores                    float64
	RSS                         float64
}

func (r officersReport) print(w io.Writer) {
	fmt.Fprintf(w, "loadtest (officers): %d officers reporting (%d over %s, %d over HTTP), %d dashboards, %d rooms, %.0f s\n",
		r.Officers, r.WSOfficers, r.Transport, r.Officers-r.WSOfficers, r.Dashboards, r.Rooms, r.Seconds)
	fmt.Fprintf(w, "  positions:   %d sent (%.0f/s), %d rejected\n", r.Sent, float64(r.Sent)/r.Seconds, r.Rejected)
	fmt.Fprintf(w, "  dashboards:  %d position items received (%.0f/s)\n", r.Items, float64(r.Items)/r.Seconds)
	fmt.Fprintf(w, "  latency:     p50 %s  p95 %s  p99 %s  max %s (report to dashboard frame, coalescing included)\n", ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max))
	fmt.Fprintf(w, "  server:      %.2f CPU cores, RSS %.0f MiB\n", r.CPUCores, r.RSS/(1<<20))
}

// runOfficers connects every simulated user as an officer whose phone
// reports a position every interval over its socket, and dashboards that
// follow the rooms, then measures the delay from report to frame.
func (lt *loadtest) runOfficers(ctx context.Context) (officersReport, error) {
	rep := officersReport{Officers: lt.cfg.Users, Dashboards: lt.cfg.Dashboards, Rooms: lt.cfg.Rooms, Transport: "WebSockets"}
	if lt.cfg.CoT != "" {
		rep.Transport = "CoT (TAK clients)"
	}
	if err := lt.prepare(ctx); err != nil {
		return rep, err
	}
	wsURL := "ws" + strings.TrimPrefix(lt.cfg.Server, "http") + "/api/v1/ws?access_token="
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 512}

	var rejected, items atomic.Int64
	var latMu sync.Mutex
	var lats []time.Duration
	measuring := atomic.Bool{}
	var since atomic.Int64 // unix nanoseconds: reports from before the run (joins) are not measured

	// Dashboards: sockets of room leads, each subscribed to its room.
	dashes := make([]*websocket.Conn, lt.cfg.Dashboards)
	err := parallel(ctx, lt.cfg.DialWorkers, len(dashes), func(i int) error {
		rs := lt.state.Rooms[i%len(lt.state.Rooms)]
		c, _, err := dialer.DialContext(ctx, wsURL+url.QueryEscape(lt.state.Users[rs.Members[0]].Token), nil)
		if err != nil {
			return fmt.Errorf("dashboard %d: %w", i, err)
		}
		var room struct{ Seq int64 }
		if err := lt.call(ctx, "GET", "/api/v1/rooms/"+rs.ID, lt.state.Users[rs.Members[0]].Token, nil, &room); err != nil {
			return err
		}
		if err := c.WriteJSON(map[string]any{"type": "subscribe", "room": rs.ID, "since": room.Seq}); err != nil {
			return err
		}
		dashes[i] = c
		go func() {
			var f struct {
				Type  string `json:"type"`
				Items []struct {
					TS time.Time `json:"ts"`
				} `json:"items"`
			}
			for {
				_, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				now := time.Now()
				if !bytes.Contains(data[:min(len(data), 30)], []byte(`"positions"`)) || json.Unmarshal(data, &f) != nil || !measuring.Load() {
					continue
				}
				from := since.Load()
				latMu.Lock()
				for _, it := range f.Items {
					if it.TS.UnixNano() >= from {
						items.Add(1)
						lats = append(lats, now.Sub(it.TS))
					}
				}
				latMu.Unlock()
			}
		}()
		return nil
	})
	defer func() {
		for _, c := range dashes {
			if c != nil {
				c.Close()
			}
		}
	}()
	if err != nil {
		return rep, err
	}
	lt.logf("%d dashboards subscribed\n", len(dashes))

	// Officers: one socket each (WebSocket, or a TAK client's CoT stream),
	// reading what the server sends and writing reports; those beyond
	// --ws-officers report over HTTP instead.
	nWS := len(lt.state.Users)
	if lt.cfg.WSOfficers >= 0 {
		nWS = min(nWS, lt.cfg.WSOfficers)
	}
	rep.WSOfficers = nWS
	roomOf := lt.roomOfUsers()
	officers := make([]officerConn, nWS)
	var open atomic.Int64
	err = parallel(ctx, lt.cfg.DialWorkers, len(officers), func(i int) error {
		var c officerConn
		var err error
		if lt.cfg.CoT != "" {
			c, err = lt.dialTAK(ctx, i, lt.state.Rooms[roomOf[i]].ID)
		} else {
			c, err = dialWSOfficer(ctx, &dialer, wsURL+url.QueryEscape(lt.state.Users[i].Token), &rejected)
		}
		if err != nil {
			return fmt.Errorf("officer %d: %w", i, err)
		}
		officers[i] = c
		if n := open.Add(1); n%1000 == 0 {
			lt.logf("officers connected: %d/%d", n, len(officers))
		}
		return nil
	})
	defer func() {
		for _, c := range officers {
			if c != nil {
				c.Close()
			}
		}
	}()
	if err != nil {
		return rep, err
	}
	lt.logf("\n")

	before, err := lt.serverMemory(ctx)
	if err != nil {
		return rep, err
	}
	start := time.Now()
	since.Store(start.UnixNano())
	measuring.Store(true)
	var sent atomic.Int64
	runCtx, cancel := context.WithTimeout(ctx, lt.cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	for i := range lt.state.Users {
		var c officerConn
		if i < nWS {
			c = officers[i]
		}
		token := lt.state.Users[i].Token
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			lat, lon := 53.4+r.Float64()*0.35, 9.7+r.Float64()*0.6
			// Spread the first reports over one interval, as phones would be.
			t := time.NewTimer(time.Duration(r.Int64N(int64(lt.cfg.Interval))))
			defer t.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-t.C:
				}
				lat += (r.Float64() - 0.5) * 0.0002
				lon += (r.Float64() - 0.5) * 0.0003
				if c != nil {
					if err := c.report(lat, lon, time.Now()); err != nil {
						return
					}
				} else {
					pos := map[string]any{"lat": lat, "lon": lon, "accuracy_m": 5, "ts": time.Now().UTC().Format(time.RFC3339Nano)}
					if err := lt.call(runCtx, "POST", "/api/v1/positions", token, map[string]any{"items": []any{pos}}, nil); err != nil {
						if runCtx.Err() != nil {
							return
						}
						rejected.Add(1)
					}
				}
				sent.Add(1)
				t.Reset(lt.cfg.Interval)
			}
		}()
	}
	progress := time.NewTicker(time.Second)
	func() {
		defer progress.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-progress.C:
				latMu.Lock()
				var p99 time.Duration
				if n := len(lats); n > 0 {
					recent := slices.Clone(lats[max(0, n-20000):])
					slices.Sort(recent)
					p99 = recent[int(0.99*float64(len(recent)-1))]
				}
				latMu.Unlock()
				el := time.Since(start).Seconds()
				lt.logf("positions sent %d (%.0f/s)  items on dashboards %d  recent p99 %s  rejected %d", sent.Load(), float64(sent.Load())/el, items.Load(), ms(p99), rejected.Load())
			}
		}
	}()
	wg.Wait()
	rep.Seconds = time.Since(start).Seconds()
	time.Sleep(time.Second) // the last coalesced frames
	measuring.Store(false)
	after, err := lt.serverMemory(ctx)
	if err != nil {
		return rep, err
	}
	lt.logf("\n")
	rep.Sent, rep.Rejected, rep.Items = sent.Load(), rejected.Load()+int64(after.cotRejected-before.cotRejected), items.Load()
	rep.CPUCores = (after.cpuSeconds - before.cpuSeconds) / rep.Seconds
	rep.RSS = after.rss
	latMu.Lock()
	slices.Sort(lats)
	if n := len(lats); n > 0 {
		q := func(p float64) time.Duration { return lats[min(n-1, int(p*float64(n)))] }
		rep.P50, rep.P95, rep.P99, rep.Max = q(0.5), q(0.95), q(0.99), lats[n-1]
	}
	latMu.Unlock()
	return rep, nil
}

// officerConn is a simulated officer's phone: it reports positions.
type officerConn interface {
	report(lat, lon float64, at time.Time) error
	Close() error
}

// wsOfficer reports over the officer's WebSocket and counts the error
// frames the server answers with.
type wsOfficer struct{ conn *websocket.Conn }

func dialWSOfficer(ctx context.Context, d *websocket.Dialer, u string, rejected *atomic.Int64) (*wsOfficer, error) {
	c, _, err := d.DialContext(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			if bytes.Contains(data, []byte(`"type":"error"`)) {
				rejected.Add(1)
			}
		}
	}()
	return &wsOfficer{conn: c}, nil
}

func (o *wsOfficer) report(lat, lon float64, at time.Time) error {
	return o.conn.WriteJSON(map[string]any{"type": "position", "lat": lat, "lon": lon, "accuracy_m": 5, "ts": at.UTC().Format(time.RFC3339Nano)})
}

func (o *wsOfficer) Close() error { return o.conn.Close() }

// takOfficer reports as a TAK client: ATAK's position events on a CoT
// stream; what the server sends (the room's members) is read and dropped.
type takOfficer struct {
	conn net.Conn
	uid  string
}

// dialTAK connects officer i to the CoT gateway and joins it to room.
func (lt *loadtest) dialTAK(ctx context.Context, i int, room string) (*takOfficer, error) {
	d := &net.Dialer{Timeout: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", lt.cfg.CoT)
	if err != nil {
		return nil, err
	}
	if !lt.cfg.CoTPlain {
		// The load generator checks throughput, not the certificate.
		tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		conn = tc
	}
	go func() { _, _ = io.Copy(io.Discard, conn) }()
	o := &takOfficer{conn: conn, uid: fmt.Sprintf("ANDROID-loadtest-%06d", i)}
	auth := &cot.Auth{Token: lt.state.Users[i].Token, Room: room}
	if err := o.write(53.55, 9.99, time.Now(), auth); err != nil {
		conn.Close()
		return nil, err
	}
	return o, nil
}

func (o *takOfficer) report(lat, lon float64, at time.Time) error { return o.write(lat, lon, at, nil) }

// write sends a position event as ATAK does, with auth on the first.
func (o *takOfficer) write(lat, lon float64, at time.Time, auth *cot.Auth) error {
	ts := cot.FormatTime(at)
	b, err := cot.Marshal(&cot.Event{UID: o.uid, Type: "a-f-G-U-C", How: "h-e", Time: ts, Start: ts, Stale: cot.FormatTime(at.Add(time.Minute)),
		Point:  cot.Point{Lat: cot.FormatNumber(lat), Lon: cot.FormatNumber(lon), Hae: "20", Ce: "5", Le: cot.FormatNumber(cot.Unknown)},
		Detail: &cot.Detail{Auth: auth, Contact: &cot.Contact{Callsign: o.uid, Endpoint: "*:-1:stcp"}, Track: &cot.Track{Course: "90", Speed: "1.2"}}})
	if err != nil {
		return err
	}
	_ = o.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = o.conn.Write(b)
	return err
}

func (o *takOfficer) Close() error { return o.conn.Close() }
