package einsatzraum

import (
	"context"
	"sync"
	"time"

	"github.com/einsatzraum/einsatzraum/geo"
)

// Client is one live connection of an authenticated actor. A transport
// creates it with Hub.Connect, turns what its peer sends into the
// commands Subscribe, Unsubscribe, ReportPosition and BadFrame, and calls
// Detach when the socket's reader ends. What the client then receives is
// described in live_frames.go.
//
// Writes: at most one writer goroutine exists per socket, and only while
// there is something to write (frames, a ping, the close), so an idle
// connection costs no goroutine of ours.
type Client struct {
	hub   *Hub
	actor *Actor
	sock  Socket
	q     *outQueue

	ctx    context.Context // ends when the client closes
	cancel context.CancelFunc

	mu          sync.Mutex
	subs        map[string]*subscription
	closing     bool
	closeReason CloseReason
	flush       bool // write what is queued before closing
	closeC      chan struct{}
	badFrames   int
	writing     bool      // a writer goroutine runs
	needPing    bool      // the next writer pass sends a ping
	lastPing    time.Time // pongs to pings keep the reader's deadline alive
	finished    bool

	writerDone chan struct{} // closed once the socket is closed
}

// Connect registers a live connection.
func (h *Hub) Connect(a *Actor, sock Socket) *Client {
	ctx, cancel := context.WithCancel(h.ctx)
	c := &Client{hub: h, actor: a, sock: sock, q: newOutQueue(h.cfg.QueueLimit), ctx: ctx, cancel: cancel,
		subs: map[string]*subscription{}, closeC: make(chan struct{}), writerDone: make(chan struct{}), lastPing: h.svc.cfg.Clock.Now()}
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	h.metrics.connections.Inc()
	return c
}

// Done is closed once the client is closing.
func (c *Client) Done() <-chan struct{} { return c.closeC }

// Detach ends the client after its socket's reader stopped: subscriptions
// are dropped and the socket is closed.
func (c *Client) Detach() {
	c.Close(CloseNormal)
	<-c.writerDone
	c.mu.Lock()
	subs := c.subs
	c.subs = map[string]*subscription{}
	c.mu.Unlock()
	for _, s := range subs {
		s.end()
	}
	c.hub.mu.Lock()
	_, present := c.hub.clients[c]
	delete(c.hub.clients, c)
	c.hub.mu.Unlock()
	if present {
		c.hub.metrics.connections.Dec()
	}
}

// Close closes the connection for reason at once: the frame being written
// is finished, the queued ones are dropped.
func (c *Client) Close(reason CloseReason) { c.startClose(reason, false) }

// closeAfterFlush closes the connection for reason after writing what is
// queued (the wipe frame).
func (c *Client) closeAfterFlush(reason CloseReason) { c.startClose(reason, true) }

func (c *Client) startClose(reason CloseReason, flush bool) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing, c.closeReason, c.flush = true, reason, flush
	close(c.closeC)
	c.cancel()
	c.mu.Unlock()
	c.kick()
}

// send queues a frame without blocking; a full queue closes the client
// with CloseSlow.
func (c *Client) send(frame Frame) {
	if !c.q.push(frame) {
		c.hub.metrics.slowCloses.Inc()
		c.Close(CloseSlow)
		return
	}
	c.kick()
}

// ping asks the writer to send a ping when the last one is d ago. The
// peer's pong keeps the reader's deadline alive, busy or idle.
func (c *Client) ping(now time.Time, d time.Duration) {
	c.mu.Lock()
	due := now.Sub(c.lastPing) >= d
	if due {
		c.needPing, c.lastPing = true, now
	}
	c.mu.Unlock()
	if due {
		c.kick()
	}
}

// kick starts the writer goroutine unless one runs.
func (c *Client) kick() {
	c.mu.Lock()
	if c.writing || c.finished {
		c.mu.Unlock()
		return
	}
	c.writing = true
	c.mu.Unlock()
	go c.write()
}

// write is the writer: it writes queued frames and pings until there is
// nothing left, or closes the socket when the client is closing.
func (c *Client) write() {
	for {
		c.mu.Lock()
		closing, flush, ping := c.closing, c.flush, c.needPing
		c.needPing = false
		c.mu.Unlock()
		if closing {
			if flush {
				_ = c.writeQueued()
			}
			c.finish()
			return
		}
		if ping {
			if err := c.sock.Ping(time.Now().Add(c.hub.cfg.WriteTimeout)); err != nil {
				c.markClosing(CloseFailed)
				continue
			}
		}
		if err := c.writeQueued(); err != nil {
			c.markClosing(CloseFailed)
			continue
		}
		c.mu.Lock()
		if c.q.len() == 0 && !c.closing && !c.needPing {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
}

// markClosing marks the client closing from the writer itself, which
// goes on to close the socket.
func (c *Client) markClosing(reason CloseReason) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.closing, c.closeReason = true, reason
	close(c.closeC)
	c.cancel()
}

// writeQueued writes the queued frames. It stops early when the client is
// closing without flush, so a slow client's backlog is not written; the
// frame being written is always finished first (the socket never sees a
// close in the middle of a frame).
func (c *Client) writeQueued() error {
	for _, f := range c.q.take() {
		select {
		case <-c.closeC:
			c.mu.Lock()
			flush := c.flush
			c.mu.Unlock()
			if !flush {
				return nil
			}
		default:
		}
		if err := c.sock.Write(f, time.Now().Add(c.hub.cfg.WriteTimeout)); err != nil {
			return err
		}
		c.hub.metrics.framesSent.Inc()
	}
	return nil
}

func (c *Client) finish() {
	c.mu.Lock()
	reason := c.closeReason
	c.finished = true
	c.mu.Unlock()
	_ = c.sock.Close(reason, time.Now().Add(c.hub.cfg.WriteTimeout))
	close(c.writerDone)
}

// Subscribe follows room from since (0: from the start of what the actor
// may see): see live_frames.go for what arrives. A failure is sent to the
// client as an ErrorFrame and returned; a subscription to a room already
// followed restarts it.
func (c *Client) Subscribe(room string, since int64) error {
	if since < 0 {
		c.BadFrame(room, "invalid_since", "since must be >= 0")
		return Errorf(KindInvalid, "invalid_since", "since must be >= 0")
	}
	err := c.subscribe(room, since)
	if err == nil {
		c.goodFrame()
		return nil
	}
	if c.ctx.Err() != nil {
		return err // the connection is closing: nobody to tell
	}
	code, msg := "internal", "internal error"
	if de := AsError(err); de != nil {
		code, msg = de.Code, de.Message
	} else {
		c.hub.log.Error("hub: subscribe", "room", room, "err", err)
	}
	c.send(&ErrorFrame{Room: room, Code: code, Message: msg})
	return err
}

// Unsubscribe stops following room; unknown rooms are ignored.
func (c *Client) Unsubscribe(room string) {
	c.unsubscribe(room)
	c.goodFrame()
}

// ReportPosition takes the actor's position as POST /positions does; a
// rejected one is answered with an ErrorFrame and counts as a bad frame.
func (c *Client) ReportPosition(p geo.Position) {
	_, rejected, err := c.hub.svc.ReportPositions(c.ctx, c.actor, []geo.Position{p})
	if de := AsError(err); de != nil && de.Kind == KindRateLimited {
		c.BadFrame("", de.Code, de.Message) // a flood closes the socket (ClosePolicy)
		return
	}
	if err != nil {
		if c.ctx.Err() == nil {
			c.hub.log.Warn("hub: position", "err", err)
			c.send(&ErrorFrame{Code: "position_failed", Message: "the position could not be taken"})
		}
		return
	}
	if len(rejected) > 0 {
		c.BadFrame("", rejected[0].Code, rejected[0].Message)
		return
	}
	c.goodFrame()
}

// BadFrame answers something the client sent that the transport or the
// hub could not take with an ErrorFrame; MaxBadFrames of them in a row
// close the connection with ClosePolicy.
func (c *Client) BadFrame(room, code, message string) {
	c.hub.metrics.badFrames.Inc()
	c.send(&ErrorFrame{Room: room, Code: code, Message: message})
	c.mu.Lock()
	c.badFrames++
	tooMany := c.badFrames >= c.hub.cfg.MaxBadFrames
	c.mu.Unlock()
	if tooMany {
		c.closeAfterFlush(ClosePolicy)
	}
}

// goodFrame ends a run of bad frames.
func (c *Client) goodFrame() {
	c.mu.Lock()
	c.badFrames = 0
	c.mu.Unlock()
}

// dropSub ends s if it is still the client's subscription of its room.
func (c *Client) dropSub(s *subscription) {
	c.mu.Lock()
	if c.subs[s.room] == s {
		delete(c.subs, s.room)
	}
	c.mu.Unlock()
	s.end()
}

func (c *Client) unsubscribe(room string) {
	c.mu.Lock()
	s := c.subs[room]
	delete(c.subs, room)
	c.mu.Unlock()
	if s != nil {
		s.end()
	}
}

// subscribe replays the room's events after since that the actor may see,
// then goes live. A subscription to a room already followed restarts it.
func (c *Client) subscribe(room string, since int64) error {
	chats, gaps, seq, err := c.hub.svc.liveState(c.ctx, c.actor, room)
	if err != nil {
		return err
	}
	if since > seq {
		return Errorf(KindInvalid, "invalid_since", "since %d is after the room's last seq %d", since, seq)
	}
	c.unsubscribe(room)
	c.mu.Lock()
	if len(c.subs) >= c.hub.cfg.MaxSubscriptions {
		c.mu.Unlock()
		return Errorf(KindInvalid, "too_many_subscriptions", "at most %d rooms per connection", c.hub.cfg.MaxSubscriptions)
	}
	if c.closing {
		c.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(c.ctx)
	s := &subscription{client: c, room: room, lastSeq: since, replaying: true, chats: chats, gaps: gaps, memberSeq: seq, ctx: ctx, cancel: cancel}
	c.subs[room] = s
	c.mu.Unlock()

	f, err := c.hub.feedFor(ctx, room)
	if err != nil {
		c.unsubscribe(room)
		return err
	}
	f.mu.Lock()
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	c.hub.metrics.subscriptions.Inc()
	s.mu.Lock()
	ended := s.ended
	s.attached = !ended
	s.mu.Unlock()
	if ended { // unsubscribed while joining the feed
		c.hub.dropSubscription(s)
		return nil
	}
	c.send(c.hub.positions.snapshot(ctx, room))
	go s.replay()
	return nil
}

// liveState returns what a live subscription needs to filter a room's
// events for a: the chats a reads, the times a was out of them and the
// room's seq, from one snapshot. Non-members get 404 room_not_found.
func (s *Service) liveState(ctx context.Context, a *Actor, room string) (map[string]bool, map[string][]SeqRange, int64, error) {
	chats := map[string]bool{}
	gaps := map[string][]SeqRange{}
	var seq int64
	err := s.view(ctx, "live_state", func(tx Tx) error {
		if _, err := requireRoom(ctx, tx, a, room, ActViewRoom); err != nil {
			return err
		}
		r, err := tx.RoomByID(ctx, room)
		if err != nil {
			return err
		}
		seq = r.Seq
		cs, err := tx.ChatsOfUser(ctx, room, a.User.ID)
		if err != nil {
			return err
		}
		for _, c := range cs {
			chats[c.ID] = true
			g, err := tx.ChatGaps(ctx, c.ID, a.User.ID)
			if err != nil {
				return err
			}
			if len(g) > 0 {
				gaps[c.ID] = g
			}
		}
		return nil
	})
	return chats, gaps, seq, err
}

// subscription is one client's following of one room.
type subscription struct {
	client *Client
	room   string
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	lastSeq   int64 // last event seen (delivered or filtered out)
	replaying bool  // live events wait in pending while the store replay runs
	pending   []*liveEvent
	overflow  bool                  // pending overflowed; the replay reads them from the store
	chats     map[string]bool       // chats the user reads, as of memberSeq and the events after it
	gaps      map[string][]SeqRange // times the user was out of those chats, up to memberSeq
	memberSeq int64
	ended     bool
	attached  bool // registered with the room's feed and not yet dropped
}

// maxPending bounds the live events kept while a replay runs.
const maxPending = 4096

// offer takes a live event from the feed.
func (s *subscription) offer(le *liveEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	if s.replaying {
		if len(s.pending) < maxPending {
			s.pending = append(s.pending, le)
		} else {
			s.overflow = true
		}
		return
	}
	if le.Seq <= s.lastSeq {
		return
	}
	if le.Seq > s.lastSeq+1 { // cannot happen with a gap-free feed; recover anyway
		s.replaying = true
		s.pending = append(s.pending[:0], le)
		go s.replay()
		return
	}
	s.deliverLocked(le)
}

// deliverLocked applies le's membership change, queues its frame if the
// user may see it, and advances lastSeq. It reports false when the
// subscription ended because the user left the room.
func (s *subscription) deliverLocked(le *liveEvent) bool {
	user := s.client.actor.User.ID
	ch := le.change
	applies := le.Seq > s.memberSeq
	if applies && ch.joinChat[user] {
		s.chats[le.Chat] = true
	}
	visible := le.Subject == user || le.Chat == "" || (s.chats[le.Chat] && !inGaps(s.gaps[le.Chat], le.Seq))
	if applies && ch.leaveChat == user {
		delete(s.chats, le.Chat)
	}
	s.lastSeq = le.Seq
	if visible {
		s.client.send(le.frame)
	}
	if ch.leaveRoom == user {
		s.ended = true
		go s.client.dropSub(s)
		return false
	}
	return true
}

// replay sends stored events after lastSeq, then the live events that
// arrived meanwhile, then switches the subscription to live. It waits for
// room in the client's queue rather than overrun it.
func (s *subscription) replay() {
	limit := s.client.hub.cfg.QueueLimit
	cutoff := s.client.hub.svc.VisibleSince()
	for s.ctx.Err() == nil {
		s.mu.Lock()
		after := s.lastSeq
		s.mu.Unlock()
		var evs []Event
		err := s.client.hub.svc.view(s.ctx, "replay", func(tx Tx) (err error) {
			evs, err = tx.EventsAfter(s.ctx, s.room, after, replayPage)
			return err
		})
		if err != nil {
			if s.ctx.Err() == nil {
				s.client.hub.log.Warn("hub: replay", "room", s.room, "err", err)
				s.client.send(&ErrorFrame{Room: s.room, Code: "replay_failed", Message: "could not read the room's events; subscribe again"})
				s.client.dropSub(s)
			}
			return
		}
		for i := range evs {
			if err := s.client.q.waitBelow(s.ctx, limit/2); err != nil {
				return
			}
			if evs[i].CreatedAt.Before(cutoff) { // hidden by the visible retention: passed over, not sent
				s.mu.Lock()
				s.lastSeq = max(s.lastSeq, evs[i].Seq)
				s.mu.Unlock()
				continue
			}
			le := prepare(&evs[i])
			s.mu.Lock()
			ok := !s.ended && (le.Seq <= s.lastSeq || s.deliverLocked(le))
			s.mu.Unlock()
			if !ok {
				return
			}
		}
		if len(evs) == replayPage {
			continue
		}
		// The store holds nothing more: events up to the room's seq at
		// subscribe time that were not read were purged by the retention,
		// so the subscription has seen the room up to there.
		s.mu.Lock()
		s.lastSeq = max(s.lastSeq, s.memberSeq)
		s.mu.Unlock()
		if s.goLive() {
			return
		}
	}
}

// goLive drains the pending live events if they continue lastSeq without a
// gap and switches to live delivery; it reports whether it did.
func (s *subscription) goLive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return true
	}
	if s.overflow {
		s.overflow, s.pending = false, nil
		return false // the store has them: read again
	}
	for len(s.pending) > 0 {
		le := s.pending[0]
		if le.Seq > s.lastSeq+1 {
			return false // a gap: read the store again
		}
		s.pending = s.pending[1:]
		if le.Seq <= s.lastSeq {
			continue
		}
		if !s.deliverLocked(le) {
			return true
		}
	}
	s.pending, s.replaying = nil, false
	s.client.send(&SubscribedFrame{Room: s.room, Seq: s.lastSeq})
	return true
}

// end stops the subscription and detaches it from the feed.
func (s *subscription) end() {
	s.mu.Lock()
	s.ended = true
	attached := s.attached
	s.attached = false
	s.mu.Unlock()
	s.cancel()
	if attached {
		s.client.hub.dropSubscription(s)
	}
}
