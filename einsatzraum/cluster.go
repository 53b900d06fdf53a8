package einsatzraum

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/einsatzraum/einsatzraum/geo"
)

// Cluster configures a node that shares the live map with other nodes.
// The zero value is a single node: nothing is shared.
type Cluster struct {
	// Node is this node's ID, unique per process; "" disables sharing.
	Node string
	// Latest keeps every user's latest position for all nodes (Redis with
	// expiry), so that a node that starts later knows the map at once.
	Latest LatestPositions
	// Revocations is the deployment's revocation counter: a node trusts
	// its cached tokens only while the counter stands where it stood when
	// it cached them, so a wiped token fails on its very next request on
	// every node.
	Revocations Revocations
}

// Revocations counts token revocations for all nodes (Redis INCR/GET).
type Revocations interface {
	RevocationGen(ctx context.Context) (int64, error)
	BumpRevocationGen(ctx context.Context) error
}

// shareInterval is how often accepted positions go out to the other
// nodes, in one bus message.
const shareInterval = 100 * time.Millisecond

// LatestPositions is where the nodes of a deployment keep each user's
// latest position.
type LatestPositions interface {
	// SaveLatest stores each position as its user's latest, expiring after ttl.
	SaveLatest(ctx context.Context, ps []geo.Position, ttl time.Duration) error
	// LoadLatest returns the latest positions that have not expired.
	LoadLatest(ctx context.Context) ([]geo.Position, error)
	// ForgetLatest deletes the users' latest positions.
	ForgetLatest(ctx context.Context, users []string) error
}

// Topics that every node of a cluster follows.
const (
	// PositionsTopic carries positions accepted on one node to the others.
	PositionsTopic = "positions"
	// MembershipTopic carries room membership changes, so that every node's
	// tracker shows a member's position in the right rooms at once.
	MembershipTopic = "members"
)

type sharedPositions struct {
	Node    string         `json:"node"`
	Items   []geo.Position `json:"items"`
	Stopped []string       `json:"stopped,omitempty"` // users who stopped sharing: off the map on every node
}

type roomMembership struct {
	Node   string `json:"node"`
	Room   string `json:"room"`
	User   string `json:"user"`
	Joined bool   `json:"joined"`
}

// positionShare collects this node's accepted positions (latest per user)
// until the next share.
type positionShare struct {
	mu      sync.Mutex
	pending map[string]geo.Position
}

func (ps *positionShare) add(p geo.Position) {
	ps.mu.Lock()
	if old, ok := ps.pending[p.User]; !ok || p.TS.After(old.TS) {
		ps.pending[p.User] = p
	}
	ps.mu.Unlock()
}

func (ps *positionShare) drop(user string) {
	ps.mu.Lock()
	delete(ps.pending, user)
	ps.mu.Unlock()
}

func (ps *positionShare) take() []geo.Position {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if len(ps.pending) == 0 {
		return nil
	}
	out := make([]geo.Position, 0, len(ps.pending))
	for _, p := range ps.pending {
		out = append(out, p)
	}
	clear(ps.pending)
	return out
}

func (s *Service) clustered() bool { return s.cfg.Cluster.Node != "" && s.bus != nil }

// runCluster shares this node's positions and applies other nodes'
// positions and membership changes until ctx ends.
func (s *Service) runCluster(ctx context.Context) {
	sub, err := s.bus.Subscribe(ctx, PositionsTopic, MembershipTopic, FencesTopic)
	if err != nil {
		s.log.Error("cluster: follow positions of other nodes", "err", err)
		return
	}
	defer sub.Close()
	if s.cfg.Cluster.Latest != nil {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ps, err := s.cfg.Cluster.Latest.LoadLatest(lctx)
		cancel()
		if err != nil {
			s.log.Warn("cluster: load the latest positions; the map fills as officers report", "err", err)
		}
		s.applyRemotePositions(ctx, ps)
		s.log.Info("cluster: loaded latest positions", "count", len(ps))
	}
	t := s.cfg.Clock.NewTicker(shareInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.sharePositions(context.WithoutCancel(ctx))
			return
		case <-t.C():
			s.sharePositions(ctx)
		case msg, ok := <-sub.C():
			if !ok {
				return
			}
			s.applyClusterMessage(ctx, msg)
		}
	}
}

// sharePositions sends the positions accepted since the last call to the
// other nodes and keeps them as the users' latest.
func (s *Service) sharePositions(ctx context.Context) {
	ps := s.share.take()
	if len(ps) == 0 {
		return
	}
	payload, err := json.Marshal(sharedPositions{Node: s.cfg.Cluster.Node, Items: ps})
	if err != nil {
		s.log.Error("cluster: encode positions", "err", err)
		return
	}
	if err := s.bus.Publish(ctx, PositionsTopic, payload); err != nil {
		s.log.Warn("cluster: share positions", "err", err)
	}
	if s.cfg.Cluster.Latest != nil {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := s.cfg.Cluster.Latest.SaveLatest(sctx, ps, s.cfg.Map.ExpireAfter); err != nil {
			s.log.Warn("cluster: keep latest positions", "count", len(ps), "err", err)
		}
	}
}

func (s *Service) applyClusterMessage(ctx context.Context, msg BusMsg) {
	switch msg.Topic {
	case PositionsTopic:
		var sp sharedPositions
		if err := json.Unmarshal(msg.Payload, &sp); err != nil {
			s.log.Warn("cluster: bad positions message", "err", err)
			return
		}
		if sp.Node != s.cfg.Cluster.Node {
			s.applyRemotePositions(ctx, sp.Items)
			for _, u := range sp.Stopped {
				s.tracker.Forget(u)
				s.fences.Forget(u)
			}
		}
	case MembershipTopic:
		var mc roomMembership
		if err := json.Unmarshal(msg.Payload, &mc); err != nil {
			s.log.Warn("cluster: bad membership message", "err", err)
			return
		}
		if mc.Node != s.cfg.Cluster.Node {
			s.applyMembership(mc.Room, mc.User, mc.Joined)
		}
	case FencesTopic:
		var fc fencesChanged
		if err := json.Unmarshal(msg.Payload, &fc); err != nil {
			s.log.Warn("cluster: bad fences message", "err", err)
			return
		}
		if fc.Node != s.cfg.Cluster.Node {
			s.reloadFences(ctx, fc.Room)
		}
	}
}

// shareStop tells the other nodes (and the shared latest positions) that
// user stopped sharing.
func (s *Service) shareStop(ctx context.Context, user string) {
	payload, err := json.Marshal(sharedPositions{Node: s.cfg.Cluster.Node, Stopped: []string{user}})
	if err != nil {
		return
	}
	if err := s.bus.Publish(ctx, PositionsTopic, payload); err != nil {
		s.log.Warn("cluster: share a stop of sharing", "err", err)
	}
	if s.cfg.Cluster.Latest != nil {
		if err := s.cfg.Cluster.Latest.ForgetLatest(ctx, []string{user}); err != nil {
			s.log.Warn("cluster: forget a latest position", "err", err)
		}
	}
}

// applyRemotePositions puts positions accepted by other nodes into this
// node's tracker, in every room of their users.
func (s *Service) applyRemotePositions(ctx context.Context, ps []geo.Position) {
	for _, p := range ps {
		if p.User == "" || geo.ValidateLatLon(p.Lat, p.Lon) != nil {
			continue
		}
		rooms, err := s.memberships.roomsOf(ctx, s, p.User)
		if err != nil {
			s.log.Warn("cluster: rooms of a remote position", "user", p.User, "err", err)
			continue
		}
		s.tracker.Update(p, rooms)
		s.checkFences(ctx, p.User, rooms, []geo.Position{p}, true)
	}
}

// publishMembership tells the other nodes that user joined or left room.
func (s *Service) publishMembership(room, user string, joined bool) {
	payload, err := json.Marshal(roomMembership{Node: s.cfg.Cluster.Node, Room: room, User: user, Joined: joined})
	if err != nil {
		return
	}
	if err := s.bus.Publish(context.Background(), MembershipTopic, payload); err != nil {
		s.log.Warn("cluster: share membership change", "room", room, "err", err)
	}
}
