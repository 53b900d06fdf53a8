package einsatzraum

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Socket is one client connection as the hub sees it, implemented by each
// transport (WebSocket in package web, TAK in package cot). Only the
// client's writer goroutine calls Write, Ping and Close.
type Socket interface {
	// Write encodes f in the transport's format (once per frame, through
	// Encode) and sends it; it fails once deadline passes.
	Write(f Frame, deadline time.Time) error
	// Ping asks the peer for a sign of life, where the transport has one.
	Ping(deadline time.Time) error
	// Close tells the peer why the connection ends (where the transport
	// can) and closes the connection, which ends the reader too.
	Close(reason CloseReason, deadline time.Time) error
}

// DefaultPingInterval is how often the hub pings a socket unless
// HubConfig says otherwise.
const DefaultPingInterval = 25 * time.Second

// HubConfig tunes the live delivery.
type HubConfig struct {
	// QueueLimit is how many frames may wait for one connection before it
	// is closed with CloseSlow. Default 1024.
	QueueLimit int
	// WriteTimeout bounds one frame write. Default 10s.
	WriteTimeout time.Duration
	// PingInterval is how often the writer pings an idle socket. Default 25s.
	PingInterval time.Duration
	// MaxSubscriptions bounds the rooms one connection follows. Default 100.
	MaxSubscriptions int
	// MaxBadFrames is how many bad frames in a row close a connection with
	// ClosePolicy. Default 20.
	MaxBadFrames int
	// ResyncInterval is how often an idle room feed checks the store for
	// events the bus lost. Default 10s; negative disables it.
	ResyncInterval time.Duration
	// PositionInterval is how often coalesced positions frames go out per
	// room. Default 500ms (2 per second).
	PositionInterval time.Duration
	// DeviceCheckInterval is how often the hub reads the devices revoked
	// lately from the store and closes their connections, in case the
	// bus lost the revocation (a node cut off from Redis when a phone was
	// wiped). It also runs after every bus reconnect. Default 30s.
	DeviceCheckInterval time.Duration
}

func (c *HubConfig) defaults() {
	if c.QueueLimit <= 0 {
		c.QueueLimit = 1024
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.MaxSubscriptions <= 0 {
		c.MaxSubscriptions = 100
	}
	if c.MaxBadFrames <= 0 {
		c.MaxBadFrames = 20
	}
	if c.ResyncInterval == 0 {
		c.ResyncInterval = 10 * time.Second
	}
	if c.PositionInterval <= 0 {
		c.PositionInterval = 500 * time.Millisecond
	}
	if c.DeviceCheckInterval <= 0 {
		c.DeviceCheckInterval = 30 * time.Second
	}
}

// replayPage is how many events a replay reads from the store at once.
const replayPage = 500

// feedInbox bounds the bus messages waiting for a room feed; past it the
// feed catches up from the store instead.
const feedInbox = 64

// Hub delivers room events to the connections of this node. It follows the
// bus topics of the rooms its connections subscribe to, puts each room's
// events in seq order without gaps (filling gaps from the store), and hands
// each event to the connections that may see it. Publishers never block: a
// connection whose queue is full is closed with CloseSlow and resumes later.
type Hub struct {
	svc     *Service
	bus     Bus
	cfg     HubConfig
	log     *slog.Logger
	metrics *hubMetrics

	ctx    context.Context
	cancel context.CancelFunc
	sub    Subscription

	recheck chan struct{} // asks for a revocation check now (bus reconnect)

	mu        sync.Mutex
	feeds     map[string]*feed
	clients   map[*Client]struct{}
	wg        sync.WaitGroup
	positions *positionFanout
}

// NewHub starts a hub that receives events from bus. reg may be nil.
func NewHub(ctx context.Context, svc *Service, bus Bus, cfg HubConfig, reg prometheus.Registerer) (*Hub, error) {
	cfg.defaults()
	sub, err := bus.Subscribe(ctx, RevokedDevicesTopic)
	if err != nil {
		return nil, fmt.Errorf("hub: subscribe to bus: %w", err)
	}
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h := &Hub{
		svc: svc, bus: bus, cfg: cfg, log: svc.log, metrics: newHubMetrics(reg),
		ctx: hctx, cancel: cancel, sub: sub, recheck: make(chan struct{}, 1),
		feeds: map[string]*feed{}, clients: map[*Client]struct{}{},
	}
	h.positions = newPositionFanout(h)
	svc.tracker.OnChange(h.positions.changed)
	h.wg.Add(4)
	go h.receive()
	go func() { defer h.wg.Done(); h.checkRevocations(hctx) }()
	go func() { defer h.wg.Done(); h.positions.run(hctx, cfg.PositionInterval) }()
	go func() { defer h.wg.Done(); h.pingIdle(hctx) }()
	return h, nil
}

// pingIdle asks every connection that wrote nothing for a ping interval to
// send a ping, so dead peers are found and proxies keep the socket open.
func (h *Hub) pingIdle(ctx context.Context) {
	t := h.svc.cfg.Clock.NewTicker(h.cfg.PingInterval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C():
			for _, c := range h.allClients() {
				c.ping(now, h.cfg.PingInterval)
			}
		}
	}
}

// checkRevocations closes the connections of devices revoked lately, read
// from the store every DeviceCheckInterval and after a bus reconnect: a
// revocation the bus lost still ends the wiped phone's connection. Each
// check reads the revocations since the last good check, with a minute of
// overlap for clocks that differ between nodes.
func (h *Hub) checkRevocations(ctx context.Context) {
	clock := h.svc.cfg.Clock
	t := clock.NewTicker(h.cfg.DeviceCheckInterval)
	defer t.Stop()
	since := clock.Now().Add(-time.Minute)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		case <-h.recheck:
		}
		started := clock.Now()
		var ids []string
		err := h.svc.view(ctx, "devices_revoked", func(tx Tx) (err error) {
			ids, err = tx.DevicesRevokedSince(ctx, since)
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("hub: check revoked devices", "err", err)
			}
			continue // the next check covers the same span
		}
		for _, id := range ids {
			if n := h.CloseDevice(id); n > 0 {
				h.log.Info("hub: closed a revoked device's connections the bus had not", "device", id, "connections", n)
			}
		}
		since = started.Add(-time.Minute)
	}
}

// receive hands bus messages to the room feeds. It never blocks on a feed:
// a feed whose inbox is full is marked to catch up from the store.
func (h *Hub) receive() {
	defer h.wg.Done()
	for msg := range h.sub.C() {
		if msg.Topic == RevokedDevicesTopic {
			h.svc.ForgetDevice(string(msg.Payload))
			h.CloseDevice(string(msg.Payload))
			continue
		}
		room, ok := strings.CutPrefix(msg.Topic, "room:")
		if !ok {
			continue
		}
		var e Event
		if err := json.Unmarshal(msg.Payload, &e); err != nil || e.Room != room {
			h.log.Warn("hub: bad event on bus", "topic", msg.Topic, "err", err)
			continue
		}
		h.mu.Lock()
		f := h.feeds[room]
		h.mu.Unlock()
		if f != nil {
			f.offer(&e)
		}
	}
}

// Resync makes every room feed check the store for events it may have
// missed, and the open connections for devices revoked meanwhile; the bus
// calls it after it reconnected.
func (h *Hub) Resync() {
	signal(h.recheck)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.feeds {
		f.lost.Store(true)
		signal(f.wake)
	}
}

// Shutdown closes every connection with CloseGoingAway and stops the hub.
func (h *Hub) Shutdown() {
	clients := h.allClients()
	for _, c := range clients {
		c.Close(CloseGoingAway)
	}
	for _, c := range clients {
		<-c.writerDone
	}
	h.cancel()
	h.sub.Close()
	h.wg.Wait()
}

// allClients returns the connections of this node at this moment.
func (h *Hub) allClients() []*Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Client, 0, len(h.clients))
	for c := range h.clients {
		out = append(out, c)
	}
	return out
}

// CloseDevice closes every connection of a device with the wipe frame and
// CloseRevoked; it returns how many it closed.
func (h *Hub) CloseDevice(deviceID string) int {
	h.mu.Lock()
	var hit []*Client
	for c := range h.clients {
		if c.actor.Device != nil && c.actor.Device.ID == deviceID {
			hit = append(hit, c)
		}
	}
	h.mu.Unlock()
	for _, c := range hit {
		c.q.push(&WipeFrame{}) // a full queue drops it; the close still comes
		c.closeAfterFlush(CloseRevoked)
	}
	return len(hit)
}

// feedFor returns the room's feed, creating it (and following its bus
// topic) when it is the first subscription on this node.
func (h *Hub) feedFor(ctx context.Context, room string) (*feed, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f := h.feeds[room]; f != nil {
		return f, nil
	}
	if err := h.sub.Add(ctx, RoomTopic(room)); err != nil {
		return nil, fmt.Errorf("follow room %s: %w", room, err)
	}
	// The topic is followed first, then the room's seq is read: every
	// event after that seq arrives on the bus, every one before is in the store.
	var seq int64
	err := h.svc.view(ctx, "feed_seq", func(tx Tx) error {
		r, err := tx.RoomByID(ctx, room)
		if err == nil {
			seq = r.Seq
		}
		return err
	})
	if err != nil {
		_ = h.sub.Remove(ctx, RoomTopic(room))
		return nil, err
	}
	f := &feed{hub: h, room: room, seq: seq, inbox: make(chan *Event, feedInbox), wake: make(chan struct{}, 1),
		subs: map[*subscription]struct{}{}, stop: make(chan struct{})}
	h.feeds[room] = f
	h.metrics.feeds.Inc()
	h.wg.Add(1)
	go f.run()
	return f, nil
}

// dropSubscription removes s from its feed and drops the feed when it was
// the last one.
func (h *Hub) dropSubscription(s *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.feeds[s.room]
	if f == nil {
		return
	}
	f.mu.Lock()
	_, present := f.subs[s]
	delete(f.subs, s)
	empty := len(f.subs) == 0
	f.mu.Unlock()
	if !present {
		return
	}
	h.metrics.subscriptions.Dec()
	if empty {
		delete(h.feeds, s.room)
		close(f.stop)
		h.metrics.feeds.Dec()
		if err := h.sub.Remove(h.ctx, RoomTopic(s.room)); err != nil {
			h.log.Warn("hub: unfollow room", "room", s.room, "err", err)
		}
	}
}

// feed is one room's event stream on this node, in seq order and gap-free.
type feed struct {
	hub   *Hub
	room  string
	inbox chan *Event
	wake  chan struct{}
	lost  atomic.Bool // the inbox overflowed or the bus reconnected: catch up from the store
	stop  chan struct{}

	mu   sync.Mutex
	subs map[*subscription]struct{}
	seq  int64 // last event handed to subscribers; only the run goroutine writes it
}

func (f *feed) offer(e *Event) {
	select {
	case f.inbox <- e:
	default:
		f.lost.Store(true)
		signal(f.wake)
		f.hub.metrics.feedOverflows.Inc()
	}
}

func (f *feed) run() {
	defer f.hub.wg.Done()
	var tick <-chan time.Time
	if f.hub.cfg.ResyncInterval > 0 {
		t := f.hub.svc.cfg.Clock.NewTicker(f.hub.cfg.ResyncInterval)
		defer t.Stop()
		tick = t.C()
	}
	for {
		select {
		case <-f.stop:
			return
		case <-f.hub.ctx.Done():
			return
		case e := <-f.inbox:
			f.handle(e)
		case <-f.wake:
		case <-tick:
			f.lost.Store(true)
		}
		if f.lost.Swap(false) {
			f.catchUp(0)
		}
	}
}

// handle dispatches e after any events between the last one and e, which
// it reads from the store.
func (f *feed) handle(e *Event) {
	if e.Seq <= f.seq {
		return
	}
	if e.Seq > f.seq+1 {
		f.hub.metrics.gapFills.Inc()
		f.catchUp(e.Seq - 1)
		if e.Seq <= f.seq {
			return
		}
		if e.Seq != f.seq+1 {
			f.lost.Store(true) // the store read failed; the next catch-up brings e too
			return
		}
	}
	f.dispatch(e)
}

// catchUp reads events after f.seq from the store (up to upTo, 0 meaning
// all) and dispatches them.
func (f *feed) catchUp(upTo int64) {
	for {
		var evs []Event
		err := f.hub.svc.view(f.hub.ctx, "feed_catch_up", func(tx Tx) (err error) {
			evs, err = tx.EventsAfter(f.hub.ctx, f.room, f.seq, replayPage)
			return err
		})
		if err != nil {
			if f.hub.ctx.Err() == nil {
				f.hub.log.Warn("hub: catch up from store", "room", f.room, "err", err)
				f.lost.Store(true) // try again on the next tick
			}
			return
		}
		for i := range evs {
			if upTo > 0 && evs[i].Seq > upTo {
				return
			}
			f.dispatch(&evs[i])
		}
		if len(evs) < replayPage {
			return
		}
	}
}

func (f *feed) dispatch(e *Event) {
	f.seq = e.Seq
	le := prepare(e)
	for _, s := range f.subscribers() {
		s.offer(le)
	}
	f.hub.metrics.events.Inc()
}

// subscribers returns the feed's subscriptions at this moment.
func (f *feed) subscribers() []*subscription {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*subscription, 0, len(f.subs))
	for s := range f.subs {
		out = append(out, s)
	}
	return out
}

type hubMetrics struct {
	connections, subscriptions, feeds prometheus.Gauge
	events, framesSent, slowCloses    prometheus.Counter
	badFrames, feedOverflows          prometheus.Counter
	gapFills, positionFrames          prometheus.Counter
}

func newHubMetrics(reg prometheus.Registerer) *hubMetrics {
	m := &hubMetrics{
		connections:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "einsatzraum_hub_connections", Help: "Open live connections on this node."}),
		subscriptions:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "einsatzraum_hub_subscriptions", Help: "Room subscriptions of live connections on this node."}),
		feeds:          prometheus.NewGauge(prometheus.GaugeOpts{Name: "einsatzraum_hub_rooms", Help: "Rooms this node follows on the bus."}),
		events:         prometheus.NewCounter(prometheus.CounterOpts{Name: "einsatzraum_hub_events_total", Help: "Room events fanned out by this node."}),
		framesSent:     prometheus.NewCounter(prometheus.CounterOpts{Name: "einsatzraum_hub_frames_sent_total", Help: "Frames written to live connections."}),
		slowCloses:     prometheus.NewCounter(prometheus.CounterOpts{Name: "einsatzraum_hub_queue_drops_total", Help: "Connections closed because their queue was full."}),
		badFrames:      prometheus.NewCounter(prometheus.CounterOpts{Name: "einsatzraum_hub_bad_frames_total", Help: "Malformed or unknown frames received."}),
		feedOverflows:  prometheus.NewCounter(prometheus.CounterOpts{Name: "einsatzraum_hub_feed_overflows_total", Help: "Bus messages a busy room feed left for the store catch-up."}),
		gapFills:       prometheus.NewCounter(prometheus.CounterOpts{Name: "einsatzraum_hub_gap_fills_total", Help: "Seq gaps filled from the store."}),
		positionFrames: prometheus.NewCounter(prometheus.CounterOpts{Name: "einsatzraum_hub_position_frames_total", Help: "Coalesced positions frames built (one per room and interval)."}),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.subscriptions, m.feeds, m.events, m.framesSent, m.slowCloses, m.badFrames, m.feedOverflows, m.gapFills, m.positionFrames)
	}
	return m
}
