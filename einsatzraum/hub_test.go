package einsatzraum_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/bus"
	"github.com/einsatzraum/einsatzraum/einsatzraum/clocktest"
	"github.com/einsatzraum/einsatzraum/einsatzraum/sqlstore"
	"github.com/einsatzraum/einsatzraum/geo"
)

// The hub's contract (live_frames.go) as fast package tests: a store in a
// temporary SQLite file, the in-process bus, a manual clock, and sockets
// that record the frames they get. Nothing here sleeps: a test waits for
// a frame on a channel, or moves the clock.

// recSocket records what the hub writes. With hold set, every Write waits
// until the test closes hold: a reader that does not read.
type recSocket struct {
	frames chan einsatzraum.Frame
	closed chan einsatzraum.CloseReason
	hold   chan struct{}
}

func newRecSocket() *recSocket {
	return &recSocket{frames: make(chan einsatzraum.Frame, 10000), closed: make(chan einsatzraum.CloseReason, 1)}
}

func (s *recSocket) Write(f einsatzraum.Frame, _ time.Time) error {
	if s.hold != nil {
		<-s.hold
	}
	s.frames <- f
	return nil
}
func (s *recSocket) Ping(time.Time) error { return nil }
func (s *recSocket) Close(r einsatzraum.CloseReason, _ time.Time) error {
	s.closed <- r
	return nil
}

// next waits for the next frame.
func (s *recSocket) next(t *testing.T) einsatzraum.Frame {
	t.Helper()
	select {
	case f := <-s.frames:
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("no frame within 5 s")
		return nil
	}
}

// events reads frames up to and including the SubscribedFrame and returns
// the event seqs before it and the subscribed seq.
func (s *recSocket) untilSubscribed(t *testing.T) (seqs []int64, subscribed int64) {
	t.Helper()
	for {
		switch f := s.next(t).(type) {
		case *einsatzraum.EventFrame:
			seqs = append(seqs, f.Event.Seq)
		case *einsatzraum.SubscribedFrame:
			return seqs, f.Seq
		case *einsatzraum.PositionsFrame:
		default:
			t.Fatalf("unexpected frame %T %+v", f, f)
		}
	}
}

// nextEvent waits for the next event frame, passing over positions frames.
func (s *recSocket) nextEvent(t *testing.T) *einsatzraum.Event {
	t.Helper()
	for {
		if f, ok := s.next(t).(*einsatzraum.EventFrame); ok {
			return f.Event
		}
	}
}

type hubFixture struct {
	ctx    context.Context
	clock  *clocktest.Manual
	db     *sqlstore.DB
	svc    *einsatzraum.Service
	silent *einsatzraum.Service // the same store, no bus: its events are stored but never published
	hub    *einsatzraum.Hub
	lead   *einsatzraum.Actor
	member *einsatzraum.Actor
	room   string
	chat   string
}

func newHubFixture(t *testing.T, hubCfg einsatzraum.HubConfig) *hubFixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	mb := bus.NewMemory()
	t.Cleanup(func() { mb.Close() })
	clk := clocktest.New(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC))
	cfg := einsatzraum.Config{Clock: clk, EmailDomains: []string{"polizei.example"}}
	f := &hubFixture{ctx: ctx, clock: clk, db: db, svc: einsatzraum.NewService(db, mb, cfg), silent: einsatzraum.NewService(db, nil, cfg)}
	user := func(email, name string) *einsatzraum.Actor {
		u, err := f.svc.CreateUser(ctx, nil, einsatzraum.NewUser{Email: email, Name: name, Callsign: "CS " + name, Password: "correct-horse-battery"})
		if err != nil {
			t.Fatal(err)
		}
		return &einsatzraum.Actor{User: u}
	}
	f.lead, f.member = user("lead@polizei.example", "Lea"), user("member@polizei.example", "Max")
	r, err := f.svc.CreateRoom(ctx, f.lead, "Lage", "")
	if err != nil {
		t.Fatal(err)
	}
	f.room = r.ID
	if _, err := f.svc.PutMember(ctx, f.lead, f.room, f.member.User.ID, einsatzraum.RoleMember); err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.CreateChat(ctx, f.lead, f.room, "Funk", []string{f.member.User.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.chat = c.ID
	f.hub, err = einsatzraum.NewHub(ctx, f.svc, mb, hubCfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.hub.Shutdown)
	return f
}

// advanceUntil moves the clock by step, giving the hub's goroutines up to
// wait of real time after each step, until a frame on sock satisfies ok
// (other frames are passed over) and returns it; it fails the test after
// 2000 steps.
func (f *hubFixture) advanceUntil(t *testing.T, sock *recSocket, step, wait time.Duration, ok func(einsatzraum.Frame) bool) einsatzraum.Frame {
	t.Helper()
	for range 2000 {
		f.clock.Advance(step)
		select {
		case fr := <-sock.frames:
			if ok(fr) {
				return fr
			}
		case <-time.After(wait):
		}
	}
	t.Fatal("no such frame while the clock moved")
	return nil
}

// post posts a text through svc (f.svc publishes, f.silent does not) and
// returns its event's seq.
func (f *hubFixture) post(t *testing.T, svc *einsatzraum.Service, text string) int64 {
	t.Helper()
	m, _, err := svc.PostMessage(f.ctx, f.lead, f.chat, chat.Draft{Kind: chat.KindText, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return m.Seq
}

// connect subscribes a recording socket of a to the room from since.
func (f *hubFixture) connect(t *testing.T, a *einsatzraum.Actor, since int64) (*einsatzraum.Client, *recSocket) {
	t.Helper()
	sock := newRecSocket()
	c := f.hub.Connect(a, sock)
	t.Cleanup(c.Detach)
	if err := c.Subscribe(f.room, since); err != nil {
		t.Fatal(err)
	}
	return c, sock
}

func wantSeqs(t *testing.T, got []int64, from, to int64) {
	t.Helper()
	if int64(len(got)) != to-from+1 {
		t.Fatalf("seqs %v, want %d..%d", got, from, to)
	}
	for i, s := range got {
		if s != from+int64(i) {
			t.Fatalf("seqs %v, want %d..%d without gap or duplicate", got, from, to)
		}
	}
}

// TestHubReplayThenLive: the snapshot, the stored events after since,
// subscribed, then live events, with no gap and no duplicate.
func TestHubReplayThenLive(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	for i := range 3 {
		f.post(t, f.svc, fmt.Sprint("vorher ", i))
	}
	_, sock := f.connect(t, f.member, 2)
	if _, ok := sock.next(t).(*einsatzraum.PositionsFrame); !ok {
		t.Fatal("the first frame after subscribe is not the positions snapshot")
	}
	seqs, subscribed := sock.untilSubscribed(t)
	last := f.post(t, f.svc, "live")
	wantSeqs(t, seqs, 3, last-1)
	if subscribed != last-1 {
		t.Fatalf("subscribed at %d, want %d", subscribed, last-1)
	}
	if e := sock.nextEvent(t); e.Seq != last || e.Type != einsatzraum.EventMessageCreated {
		t.Fatalf("live event %d %s, want %d message.created", e.Seq, e.Type, last)
	}
}

// TestHubFillsGapsFromStore: events the bus never carried are read from
// the store, when a later event shows the gap and, with nothing after
// them, at the next resync tick.
func TestHubFillsGapsFromStore(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{ResyncInterval: 10 * time.Second})
	_, sock := f.connect(t, f.member, 0)
	_, at := sock.untilSubscribed(t)

	lost1 := f.post(t, f.silent, "lost on the bus")
	lost2 := f.post(t, f.silent, "lost too")
	seen := f.post(t, f.svc, "published")
	for _, want := range []int64{lost1, lost2, seen} {
		if e := sock.nextEvent(t); e.Seq != want {
			t.Fatalf("event %d, want %d (gap filled in order)", e.Seq, want)
		}
	}
	if lost1 != at+1 {
		t.Fatalf("first lost event has seq %d, want %d", lost1, at+1)
	}

	// Nothing follows the last lost event: the resync tick finds it.
	lost3 := f.post(t, f.silent, "lost, nothing after")
	for got := false; !got; {
		f.clock.Advance(10 * time.Second)
		select {
		case fr := <-sock.frames:
			e, ok := fr.(*einsatzraum.EventFrame)
			if !ok || e.Event.Seq != lost3 {
				t.Fatalf("after the resync tick got %T %+v, want event %d", fr, fr, lost3)
			}
			got = true
		case <-time.After(50 * time.Millisecond): // the feed's ticker may not have started yet: tick again
		}
	}
}

// TestHubSlowClientClosed: a client whose socket does not take frames is
// closed with CloseSlow once its queue is full; the frame being written is
// finished, the queued ones are dropped, and the close comes after it.
func TestHubSlowClientClosed(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{QueueLimit: 4})
	sock := newRecSocket()
	c := f.hub.Connect(f.member, sock)
	t.Cleanup(c.Detach)
	sock.hold = make(chan struct{})
	if err := c.Subscribe(f.room, 3); err != nil { // the room's seq: nothing to replay
		t.Fatal(err)
	}
	for i := range 10 {
		f.post(t, f.svc, fmt.Sprint("flut ", i))
	}
	close(sock.hold) // the write in progress completes
	select {
	case r := <-sock.closed:
		if r != einsatzraum.CloseSlow {
			t.Fatalf("closed for %v, want %v", r, einsatzraum.CloseSlow)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the slow client was not closed")
	}
	if n := len(sock.frames); n != 1 {
		t.Fatalf("%d frames written, want only the one in progress when the queue overflowed", n)
	}
	// It resumes from its last seq on a new connection and misses nothing.
	_, again := f.connect(t, f.member, 3)
	seqs, subscribed := again.untilSubscribed(t)
	wantSeqs(t, seqs, 4, subscribed)
	if subscribed != 13 {
		t.Fatalf("resumed up to %d, want 13", subscribed)
	}
}

// TestHubPositionsAndStaleness: a report reaches subscribers in the next
// coalesced positions frame (one tick of PositionInterval); once
// StaleAfter has passed, the snapshot marks it stale.
func TestHubPositionsAndStaleness(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{PositionInterval: 500 * time.Millisecond})
	_, lead := f.connect(t, f.lead, 0)
	lead.untilSubscribed(t)
	p := geo.Position{Lat: 53.5457, Lon: 9.9664, AccuracyM: 5, TS: f.clock.Now()}
	if _, rej, err := f.svc.ReportPositions(f.ctx, f.member, []geo.Position{p}); err != nil || len(rej) > 0 {
		t.Fatalf("report: %v %v", rej, err)
	}
	fr := f.advanceUntil(t, lead, 500*time.Millisecond, 50*time.Millisecond, func(fr einsatzraum.Frame) bool {
		pf, ok := fr.(*einsatzraum.PositionsFrame)
		return ok && len(pf.Items) == 1
	})
	item := &fr.(*einsatzraum.PositionsFrame).Items[0]
	if item.User != f.member.User.ID || item.Callsign != "CS Max" || item.Stale || item.Lat != p.Lat {
		t.Fatalf("positions item %+v", item)
	}

	f.clock.Advance(5*time.Minute + time.Second) // past the default StaleAfter
	_, late := f.connect(t, f.lead, 0)
	snap, ok := late.next(t).(*einsatzraum.PositionsFrame)
	if !ok || len(snap.Items) != 1 || !snap.Items[0].Stale {
		t.Fatalf("snapshot after StaleAfter: %+v, want the member stale", snap)
	}
}

// TestHubReplayHonoursRetention: events older than the visible retention
// are passed over in a replay; subscribed still names the room's seq.
func TestHubReplayHonoursRetention(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	f.post(t, f.svc, "alt")
	f.clock.Advance(8 * 24 * time.Hour) // past the default 7 days
	fresh := f.post(t, f.svc, "neu")
	_, sock := f.connect(t, f.member, 0)
	seqs, subscribed := sock.untilSubscribed(t)
	if len(seqs) != 1 || seqs[0] != fresh || subscribed != fresh {
		t.Fatalf("replay %v subscribed %d; want only %d", seqs, subscribed, fresh)
	}
}

// TestHubClosesDevicesTheBusLostTheWipeOf: a wipe whose bus message never
// arrived (the node was cut off from Redis) still ends the wiped device's
// connection at the next revocation check.
func TestHubClosesDevicesTheBusLostTheWipeOf(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{DeviceCheckInterval: 30 * time.Second})
	login, err := f.svc.Login(f.ctx, einsatzraum.LoginInput{Email: "member@polizei.example", Password: "correct-horse-battery", DeviceName: "Handy"}, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	phone := &einsatzraum.Actor{User: login.User, Device: login.Device}
	_, sock := f.connect(t, phone, 0)
	sock.untilSubscribed(t)
	// Wiped through a service that publishes nothing: the bus never tells.
	if err := f.silent.WipeDevice(f.ctx, phone, login.Device.ID, false); err != nil {
		t.Fatal(err)
	}
	f.advanceUntil(t, sock, 30*time.Second, 50*time.Millisecond, func(fr einsatzraum.Frame) bool { // the check's ticker may not run yet: tick again
		_, wiped := fr.(*einsatzraum.WipeFrame)
		return wiped
	})
	select {
	case r := <-sock.closed:
		if r != einsatzraum.CloseRevoked {
			t.Fatalf("closed for %v, want %v", r, einsatzraum.CloseRevoked)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the wiped device's connection stayed open")
	}
}

// TestHubSubscribedAfterPurge: once the retention purged a room's old
// events, subscribed still names the room's seq (not 0), and live events
// follow without a gap being taken for a loss.
func TestHubSubscribedAfterPurge(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	last := f.post(t, f.svc, "alt")
	f.clock.Advance(91 * 24 * time.Hour) // past the audit retention: purged for good
	if _, err := f.svc.Purge(f.ctx); err != nil {
		t.Fatal(err)
	}
	_, sock := f.connect(t, f.member, 0)
	seqs, subscribed := sock.untilSubscribed(t)
	if len(seqs) != 0 || subscribed != last {
		t.Fatalf("after the purge: replay %v, subscribed at %d; want none and %d", seqs, subscribed, last)
	}
	next := f.post(t, f.svc, "neu")
	if e := sock.nextEvent(t); e.Seq != next {
		t.Fatalf("live event %d, want %d", e.Seq, next)
	}
}

// TestClientIDDoesNotBringBackHiddenMessages: a retry with the client_id
// of a message past the visible retention is refused, not answered with
// the hidden message.
func TestClientIDDoesNotBringBackHiddenMessages(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	d := chat.Draft{Kind: chat.KindText, Text: "Lage ruhig", ClientID: "phone-42"}
	first, created, err := f.svc.PostMessage(f.ctx, f.lead, f.chat, d)
	if err != nil || !created {
		t.Fatal(err)
	}
	again, created, err := f.svc.PostMessage(f.ctx, f.lead, f.chat, d)
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("a retry within the retention: %+v created %v, %v", again, created, err)
	}
	f.clock.Advance(8 * 24 * time.Hour)
	if m, _, err := f.svc.PostMessage(f.ctx, f.lead, f.chat, d); codeOf(err) != "client_id_reused" {
		t.Fatalf("a retry after the visible retention: %+v, %v", m, err)
	}
}

// TestHubPresence: a position that turns stale is sent again as stale
// within one position interval of the sweep, one that expires is removed,
// and a member who stops sharing leaves the map at once (a dead phone once
// stayed blue on the command map until the one-minute sweep).
func TestHubPresence(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{PositionInterval: 500 * time.Millisecond})
	f.svc.Start(f.ctx)
	t.Cleanup(f.svc.Close)
	_, lead := f.connect(t, f.lead, 0)
	lead.untilSubscribed(t)
	report := func() {
		t.Helper()
		p := geo.Position{Lat: 53.5457, Lon: 9.9664, AccuracyM: 5, TS: f.clock.Now()}
		if _, _, err := f.svc.ReportPositions(f.ctx, f.member, []geo.Position{p}); err != nil {
			t.Fatal(err)
		}
	}
	// next moves the clock by step until a positions frame about the
	// member arrives and returns it.
	next := func(step time.Duration) *einsatzraum.PositionsFrame {
		t.Helper()
		return f.advanceUntil(t, lead, step, 5*time.Millisecond, func(fr einsatzraum.Frame) bool {
			pf, ok := fr.(*einsatzraum.PositionsFrame)
			return ok && (len(pf.Items) > 0 || len(pf.Removed) > 0)
		}).(*einsatzraum.PositionsFrame)
	}
	report()
	if pf := next(500 * time.Millisecond); len(pf.Items) != 1 || pf.Items[0].Stale || pf.Items[0].Name != "Max" {
		t.Fatalf("first frame %+v", pf)
	}
	// Just past StaleAfter (5 min): the sweep (every second) reports it
	// stale and the next flush (every 500 ms) sends it, so the stale frame
	// comes within two more flush intervals of clock time. Real time is
	// given to the goroutines between steps, however busy the machine.
	f.clock.Advance(5*time.Minute + time.Second)
	var pf *einsatzraum.PositionsFrame
	for step := 0; pf == nil; step++ {
		if step == 4 {
			t.Fatal("no stale frame within 2 s of clock time after StaleAfter")
		}
		f.clock.Advance(500 * time.Millisecond)
		deadline := time.After(time.Second)
	wait:
		for {
			select {
			case fr := <-lead.frames:
				if p, ok := fr.(*einsatzraum.PositionsFrame); ok && len(p.Items) == 1 && p.Items[0].Stale {
					pf = p
					break wait
				}
			case <-deadline:
				break wait
			}
		}
	}
	pf = next(10 * time.Second) // past ExpireAfter (1 h): removed
	if len(pf.Removed) != 1 || pf.Removed[0] != f.member.User.ID {
		t.Fatalf("after ExpireAfter: %+v", pf)
	}
	// Sharing again, then stopping: off the map at once.
	report()
	next(500 * time.Millisecond)
	f.svc.StopSharing(f.ctx, f.member)
	if pf := next(500 * time.Millisecond); len(pf.Removed) != 1 {
		t.Fatalf("after stopping: %+v", pf)
	}
	fs, err := f.svc.Forces(f.ctx, f.lead, f.room, "")
	if err != nil || len(fs) != 2 {
		t.Fatalf("forces: %+v, %v", fs, err)
	}
	for _, fc := range fs {
		if fc.State != "offline" {
			t.Errorf("%s is %s after stopping, want offline", fc.User.Name, fc.State)
		}
	}
}
