package einsatzraum

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/einsatzraum/einsatzraum/geo"
)

// MapConfig tunes live positions.
type MapConfig struct {
	StaleAfter  time.Duration // a position is stale after this; default 5 min
	ExpireAfter time.Duration // and leaves the map after this; default 1 h
	MaxSkew     time.Duration // how far a report may be ahead of our clock; default 30 s
	MaxAge      time.Duration // how old a reported point may be (a phone's offline buffer); default 24 h
	MaxBatch    int           // positions per report; default 1000
	// PointsPerMinute is how many points one device may report per minute
	// on every transport together, after a first burst of MaxBatch
	// (default 300: one every 0.2 s); negative: no limit.
	PointsPerMinute int
	// GeofenceMarginM is the hysteresis band on each side of a geofence's
	// edge in metres (default geofence.DefaultMargin, 15 m).
	GeofenceMarginM float64
}

func (c *MapConfig) defaults() {
	if c.StaleAfter <= 0 {
		c.StaleAfter = 5 * time.Minute
	}
	if c.ExpireAfter <= 0 {
		c.ExpireAfter = time.Hour
	}
	if c.MaxSkew <= 0 {
		c.MaxSkew = 30 * time.Second
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 24 * time.Hour
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 1000
	}
	if c.PointsPerMinute == 0 {
		c.PointsPerMinute = 300
	}
}

// AcceptedPositions counts the positions this node took since it started.
func (s *Service) AcceptedPositions() uint64 { return s.accepted.Load() }

// Tracker returns the live position tracker.
func (s *Service) Tracker() *geo.Tracker { return s.tracker }

// Rejected is one refused point of a position report.
type Rejected struct {
	Index   int    `json:"index"`
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ReportPositions takes positions from the caller's device. Each point is
// validated on its own: good points are kept (the newest becomes the live
// position in every room of the caller; all go to the track history), bad
// ones are returned. A device reports at most MapConfig.PointsPerMinute
// points (after a burst of MaxBatch): the newest points that fit are
// taken, the older ones rejected with rate_limited; with none fitting the
// error is 429 rate_limited. An error means nothing was taken.
func (s *Service) ReportPositions(ctx context.Context, a *Actor, ps []geo.Position) (accepted int, rejected []Rejected, err error) {
	if len(ps) == 0 {
		return 0, nil, Errorf(KindInvalid, "no_positions", "items must hold at least one position")
	}
	if len(ps) > s.cfg.Map.MaxBatch {
		return 0, nil, Errorf(KindInvalid, "too_many_positions", "at most %d positions per report", s.cfg.Map.MaxBatch)
	}
	now := s.Now()
	type point struct {
		index int // in ps
		geo.Position
	}
	good := make([]point, 0, len(ps))
	for i := range ps {
		p := ps[i]
		p.User = a.User.ID
		if err := p.Validate(now, s.cfg.Map.MaxSkew, s.cfg.Map.MaxAge); err != nil {
			ie := err.(*geo.InputError)
			rejected = append(rejected, Rejected{Index: i, Field: ie.Field, Code: ie.Code, Message: ie.Msg})
			continue
		}
		p.TS = p.TS.UTC().Truncate(time.Microsecond)
		good = append(good, point{i, p})
	}
	if len(good) == 0 {
		return 0, rejected, nil
	}
	sort.SliceStable(good, func(i, j int) bool { return good[i].TS.Before(good[j].TS) })
	budgetKey := "user:" + a.User.ID
	if a.Device != nil {
		budgetKey = a.Device.ID
	}
	if n := s.points.take(budgetKey, len(good), now); n < len(good) {
		if n == 0 {
			return 0, nil, &Error{Kind: KindRateLimited, Code: "rate_limited", RetryAfter: time.Second,
				Message: fmt.Sprintf("a device reports at most %d positions a minute", s.cfg.Map.PointsPerMinute)}
		}
		for _, p := range good[:len(good)-n] { // the newest points are taken
			rejected = append(rejected, Rejected{Index: p.index, Field: "ts", Code: "rate_limited", Message: "over the device's position rate; newer points were taken"})
		}
		good = good[len(good)-n:]
	}
	rooms, err := s.memberships.roomsOf(ctx, s, a.User.ID)
	if err != nil {
		return 0, nil, err
	}
	kept := make([]geo.Position, len(good))
	for i, p := range good {
		kept[i] = p.Position
	}
	latest := kept[len(kept)-1]
	if s.tracker.Update(latest, rooms) && s.clustered() {
		s.share.add(latest)
	}
	s.trackLog.add(kept)
	s.accepted.Add(uint64(len(kept)))
	s.checkFences(ctx, a.User.ID, rooms, kept, false)
	return len(kept), rejected, nil
}

// StopSharing takes the caller off every room's map at once, on every
// node (DELETE /positions/me). Their track history stays; the next
// position they report shares again.
func (s *Service) StopSharing(ctx context.Context, a *Actor) {
	s.share.drop(a.User.ID) // a position not yet shared must not bring them back
	s.tracker.Forget(a.User.ID)
	s.fences.Forget(a.User.ID)
	if s.clustered() {
		s.shareStop(ctx, a.User.ID)
	}
}

// LivePosition is a position on a room's map with the member's call sign.
type LivePosition struct {
	geo.Entry
	Callsign  string   `json:"callsign"`
	Name      string   `json:"name"`
	DistanceM *float64 `json:"distance_m,omitempty"`
}

// PositionQuery selects live positions of a room.
type PositionQuery struct {
	Room string
	Chat string    // only this chat's members; "" for all
	BBox *geo.BBox // only inside; nil for all
}

// Positions returns the room's live positions.
func (s *Service) Positions(ctx context.Context, a *Actor, q PositionQuery) ([]LivePosition, error) {
	keep, err := s.positionFilter(ctx, a, q.Room, q.Chat)
	if err != nil {
		return nil, err
	}
	var es []geo.Entry
	if q.BBox != nil {
		es = s.tracker.InBBox(q.Room, *q.BBox, keep)
	} else {
		es = s.tracker.All(q.Room, keep)
	}
	return s.withNames(ctx, es, nil)
}

// positionFilter checks that the caller sees the room's map and returns
// the filter of a positions query: every member of the room (nil), or
// with chatID only the members of that chat (which the caller must read).
// A room-wide query reads no store: the caller's rooms are cached
// (memberships), the positions and names are in memory.
func (s *Service) positionFilter(ctx context.Context, a *Actor, roomID, chatID string) (geo.Filter, error) {
	if chatID == "" {
		if rooms, err := s.memberships.roomsOf(ctx, s, a.User.ID); err == nil && slices.Contains(rooms, roomID) {
			return nil, nil
		}
	}
	var keep geo.Filter
	err := s.view(ctx, "position_filter", func(tx Tx) (err error) {
		keep, err = chatFilter(ctx, tx, a, roomID, chatID)
		return err
	})
	return keep, err
}

// chatFilter is positionFilter read from the store.
func chatFilter(ctx context.Context, tx Tx, a *Actor, roomID, chatID string) (geo.Filter, error) {
	if _, err := requireRoom(ctx, tx, a, roomID, ActViewRoom); err != nil {
		return nil, err
	}
	if chatID == "" {
		return nil, nil
	}
	c, err := requireChat(ctx, tx, a, chatID, ActReadChat)
	if err != nil {
		return nil, err
	}
	if c.Room != roomID {
		return nil, Errorf(KindNotFound, "chat_not_found", "no such chat in this room")
	}
	ms, err := tx.ChatMembers(ctx, chatID)
	if err != nil {
		return nil, err
	}
	in := make(map[string]bool, len(ms))
	for _, m := range ms {
		in[m.User.ID] = true
	}
	return func(u string) bool { return in[u] }, nil
}

// Extent is the "show all forces" box of a room's live positions (or a
// chat's members'); 404 no_positions when there are none.
func (s *Service) Extent(ctx context.Context, a *Actor, room, chatID string) (geo.BBox, int, error) {
	keep, err := s.positionFilter(ctx, a, room, chatID)
	if err != nil {
		return geo.BBox{}, 0, err
	}
	b, n, ok := s.tracker.RoomExtent(room, keep)
	if !ok {
		return b, n, Errorf(KindNotFound, "no_positions", "no live positions to show")
	}
	return b, n, nil
}

// MaxNearbyLimit bounds a nearby query's answer.
const MaxNearbyLimit = 1000

// Nearby returns the room's live positions within radiusM metres of
// (lat, lon), nearest first.
func (s *Service) Nearby(ctx context.Context, a *Actor, room string, lat, lon, radiusM float64, limit int) ([]LivePosition, error) {
	if err := geo.ValidateLatLon(lat, lon); err != nil {
		return nil, err
	}
	if !(radiusM > 0) || radiusM > 25_000_000 {
		return nil, Errorf(KindInvalid, "invalid_radius_m", "radius_m must be in (0, 25000000]")
	}
	if limit <= 0 || limit > MaxNearbyLimit {
		limit = min(max(limit, 0), MaxNearbyLimit)
		if limit == 0 {
			limit = 100
		}
	}
	keep, err := s.positionFilter(ctx, a, room, "")
	if err != nil {
		return nil, err
	}
	hits := s.tracker.Nearby(room, orb.Point{lon, lat}, radiusM, limit, keep)
	es := make([]geo.Entry, len(hits))
	dist := make([]float64, len(hits))
	for i, h := range hits {
		es[i], dist[i] = h.Entry, h.DistanceM
	}
	return s.withNames(ctx, es, dist)
}

// withNames adds the members' call signs and names (from the name cache).
func (s *Service) withNames(ctx context.Context, es []geo.Entry, dist []float64) ([]LivePosition, error) {
	out := make([]LivePosition, len(es))
	if len(es) == 0 {
		return out, nil
	}
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.User
	}
	byID, err := s.userRefs(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, e := range es {
		out[i] = LivePosition{Entry: e, Callsign: byID[e.User].Callsign, Name: byID[e.User].Name}
		if dist != nil {
			out[i].DistanceM = &dist[i]
		}
	}
	return out, nil
}

// memberships caches the rooms of each user for position reports. A
// membership change invalidates the user's entry; the generation counter
// keeps a load that raced with the change from being cached.
type memberships struct {
	mu    sync.Mutex
	rooms map[string][]string
	gen   map[string]uint64
}

func newMemberships() *memberships {
	return &memberships{rooms: map[string][]string{}, gen: map[string]uint64{}}
}

func (m *memberships) roomsOf(ctx context.Context, s *Service, user string) ([]string, error) {
	m.mu.Lock()
	rooms, ok := m.rooms[user]
	gen := m.gen[user]
	m.mu.Unlock()
	if ok {
		return rooms, nil
	}
	var rs []Room
	err := s.view(ctx, "rooms_of_user", func(tx Tx) (err error) {
		rs, err = tx.RoomsOfUser(ctx, user)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("rooms of %s: %w", user, err)
	}
	rooms = make([]string, len(rs))
	for i, r := range rs {
		rooms[i] = r.ID
	}
	m.mu.Lock()
	if m.gen[user] == gen {
		m.rooms[user] = rooms
	}
	m.mu.Unlock()
	return rooms, nil
}

func (m *memberships) invalidate(user string) {
	m.mu.Lock()
	delete(m.rooms, user)
	m.gen[user]++
	m.mu.Unlock()
}

// membershipChanged runs after a commit that added user to room or removed
// them: the position shows there at once, or leaves at once.
func (s *Service) membershipChanged(room, user string, joined bool) {
	s.applyMembership(room, user, joined)
	if s.clustered() {
		s.publishMembership(room, user, joined)
	}
}

// applyMembership updates this node's view of user's rooms.
func (s *Service) applyMembership(room, user string, joined bool) {
	s.memberships.invalidate(user)
	if joined {
		s.tracker.Join(room, user)
	} else {
		s.tracker.Leave(room, user)
	}
}

// trackLog writes accepted positions to the track history in batches, off
// the request path: a report is acknowledged once it is in the tracker.
type trackLog struct {
	mu      sync.Mutex
	pending []geo.Position
	spare   []geo.Position // the last written batch, emptied: next pending's array
	wake    chan struct{}
	dropped int
}

// maxPendingTrack bounds the positions waiting for the history writer.
const maxPendingTrack = 200_000

func (l *trackLog) add(ps []geo.Position) {
	l.mu.Lock()
	if len(l.pending)+len(ps) > maxPendingTrack {
		l.dropped += len(ps)
	} else {
		l.pending = append(l.pending, ps...)
	}
	l.mu.Unlock()
	signal(l.wake)
}

func (l *trackLog) take() ([]geo.Position, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ps, d := l.pending, l.dropped
	l.pending, l.spare, l.dropped = l.spare, nil, 0
	return ps, d
}

// recycle hands back a batch that take returned and that is written: its
// array takes the next positions, so that a busy history does not grow a
// new slice from nothing every flush.
func (l *trackLog) recycle(ps []geo.Position) {
	clear(ps) // drop the user IDs it points to
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending == nil {
		l.pending = ps[:0]
	} else if l.spare == nil {
		l.spare = ps[:0]
	}
}

// runTrackLog flushes the track history every 250 ms until ctx ends, then
// once more.
func (s *Service) runTrackLog(ctx context.Context) {
	flush := func() {
		ps, dropped := s.trackLog.take()
		if dropped > 0 {
			s.log.Warn("track history overloaded: positions not kept in the history", "dropped", dropped)
		}
		if len(ps) == 0 {
			return
		}
		wctx := context.WithoutCancel(ctx) // the last flush runs after ctx ended: it must still write
		err := s.update(wctx, "insert_positions", func(w *write) error { return w.InsertPositions(wctx, ps, w.now) })
		if err != nil {
			s.log.Error("write track history", "positions", len(ps), "err", err)
		}
		s.trackLog.recycle(ps)
	}
	t := s.cfg.Clock.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			flush()
			return
		case <-t.C():
			flush()
		}
	}
}

// restoreLatestPositions puts each user's newest point of the track
// history that has not expired back on the map, so that a restart of a
// single node does not empty the live map (the points show stale when
// they are). A failure is logged: the map then fills as officers report.
func (s *Service) restoreLatestPositions(ctx context.Context) {
	var ps []geo.Position
	err := s.view(ctx, "latest_positions", func(tx Tx) (err error) {
		ps, err = tx.LatestPositions(ctx, s.Now().Add(-s.cfg.Map.ExpireAfter))
		return err
	})
	if err != nil {
		s.log.Warn("restore the live map from the track history; it fills as officers report", "err", err)
		return
	}
	for _, p := range ps {
		rooms, err := s.memberships.roomsOf(ctx, s, p.User)
		if err != nil {
			s.log.Warn("restore a position: the user's rooms", "user", p.User, "err", err)
			continue
		}
		s.tracker.Update(p, rooms)
	}
	if len(ps) > 0 {
		s.log.Info("live map restored from the track history", "positions", len(ps))
	}
}

// sweepInterval is how often expired positions leave the map and stale
// ones are shown stale: a dead phone never shows live for longer.
const sweepInterval = time.Second

// runSweeper removes expired positions from the map and reports the ones
// that turned stale, every sweepInterval.
func (s *Service) runSweeper(ctx context.Context) {
	t := s.cfg.Clock.NewTicker(sweepInterval)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			s.tracker.Sweep()
			if n%60 == 0 { // once a minute is enough for the rate buckets
				s.points.sweep(s.Now())
			}
		}
	}
}
