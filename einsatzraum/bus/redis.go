package bus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

var (
	_ einsatzraum.Bus             = (*Redis)(nil)
	_ einsatzraum.LatestPositions = (*Redis)(nil)
)

// RedisConfig configures the Redis bus.
type RedisConfig struct {
	// URL is the Redis server, "redis://host:6379/0".
	URL string
	// Prefix namespaces every channel and key of this deployment (and of
	// each test run). Default "einsatzraum".
	Prefix string
	// Logger receives connection state changes; nil: slog.Default().
	Logger *slog.Logger
	// QueueLimit bounds the messages waiting to be published while Redis
	// is slow or gone; past it the oldest are dropped (the other nodes
	// fill the gap from the store). Default 100,000.
	QueueLimit int
	// Registry, when set, receives the bus metrics.
	Registry prometheus.Registerer
}

// nodeIDLen is the length of the node ID that starts every message on Redis.
const nodeIDLen = 16

// Redis is the Bus of a deployment with several nodes: Redis pub/sub, one
// channel per topic, one subscriber connection per node that follows only
// the topics this node's subscriptions use.
//
// Messages published on a node reach that node's own subscribers at once,
// in process, whether Redis answers or not; other nodes get them through
// Redis. Publishing never blocks: messages wait in a bounded queue that a
// publisher goroutine sends in pipelined batches, and keeps while Redis is
// gone, so that they go out late rather than never. Redis pub/sub is at
// most once, so subscribers must fill gaps in a room's seq from the
// store; OnReconnect tells them when a lost connection came back.
type Redis struct {
	client *redis.Client
	ps     *redis.PubSub
	prefix string
	node   string
	log    *slog.Logger
	local  *Memory
	limit  int

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	subMu   sync.Mutex // orders SUBSCRIBE and UNSUBSCRIBE commands
	mu      sync.Mutex
	refs    map[string]int           // channel -> subscriptions of this node following it
	waiters map[string]chan struct{} // channel -> closed when Redis confirms the SUBSCRIBE
	onRecon []func()

	qmu     sync.Mutex
	queue   []outMsg
	wake    chan struct{}
	up      atomic.Bool // the last publish worked
	subDown atomic.Bool // the subscriber connection is lost and not back yet
	metrics redisMetrics
}

type outMsg struct {
	channel string
	payload []byte
}

type redisMetrics struct {
	published, publishedBytes, dropped, received, reconnects prometheus.Counter
}

// NewRedis connects to Redis and starts the bus. It fails when Redis does
// not answer at start; later outages are ridden out.
func NewRedis(ctx context.Context, cfg RedisConfig) (*Redis, error) {
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("redis URL: %w", err)
	}
	opts.DialTimeout = 2 * time.Second
	opts.ReadTimeout = 2 * time.Second
	opts.WriteTimeout = 2 * time.Second
	opts.MaxRetries = 0 // the publisher retries itself, keeping order
	client := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("redis %s: %w", opts.Addr, err)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "einsatzraum"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.QueueLimit <= 0 {
		cfg.QueueLimit = 100_000
	}
	idBytes := make([]byte, nodeIDLen/2)
	_, _ = rand.Read(idBytes)
	bctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	r := &Redis{
		client: client, prefix: cfg.Prefix + ":", node: hex.EncodeToString(idBytes), log: cfg.Logger,
		local: NewMemory(), limit: cfg.QueueLimit, ctx: bctx, cancel: stop,
		refs: map[string]int{}, waiters: map[string]chan struct{}{}, wake: make(chan struct{}, 1),
		metrics: newRedisMetrics(cfg.Registry),
	}
	r.up.Store(true)
	r.ps = client.Subscribe(bctx)
	r.wg.Add(2)
	go r.receive()
	go r.publishLoop()
	return r, nil
}

func newRedisMetrics(reg prometheus.Registerer) redisMetrics {
	m := redisMetrics{
		published:      prometheus.NewCounter(prometheus.CounterOpts{Name: "einsatzraum_redis_published_total", Help: "Messages published to Redis."}),
		publishedBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "einsatzraum_redis_published_bytes_total", Help: "Payload bytes published to Redis (channel names included)."}),
		dropped:        prometheus.NewCounter(prometheus.CounterOpts{Name: "einsatzraum_redis_dropped_total", Help: "Messages dropped because the publish queue was full."}),
		received:       prometheus.NewCounter(prometheus.CounterOpts{Name: "einsatzraum_redis_received_total", Help: "Messages of other nodes received from Redis."}),
		reconnects:     prometheus.NewCounter(prometheus.CounterOpts{Name: "einsatzraum_redis_reconnects_total", Help: "Times the subscriber connection came back after a loss."}),
	}
	if reg != nil {
		reg.MustRegister(m.published, m.publishedBytes, m.dropped, m.received, m.reconnects)
	}
	return m
}

// Node is this bus's node ID, unique per process.
func (r *Redis) Node() string { return r.node }

// OnReconnect registers fn, called after the subscriber connection came
// back from a loss: messages may have been missed meanwhile.
func (r *Redis) OnReconnect(fn func()) {
	r.mu.Lock()
	r.onRecon = append(r.onRecon, fn)
	r.mu.Unlock()
}

// Publish delivers payload to this node's subscribers of topic at once and
// queues it for the other nodes. It never blocks on Redis.
func (r *Redis) Publish(ctx context.Context, topic string, payload []byte) error {
	if err := r.local.Publish(ctx, topic, payload); err != nil {
		return err
	}
	msg := make([]byte, 0, nodeIDLen+len(payload))
	msg = append(append(msg, r.node...), payload...)
	r.qmu.Lock()
	if len(r.queue) >= r.limit {
		drop := len(r.queue) - r.limit + 1
		r.queue = r.queue[drop:]
		r.metrics.dropped.Add(float64(drop))
	}
	r.queue = append(r.queue, outMsg{channel: r.prefix + topic, payload: msg})
	r.qmu.Unlock()
	signal(r.wake)
	return nil
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// publishBatch is how many queued messages one pipeline sends.
const publishBatch = 512

// publishLoop sends queued messages in order; on failure it keeps them
// and retries with backoff.
func (r *Redis) publishLoop() {
	defer r.wg.Done()
	backoff := 100 * time.Millisecond
	for {
		r.qmu.Lock()
		batch := r.queue[:min(len(r.queue), publishBatch)]
		r.qmu.Unlock()
		if len(batch) == 0 {
			select {
			case <-r.ctx.Done():
				return
			case <-r.wake:
				continue
			}
		}
		ctx, cancel := context.WithTimeout(r.ctx, 3*time.Second)
		pipe := r.client.Pipeline()
		bytes := 0
		for _, m := range batch {
			pipe.Publish(ctx, m.channel, m.payload)
			bytes += len(m.channel) + len(m.payload)
		}
		_, err := pipe.Exec(ctx)
		cancel()
		if err != nil {
			if r.ctx.Err() != nil {
				return
			}
			if r.up.Swap(false) {
				r.log.Warn("redis bus: publishing failed; this node keeps serving its own clients and retries", "err", err, "queued", len(batch))
			}
			select {
			case <-r.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		if !r.up.Swap(true) {
			r.log.Info("redis bus: publishing again")
		}
		backoff = 100 * time.Millisecond
		r.metrics.published.Add(float64(len(batch)))
		r.metrics.publishedBytes.Add(float64(bytes))
		r.qmu.Lock()
		n := copy(r.queue, r.queue[len(batch):])
		clear(r.queue[n:])
		r.queue = r.queue[:n]
		r.qmu.Unlock()
	}
}

// receive reads the subscriber connection until Close: it hands other
// nodes' messages to local subscribers and confirms subscriptions. go-redis
// reconnects and resubscribes on the next read after an error.
func (r *Redis) receive() {
	defer r.wg.Done()
	backoff := 100 * time.Millisecond
	broken := false
	for {
		msg, err := r.ps.Receive(r.ctx)
		if err != nil {
			if r.ctx.Err() != nil {
				return
			}
			if !broken {
				broken = true
				r.subDown.Store(true)
				r.log.Warn("redis bus: subscriber connection lost; this node keeps serving its own clients and reconnects", "err", err)
			}
			select {
			case <-r.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if broken {
			broken = false
			r.subDown.Store(false)
			r.metrics.reconnects.Inc()
			r.log.Info("redis bus: subscriber connection back; catching up from the store")
			r.mu.Lock()
			fns := append([]func(){}, r.onRecon...)
			r.mu.Unlock()
			for _, fn := range fns {
				fn()
			}
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				r.confirm(m.Channel)
			}
		case *redis.Message:
			r.deliver(m.Channel, m.Payload)
		}
	}
}

func (r *Redis) deliver(channel, payload string) {
	topic, ok := strings.CutPrefix(channel, r.prefix)
	if !ok || len(payload) < nodeIDLen || payload[:nodeIDLen] == r.node {
		return // not ours, or our own message (already delivered in process)
	}
	r.metrics.received.Inc()
	_ = r.local.Publish(r.ctx, topic, []byte(payload[nodeIDLen:]))
}

func (r *Redis) confirm(channel string) {
	r.mu.Lock()
	w := r.waiters[channel]
	delete(r.waiters, channel)
	r.mu.Unlock()
	if w != nil {
		close(w)
	}
}

// subscribeWait is how long Add waits for Redis to confirm a new channel.
const subscribeWait = 2 * time.Second

// follow subscribes this node to the channels of topics that no local
// subscription followed yet and waits until Redis confirms them, so that
// every message published after Add returns arrives. When Redis does not
// answer, follow logs and returns: go-redis subscribes on reconnect, and
// OnReconnect makes subscribers catch up.
func (r *Redis) follow(ctx context.Context, topics []string) {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	var fresh []string
	var waits []chan struct{}
	r.mu.Lock()
	for _, t := range topics {
		ch := r.prefix + t
		r.refs[ch]++
		if r.refs[ch] == 1 {
			w := make(chan struct{})
			r.waiters[ch] = w
			fresh, waits = append(fresh, ch), append(waits, w)
		}
	}
	r.mu.Unlock()
	if len(fresh) == 0 {
		return
	}
	if r.subDown.Load() {
		// Redis is gone: do not make the caller wait for a dial. go-redis
		// keeps the channels and subscribes them when it reconnects; then
		// OnReconnect makes subscribers catch up.
		go func() { _ = r.ps.Subscribe(context.WithoutCancel(ctx), fresh...) }()
		return
	}
	if err := r.ps.Subscribe(ctx, fresh...); err != nil {
		r.log.Warn("redis bus: subscribe failed; retried on reconnect", "channels", len(fresh), "err", err)
		return
	}
	timeout := time.NewTimer(subscribeWait)
	defer timeout.Stop()
	for _, w := range waits {
		select {
		case <-w:
		case <-timeout.C:
			r.log.Warn("redis bus: no subscribe confirmation; catching up after reconnect", "channels", len(fresh))
			return
		case <-ctx.Done():
			return
		}
	}
}

// unfollow drops the node's subscription to channels no local
// subscription follows any more.
func (r *Redis) unfollow(topics []string) {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	var gone []string
	r.mu.Lock()
	for _, t := range topics {
		ch := r.prefix + t
		if r.refs[ch] == 0 {
			continue
		}
		r.refs[ch]--
		if r.refs[ch] == 0 {
			delete(r.refs, ch)
			delete(r.waiters, ch)
			gone = append(gone, ch)
		}
	}
	r.mu.Unlock()
	if len(gone) == 0 {
		return
	}
	if err := r.ps.Unsubscribe(r.ctx, gone...); err != nil && r.ctx.Err() == nil {
		r.log.Debug("redis bus: unsubscribe", "err", err)
	}
}

// Subscribe returns a subscription to topics.
func (r *Redis) Subscribe(ctx context.Context, topics ...string) (einsatzraum.Subscription, error) {
	ls, err := r.local.Subscribe(ctx)
	if err != nil {
		return nil, err
	}
	s := &redisSub{bus: r, local: ls, topics: map[string]bool{}}
	if err := s.Add(ctx, topics...); err != nil {
		ls.Close()
		return nil, err
	}
	return s, nil
}

// Ping reports whether Redis answers.
func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// Close stops the bus; queued messages that were not sent are dropped.
func (r *Redis) Close() error {
	r.cancel()
	err := r.ps.Close()
	r.wg.Wait()
	return errors.Join(err, r.local.Close(), r.client.Close())
}

// redisSub is one subscription: local delivery through the in-process
// bus, with the node following the topics' Redis channels meanwhile.
type redisSub struct {
	bus   *Redis
	local einsatzraum.Subscription

	mu     sync.Mutex
	topics map[string]bool
	closed bool
}

func (s *redisSub) C() <-chan einsatzraum.BusMsg { return s.local.C() }

func (s *redisSub) Add(ctx context.Context, topics ...string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	var fresh []string
	for _, t := range topics {
		if !s.topics[t] {
			s.topics[t] = true
			fresh = append(fresh, t)
		}
	}
	s.mu.Unlock()
	if err := s.local.Add(ctx, fresh...); err != nil {
		return err
	}
	s.bus.follow(ctx, fresh)
	return nil
}

func (s *redisSub) Remove(ctx context.Context, topics ...string) error {
	s.mu.Lock()
	var gone []string
	for _, t := range topics {
		if s.topics[t] {
			delete(s.topics, t)
			gone = append(gone, t)
		}
	}
	s.mu.Unlock()
	if err := s.local.Remove(ctx, gone...); err != nil {
		return err
	}
	s.bus.unfollow(gone)
	return nil
}

func (s *redisSub) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var all []string
	for t := range s.topics {
		all = append(all, t)
	}
	s.topics = nil
	s.mu.Unlock()
	s.bus.unfollow(all)
	return s.local.Close()
}

// latestKey is the Redis key of a user's latest position.
func (r *Redis) latestKey(user string) string { return r.prefix + "pos:" + user }

// SaveLatest stores each position as its user's latest, expiring after ttl.
func (r *Redis) SaveLatest(ctx context.Context, ps []geo.Position, ttl time.Duration) error {
	if len(ps) == 0 {
		return nil
	}
	pipe := r.client.Pipeline()
	for _, p := range ps {
		b, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("encode position: %w", err)
		}
		pipe.Set(ctx, r.latestKey(p.User), b, ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: save latest positions: %w", err)
	}
	return nil
}

// ForgetLatest deletes the users' latest positions (they stopped sharing).
func (r *Redis) ForgetLatest(ctx context.Context, users []string) error {
	if len(users) == 0 {
		return nil
	}
	keys := make([]string, len(users))
	for i, u := range users {
		keys[i] = r.latestKey(u)
	}
	if err := r.client.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("redis: forget latest positions: %w", err)
	}
	return nil
}

// LoadLatest returns every latest position that has not expired.
func (r *Redis) LoadLatest(ctx context.Context) ([]geo.Position, error) {
	var out []geo.Position
	iter := r.client.Scan(ctx, 0, r.prefix+"pos:*", 1000).Iterator()
	var keys []string
	flush := func() error {
		if len(keys) == 0 {
			return nil
		}
		vals, err := r.client.MGet(ctx, keys...).Result()
		if err != nil {
			return err
		}
		for _, v := range vals {
			s, ok := v.(string)
			if !ok {
				continue // expired between SCAN and MGET
			}
			var p geo.Position
			if err := json.Unmarshal([]byte(s), &p); err == nil && p.User != "" {
				out = append(out, p)
			}
		}
		keys = keys[:0]
		return nil
	}
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 500 {
			if err := flush(); err != nil {
				return nil, fmt.Errorf("redis: load latest positions: %w", err)
			}
		}
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("redis: scan latest positions: %w", err)
	}
	if err := flush(); err != nil {
		return nil, fmt.Errorf("redis: load latest positions: %w", err)
	}
	return out, nil
}

// slogPrintf routes go-redis's own log lines to a slog logger at debug
// level: the bus logs connection state changes itself, once each.
type slogPrintf struct{ log *slog.Logger }

func (l slogPrintf) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}

// RouteRedisLogs sends go-redis's process-wide log output to log at debug
// level. Call it once from main.
func RouteRedisLogs(log *slog.Logger) { redis.SetLogger(slogPrintf{log: log}) }

var _ einsatzraum.Limiter = (*Redis)(nil)

// limitKey is the Redis key of a rate limit counter.
func (r *Redis) limitKey(key string) string { return r.prefix + "limit:" + key }

// Hit counts one event for key in a fixed window shared by every node:
// the first hit of a window starts its expiry.
func (r *Redis) Hit(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	k := r.limitKey(key)
	pipe := r.client.TxPipeline()
	incr := pipe.Incr(ctx, k)
	pipe.ExpireNX(ctx, k, window) // whole seconds: windows are minutes long
	ttl := pipe.PTTL(ctx, k)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, 0, fmt.Errorf("redis: rate limit: %w", err)
	}
	return incr.Val(), max(ttl.Val(), 0), nil
}

// Count returns key's count in its current window.
func (r *Redis) Count(ctx context.Context, key string) (int64, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	k := r.limitKey(key)
	pipe := r.client.Pipeline()
	get := pipe.Get(ctx, k)
	ttl := pipe.PTTL(ctx, k)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, 0, fmt.Errorf("redis: rate limit: %w", err)
	}
	n, _ := get.Int64()
	return n, max(ttl.Val(), 0), nil
}

// revocationKey holds the deployment's revocation counter.
func (r *Redis) revocationKey() string { return r.limitKey("revocations") }

// RevocationGen returns the revocation counter (einsatzraum.Revocations):
// a node trusts its cached tokens only while it stands still.
func (r *Redis) RevocationGen(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	n, err := r.client.Get(ctx, r.revocationKey()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redis: revocation counter: %w", err)
	}
	return n, nil
}

// BumpRevocationGen moves the revocation counter on.
func (r *Redis) BumpRevocationGen(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := r.client.Incr(ctx, r.revocationKey()).Err(); err != nil {
		return fmt.Errorf("redis: revocation counter: %w", err)
	}
	return nil
}
