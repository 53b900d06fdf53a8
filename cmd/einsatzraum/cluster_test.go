package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/testenv"
	"github.com/einsatzraum/einsatzraum/web"
)

// cluster is several real "einsatzraum serve" processes on one PostgreSQL
// schema and one Redis key prefix, as behind a load balancer.
type cluster struct {
	dsn, redisURL, prefix, key string
	flags                      []string // more flags for every node
	nodes                      []*process
}

// newCluster starts n nodes on a fresh schema; redisURL "" means the
// shared test Redis with a prefix of the test's own. flags go to every node.
func newCluster(t *testing.T, n int, redisURL string, flags ...string) *cluster {
	t.Helper()
	c := &cluster{dsn: testenv.PostgresSchema(t), flags: flags}
	if redisURL == "" {
		c.redisURL, c.prefix = testenv.Redis(t)
	} else {
		c.redisURL, c.prefix = redisURL, testenv.Unique("ertest")
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c.key = base64.StdEncoding.EncodeToString(key)
	for range n {
		c.startNode(t)
	}
	t.Cleanup(func() { // a failure shows what the nodes logged
		if !t.Failed() {
			return
		}
		for k, p := range c.nodes {
			for len(p.logs) > 0 {
				t.Logf("node %d: %s", k, <-p.logs)
			}
		}
	})
	return c
}

func (c *cluster) startNode(t *testing.T) *process {
	t.Helper()
	p := startProcess(t, []string{"EINSATZRAUM_MASTER_KEY=" + c.key}, append([]string{
		"--listen", "127.0.0.1:0", "--data", t.TempDir(), "--store", c.dsn,
		"--redis", c.redisURL, "--redis-prefix", c.prefix, "--log-level", "info"}, c.flags...)...)
	c.nodes = append(c.nodes, p)
	return p
}

func (c *cluster) node(i int) *testServer { return &testServer{URL: c.nodes[i].URL} }

// addUser runs "einsatzraum user add --store" against the cluster's database.
func (c *cluster) addUser(t *testing.T, email, name string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "EINSATZRAUM_MASTER_KEY" {
			return c.key
		}
		return ""
	}
	args := []string{"user", "add", "--store", c.dsn, "--email", email, "--name", name, "--callsign", "CS " + name}
	if err := run(context.Background(), args, getenv, strings.NewReader(testPassword+"\n"), &out, &errOut); err != nil {
		t.Fatalf("user add %s: %v\n%s", email, err, errOut.String())
	}
	_, id, _ := strings.Cut(out.String(), "id=")
	return strings.Fields(id)[0]
}

// clusterRoom is a room with a lead and members, all in the chat "Lage",
// so that every member may see every event of the room.
type clusterRoom struct {
	room, chat  string
	lead        string   // token
	members     []string // tokens
	memberIDs   []string
	memberNames []string
}

func newClusterRoom(t *testing.T, c *cluster, members int) *clusterRoom {
	t.Helper()
	a := c.node(0)
	r := &clusterRoom{}
	c.addUser(t, "lead@polizei.example", "Lea")
	r.lead = a.login(t, "lead@polizei.example")
	r.room = a.call(t, "POST", "/api/v1/rooms", r.lead, map[string]any{"name": "Großlage"}).want(t, 201).str("id")
	for i := range members {
		email := fmt.Sprintf("officer%d@polizei.example", i)
		id := c.addUser(t, email, fmt.Sprintf("Officer %d", i))
		a.call(t, "PUT", "/api/v1/rooms/"+r.room+"/members/"+id, r.lead, map[string]any{"role": "member"}).want(t, 200)
		r.memberIDs = append(r.memberIDs, id)
		r.memberNames = append(r.memberNames, email)
		r.members = append(r.members, a.login(t, email))
	}
	r.chat = a.call(t, "POST", "/api/v1/rooms/"+r.room+"/chats", r.lead, map[string]any{"name": "Lage", "members": r.memberIDs}).want(t, 201).str("id")
	return r
}

func roomSeq(t *testing.T, ts *testServer, room, token string) int64 {
	t.Helper()
	return int64(ts.call(t, "GET", "/api/v1/rooms/"+room, token, nil).want(t, 200).Body["seq"].(float64))
}

// eventLog records the seqs of the event frames a client received and
// fails on a gap or a repeat.
type eventLog struct {
	t    *testing.T
	name string
	last int64
}

func (l *eventLog) add(seq int64) {
	l.t.Helper()
	if seq != l.last+1 {
		l.t.Fatalf("%s: event seq %d after %d: a gap or a repeat", l.name, seq, l.last)
	}
	l.last = seq
}

// readUntil reads c's event frames into l until seq upTo or until the
// connection ends (it returns false then).
func (l *eventLog) readUntil(c *wsClient, upTo int64, timeout time.Duration) bool {
	l.t.Helper()
	deadline := time.Now().Add(timeout)
	for l.last < upTo {
		if time.Now().After(deadline) {
			l.t.Fatalf("%s: at seq %d after %v, want %d", l.name, l.last, timeout, upTo)
		}
		f, err := c.read(time.Until(deadline))
		if err == errTimeout {
			continue
		}
		if err != nil {
			return false
		}
		if f.Type == "event" {
			l.add(f.Seq)
		}
	}
	return true
}

// noMoreEvents fails if an event frame arrives within d (other frames,
// such as "subscribed" or positions, may).
func (l *eventLog) noMoreEvents(c *wsClient, d time.Duration) {
	l.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		f, err := c.read(time.Until(deadline))
		if err != nil {
			return
		}
		if f.Type == "event" {
			l.t.Fatalf("%s: event seq %d after the last one (%d): a repeat", l.name, f.Seq, l.last)
		}
	}
}

// TestClusterMessagesPositionsFilesWipe: a message posted on node A
// arrives live at node B; positions reported at A are in B's extent and
// nearby answers and B's positions frames; a file uploaded at A downloads
// at B; a wipe at A closes the device's socket at B; B follows on Redis
// only the rooms its clients use.
func TestClusterMessagesPositionsFilesWipe(t *testing.T) {
	c := newCluster(t, 2, "")
	a, b := c.node(0), c.node(1)
	r := newClusterRoom(t, c, 2)
	a.call(t, "POST", "/api/v1/rooms", r.lead, map[string]any{"name": "Ruhig"}).want(t, 201) // nobody follows it

	sock := b.dialWS(t, r.members[0], 0)
	sock.subscribe(r.room, 0)
	sock.untilSubscribed()

	rdb := redisClient(t, c.redisURL)
	chans, err := rdb.PubSubChannels(context.Background(), c.prefix+":room:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(chans) != 1 || chans[0] != c.prefix+":room:"+r.room {
		t.Errorf("room channels followed on Redis = %v, want only %s", chans, r.room)
	}

	seq := int64(a.call(t, "POST", "/api/v1/chats/"+r.chat+"/messages", r.lead, map[string]any{"kind": "text", "text": "Über A an B"}).want(t, 201).Body["seq"].(float64))
	f := sock.nextOf("event")
	if f.Seq != seq || messageText(f) != "Über A an B" {
		t.Fatalf("node B got %+v, want the message with seq %d", f, seq)
	}

	now := time.Now().UTC().Format(time.RFC3339Nano)
	a.call(t, "POST", "/api/v1/positions", r.members[1], map[string]any{"items": []any{
		map[string]any{"lat": 53.5511, "lon": 9.9937, "accuracy_m": 5, "ts": now}}}).want(t, 202)
	deadline := time.Now().Add(5 * time.Second)
	for {
		ext := b.call(t, "GET", "/api/v1/rooms/"+r.room+"/positions/extent", r.members[0], nil)
		if ext.Status == 200 {
			bbox := ext.Body["bbox"].([]any)
			if bbox[0].(float64) != 9.9937 || bbox[1].(float64) != 53.5511 {
				t.Fatalf("extent at B = %v", bbox)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node B has no extent 5s after a report at A: %s", ext.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
	near := b.call(t, "GET", "/api/v1/rooms/"+r.room+"/positions/nearby?lat=53.55&lon=9.99&radius_m=1000", r.members[0], nil).want(t, 200)
	feats, _ := near.Body["features"].([]any)
	if len(feats) != 1 {
		t.Fatalf("nearby at B = %s", near.Raw)
	}
	pf := sock.nextOf("positions")
	for len(pf.Items) == 0 {
		pf = sock.nextOf("positions")
	}
	if got := pf.items()[0]["user"]; got != r.memberIDs[1] {
		t.Fatalf("positions frame at B names %v, want %s", got, r.memberIDs[1])
	}

	jpeg := exifJPEG(t, 64, 48, 1, 0, 0)
	up := a.uploadFile(t, r.lead, "/api/v1/chats/"+r.chat+"/attachments", "lage.jpg", jpeg, nil).want(t, 201)
	resp, body := b.get(t, "/api/v1/attachments/"+up.str("id"), r.members[0], nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, jpeg) {
		t.Fatalf("download at B: status %d, %d bytes (want the %d uploaded at A)", resp.StatusCode, len(body), len(jpeg))
	}

	// Tokens are cached on every node, yet a wiped one fails on its very
	// next request at any node: B used this one a moment ago, A wipes it,
	// and B's next answer (before any bus message could be waited for) is 401.
	for i := range 20 {
		extra := a.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": r.memberNames[1], "password": testPassword, "device_name": fmt.Sprint("extra ", i)}).want(t, 200)
		b.call(t, "GET", "/api/v1/me", extra.str("token"), nil).want(t, 200)
		b.call(t, "GET", "/api/v1/me", extra.str("token"), nil).want(t, 200) // from B's cache
		a.call(t, "DELETE", "/api/v1/me/devices/"+extra.Body["device"].(map[string]any)["id"].(string), extra.str("token"), nil).want(t, 204)
		b.call(t, "GET", "/api/v1/me", extra.str("token"), nil).want(t, 401, "token_revoked")
	}

	devs := b.call(t, "GET", "/api/v1/me/devices", r.members[0], nil).want(t, 200).items()
	start := time.Now()
	a.call(t, "DELETE", "/api/v1/me/devices/"+devs[0]["id"].(string), r.members[0], nil).want(t, 204)
	if fr := sock.nextOf("wipe"); fr.Type != "wipe" {
		t.Fatal("no wipe frame at B")
	}
	if code := sock.closeCode(2 * time.Second); code != web.CloseCode(einsatzraum.CloseRevoked) {
		t.Fatalf("close code at B %d, want %d", code, web.CloseCode(einsatzraum.CloseRevoked))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("wipe at A closed the socket at B after %v, want < 1s", d)
	}
	b.call(t, "GET", "/api/v1/me", r.members[0], nil).want(t, 401)

	// Failed logins count in Redis: five at A make the same address wait at B too.
	wrong := map[string]any{"email": r.memberNames[1], "password": "wrong-password-x", "device_name": "x"}
	for range 5 {
		a.call(t, "POST", "/api/v1/auth/login", "", wrong).want(t, 401)
	}
	b.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": r.memberNames[1], "password": testPassword}).want(t, 429, "login_delayed")
}

func redisClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// poster posts n messages at ts, one every gap, calling at(i) before each.
func poster(t *testing.T, ts *testServer, r *clusterRoom, n int, gap time.Duration, at func(i int)) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			at(i)
			req, _ := http.NewRequest("POST", ts.URL+"/api/v1/chats/"+r.chat+"/messages",
				strings.NewReader(fmt.Sprintf(`{"kind":"text","text":"Meldung %d","client_id":"m%d"}`, i, i)))
			req.Header.Set("Authorization", "Bearer "+r.lead)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("post %d: %v", i, err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 201 {
				t.Errorf("post %d: status %d", i, resp.StatusCode)
				return
			}
			time.Sleep(gap)
		}
	}()
	return done
}

// TestClusterNodeKilled kills node B (SIGKILL) while its clients receive
// a stream of messages posted at A; the clients reconnect to A with their
// last seq and every event arrives exactly once, in order.
// TestClusterPresence: a report taken by node A reaches a map followed on
// node B live, turns stale there when it ages (a positions frame says so),
// is removed there when it expires, and leaves B's map at once when the
// officer stops sharing at A. Short ages make the real clock usable; the
// bounds are generous (the contract is one sweep of a second plus one
// positions interval).
func TestClusterPresence(t *testing.T) {
	c := newCluster(t, 2, "", "--stale-after", "2s", "--expire-after", "4s", "--position-interval", "200ms")
	a, b := c.node(0), c.node(1)
	r := newClusterRoom(t, c, 2)
	sock := b.dialWS(t, r.members[0], 0)
	sock.subscribe(r.room, 0)
	sock.untilSubscribed()
	officer := r.memberIDs[1]
	report := func() time.Time {
		now := time.Now()
		a.call(t, "POST", "/api/v1/positions", r.members[1], map[string]any{"items": []any{
			map[string]any{"lat": 50.0183, "lon": 11.5011, "accuracy_m": 5, "ts": now.UTC().Format(time.RFC3339Nano)}}}).want(t, 202)
		return now
	}
	// until reads positions frames about the officer until one matches.
	until := func(what string, within time.Duration, match func(f frame) bool) time.Time {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			f, err := sock.read(time.Until(deadline))
			if err != nil {
				t.Fatalf("no %s frame at node B within %s: %v", what, within, err)
			}
			if f.Type == "positions" && match(f) {
				return time.Now()
			}
		}
	}
	item := func(f frame) map[string]any {
		for _, it := range f.items() {
			if it["user"] == officer {
				return it
			}
		}
		return nil
	}
	sent := report()
	until("live", 5*time.Second, func(f frame) bool {
		it := item(f)
		return it != nil && it["state"] == "live" && it["name"] == "Officer 1" && it["callsign"] == "CS Officer 1"
	})
	staleAt := until("stale", 8*time.Second, func(f frame) bool { it := item(f); return it != nil && it["state"] == "stale" })
	if age := staleAt.Sub(sent); age < 2*time.Second {
		t.Errorf("stale after %s, before --stale-after 2s", age)
	}
	removedAt := until("removed", 8*time.Second, func(f frame) bool { return slices.Contains(f.Removed, officer) })
	if age := removedAt.Sub(sent); age < 4*time.Second {
		t.Errorf("removed after %s, before --expire-after 4s", age)
	}
	// Sharing again, then stopping at A: off B's map at once.
	report()
	until("live again", 5*time.Second, func(f frame) bool { it := item(f); return it != nil && it["state"] == "live" })
	a.call(t, "DELETE", "/api/v1/positions/me", r.members[1], nil).want(t, 204)
	stopped := time.Now()
	until("removed on stop", 5*time.Second, func(f frame) bool { return slices.Contains(f.Removed, officer) })
	if d := time.Since(stopped); d > 1500*time.Millisecond {
		t.Errorf("removed %s after stopping; the stale age (2s) must not be what removed it", d)
	}
	forces := b.call(t, "GET", "/api/v1/rooms/"+r.room+"/forces", r.lead, nil).want(t, 200).items()
	found := false
	for _, fc := range forces {
		if fc["user"].(map[string]any)["id"] == officer {
			found = true
			if fc["state"] != "offline" {
				t.Errorf("forces at B after stopping: %v", fc)
			}
		}
	}
	if !found {
		t.Errorf("the officer is missing from B's forces: %v", forces)
	}

	// Geofences across nodes: a cordon drawn at A reports the officer
	// walking in at B (B reloaded the room's fences), and walking out at A
	// (A followed B's position quietly, so it knows they were inside).
	a.call(t, "POST", "/api/v1/rooms/"+r.room+"/drawings", r.lead, map[string]any{"geometry": map[string]any{"type": "Polygon",
		"coordinates": [][][]float64{{{11.495, 50.015}, {11.505, 50.015}, {11.505, 50.025}, {11.495, 50.025}, {11.495, 50.015}}}},
		"label": "Sperrkreis", "category": "cordon", "geofence": map[string]any{"on": "both"}}).want(t, 201)
	at := time.Now().Add(-3 * time.Second)
	walk := func(node *testServer, lon float64) {
		at = at.Add(time.Second)
		node.call(t, "POST", "/api/v1/positions", r.members[1], map[string]any{"items": []any{
			map[string]any{"lat": 50.02, "lon": lon, "ts": at.UTC().Format(time.RFC3339Nano)}}}).want(t, 202)
	}
	crossing := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			f, err := sock.read(time.Until(deadline))
			if err != nil {
				t.Fatalf("no geofence.crossed %s at node B: %v", want, err)
			}
			if f.Type == "event" && f.Event["type"] == "geofence.crossed" {
				if f.Event["transition"] != want || f.Event["user"] != officer || f.Event["label"] != "Sperrkreis" {
					t.Fatalf("crossing %v, want %s", f.Event, want)
				}
				return
			}
		}
	}
	time.Sleep(300 * time.Millisecond) // the fences message reaches B
	walk(b, 11.52)                     // first sight, outside
	walk(b, 11.50)
	crossing("enter")
	time.Sleep(time.Second) // B shares the position with A
	walk(a, 11.52)
	crossing("leave")
}

func TestClusterNodeKilled(t *testing.T) {
	c := newCluster(t, 2, "")
	a, b := c.node(0), c.node(1)
	r := newClusterRoom(t, c, 3)
	logs := make([]*eventLog, len(r.members))
	socks := make([]*wsClient, len(r.members))
	for i, tok := range r.members {
		logs[i] = &eventLog{t: t, name: r.memberNames[i]}
		socks[i] = b.dialWS(t, tok, 0)
		socks[i].subscribe(r.room, 0)
		for _, f := range socks[i].untilSubscribed() {
			logs[i].add(f.Seq)
		}
	}
	done := poster(t, a, r, 150, 10*time.Millisecond, func(i int) {
		if i == 60 {
			if err := c.nodes[1].cmd.Process.Kill(); err != nil {
				t.Errorf("kill node B: %v", err)
			}
		}
	})
	<-done
	final := roomSeq(t, a, r.room, r.lead)
	for i := range socks {
		if logs[i].readUntil(socks[i], final, 20*time.Second) {
			t.Fatalf("%s: B's socket still delivered everything; B was not killed in time", logs[i].name)
		}
	}
	for i, tok := range r.members {
		again := a.dialWS(t, tok, 0)
		again.subscribe(r.room, logs[i].last)
		if !logs[i].readUntil(again, final, 20*time.Second) {
			t.Fatalf("%s: connection to A ended at seq %d", logs[i].name, logs[i].last)
		}
		logs[i].noMoreEvents(again, 300*time.Millisecond)
	}
	t.Logf("3 clients got all %d events exactly once across the kill of node B", final)
}

// TestClusterRedisOutage stops the cluster's own redis-server for a few
// seconds while messages are posted at A and a client listens at B:
// /readyz fails meanwhile, nodes keep serving, and the client at B gets
// every event exactly once, in order, after Redis is back.
func TestClusterRedisOutage(t *testing.T) {
	rs := testenv.StartRedisServer(t)
	c := newCluster(t, 2, rs.URL)
	a, b := c.node(0), c.node(1)
	r := newClusterRoom(t, c, 2)
	atB := &eventLog{t: t, name: "client at B"}
	atA := &eventLog{t: t, name: "client at A"}
	sockB, sockA := b.dialWS(t, r.members[0], 0), a.dialWS(t, r.members[1], 0)
	for _, s := range []struct {
		c *wsClient
		l *eventLog
	}{{sockB, atB}, {sockA, atA}} {
		s.c.subscribe(r.room, 0)
		for _, f := range s.c.untilSubscribed() {
			s.l.add(f.Seq)
		}
	}
	other := a.call(t, "POST", "/api/v1/rooms", r.lead, map[string]any{"name": "Nebenlage"}).want(t, 201).str("id")
	a.call(t, "PUT", "/api/v1/rooms/"+other+"/members/"+r.memberIDs[1], r.lead, map[string]any{"role": "member"}).want(t, 200)
	var readyDuringOutage [2]int
	var subscribeDuringOutage time.Duration
	done := poster(t, a, r, 120, 25*time.Millisecond, func(i int) {
		switch i {
		case 30:
			rs.Stop()
		case 45: // a room nobody followed yet: subscribing must not wait for Redis
			start := time.Now()
			s := b.dialWS(t, r.members[1], 0)
			s.subscribe(other, 0)
			s.untilSubscribed()
			subscribeDuringOutage = time.Since(start)
		case 60:
			for k, ts := range []*testServer{a, b} {
				resp, err := http.Get(ts.URL + "/readyz")
				if err == nil {
					readyDuringOutage[k] = resp.StatusCode
					resp.Body.Close()
				}
			}
		case 90:
			rs.Start()
		}
	})
	<-done
	final := roomSeq(t, a, r.room, r.lead)
	if !atA.readUntil(sockA, final, 10*time.Second) {
		t.Fatal("client at A lost its connection")
	}
	if !atB.readUntil(sockB, final, 20*time.Second) {
		t.Fatal("client at B lost its connection")
	}
	atB.noMoreEvents(sockB, 300*time.Millisecond)
	if subscribeDuringOutage > time.Second {
		t.Errorf("subscribing to a new room took %v while Redis was down", subscribeDuringOutage)
	}
	for k, code := range readyDuringOutage {
		if code != http.StatusServiceUnavailable {
			t.Errorf("node %d /readyz during the Redis outage = %d, want 503", k, code)
		}
	}
	for _, ts := range []*testServer{a, b} {
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := http.Get(ts.URL + "/readyz")
			if err == nil && resp.StatusCode == 200 {
				resp.Body.Close()
				break
			}
			if resp != nil {
				resp.Body.Close()
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not ready 10s after Redis came back", ts.URL)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	t.Logf("clients at A and B got all %d events exactly once across a Redis outage", final)
}

// TestClusterWipeDuringRedisOutage wipes a phone through node A while
// Redis is down, so the wipe's bus message is lost; the phone's socket at
// node B must still get the wipe and close 4003 once Redis is back (the
// hub re-reads revocations from the store on reconnect). It once stayed
// open and received chat messages 98 s later.
func TestClusterWipeDuringRedisOutage(t *testing.T) {
	rs := testenv.StartRedisServer(t)
	c := newCluster(t, 2, rs.URL)
	a, b := c.node(0), c.node(1)
	r := newClusterRoom(t, c, 1)
	phone := r.members[0]
	sock := b.dialWS(t, phone, 0)
	sock.subscribe(r.room, 0)
	sock.untilSubscribed()
	devs := a.call(t, "GET", "/api/v1/me/devices", phone, nil).want(t, 200).items()
	if len(devs) != 1 {
		t.Fatalf("devices: %v", devs)
	}

	rs.Stop()
	a.call(t, "DELETE", "/api/v1/me/devices/"+devs[0]["id"].(string), phone, nil).want(t, 204)
	a.call(t, "GET", "/api/v1/me", phone, nil).want(t, 401) // the store has it at once
	rs.Start()

	deadline := time.Now().Add(20 * time.Second)
	for {
		fr, err := sock.read(time.Until(deadline))
		if err != nil {
			t.Fatalf("no wipe at node B within 20 s of Redis coming back: %v", err)
		}
		if fr.Type == "wipe" {
			break
		}
	}
	if code := sock.closeCode(5 * time.Second); code != web.CloseCode(einsatzraum.CloseRevoked) {
		t.Fatalf("close code at B %d, want %d", code, web.CloseCode(einsatzraum.CloseRevoked))
	}
}
