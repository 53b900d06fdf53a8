package einsatzraum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/einsatzraum/einsatzraum/layers"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/geo"
	"github.com/einsatzraum/einsatzraum/geo/geocode"
	"github.com/einsatzraum/einsatzraum/geo/geofence"
)

// Config is what the service needs to know about its deployment.
type Config struct {
	// EmailDomains are the official domains users' emails must belong to
	// (the domain itself or a subdomain). Empty means no user can be created.
	EmailDomains []string
	// Clock is the time and the tickers of the background work; nil means
	// the wall clock.
	Clock Clock
	// Logger receives the service's logs; nil means slog.Default().
	Logger *slog.Logger
	// Metrics, when set, records store latencies.
	Metrics *Metrics
	// Map tunes live positions.
	Map MapConfig
	// Layers is the catalogue of data layers; nil: none are kept.
	Layers *layers.Catalog
	// Places is the basemap's geocoding index (places, streets, addresses,
	// points of interest); nil: only POIs and layers are searched.
	Places *geocode.Index
	// Files configures attachments; without Blobs, uploads are refused.
	Files Files
	// Cluster shares the live map with other nodes; zero for one node.
	Cluster Cluster
	// Limiter counts for the rate limits; nil counts in this process.
	Limiter Limiter
	// RateLimits sets the limits on logins and writes.
	RateLimits RateLimits
	// Retention sets how long content is visible and kept.
	Retention Retention
	// TokenIdle is how long a device token lives without use; 0: forever.
	TokenIdle time.Duration
	// DeviceApproval makes every new device (but administrators') wait for
	// an administrator's approval before it may read or write anything.
	DeviceApproval bool
	// Mailer sends confirmation and password reset links; nil turns
	// self-registration and reset off.
	Mailer Mailer
	// PublicURL gives the address users open (the links in mails point
	// there); it may change once the server listens.
	PublicURL func() string
	// Directory, when set, owns the passwords of its accounts (LDAP); a
	// login makes the local account, DirectoryRefresh (default 15 min)
	// disables those gone or disabled there.
	Directory        Directory
	DirectoryRefresh time.Duration
	// RequireTOTP names the global roles whose accounts must use a second
	// factor.
	RequireTOTP []GlobalRole
}

// Service runs every command of the domain: it checks permissions,
// validates, writes the change and its room events in one transaction, and
// publishes the events after commit. It is safe for concurrent use.
type Service struct {
	store     Store
	bus       Bus
	cfg       Config
	log       *slog.Logger
	dummyHash string
	hashes    *hashGate
	points    *pointBudget
	tracker   *geo.Tracker
	fences    *geofence.Index
	tokens    *tokenCache
	// revocationFail is when reading the cluster's revocation counter last
	// failed (UnixNano; 0: never).
	revocationFail atomic.Int64
	accepted       atomic.Uint64 // positions taken, for the bench
	names          *nameCache
	memberships    *memberships
	trackLog       *trackLog
	share          *positionShare
	posts          *postGroups
	limiter        Limiter
	stop           context.CancelFunc
	done           sync.WaitGroup
}

// NewService returns a service over store that publishes room events on
// bus (nil: events are only stored).
func NewService(store Store, bus Bus, cfg Config) *Service {
	if cfg.Clock == nil {
		cfg.Clock = SystemClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	for i, d := range cfg.EmailDomains {
		cfg.EmailDomains[i] = strings.ToLower(strings.TrimSpace(d))
	}
	cfg.Map.defaults()
	cfg.RateLimits.defaults()
	cfg.Retention.defaults()
	var limiter Limiter = NewMemoryLimiter(cfg.Clock.Now)
	if cfg.Limiter != nil {
		limiter = &fallbackLimiter{primary: cfg.Limiter, local: limiter, log: cfg.Logger, now: time.Now}
	}
	if cfg.Files.Limits == (chat.Limits{}) {
		cfg.Files.Limits = chat.DefaultLimits
	}
	if cfg.Files.Limits.Images == nil { // one budget for every upload of the process
		cfg.Files.Limits.Images = chat.NewImageBudget(chat.DefaultImageBudget)
	}
	return &Service{
		store: store, bus: bus, cfg: cfg, log: cfg.Logger, dummyHash: HashPassword("einsatzraum-dummy"),
		tracker:     geo.NewTracker(geo.TrackerConfig{StaleAfter: cfg.Map.StaleAfter, ExpireAfter: cfg.Map.ExpireAfter, Now: cfg.Clock.Now}),
		fences:      geofence.New(cfg.Map.GeofenceMarginM),
		tokens:      newTokenCache(),
		posts:       newPostGroups(store),
		names:       &nameCache{refs: map[string]cachedRef{}},
		memberships: newMemberships(),
		trackLog:    &trackLog{wake: make(chan struct{}, 1)},
		share:       &positionShare{pending: map[string]geo.Position{}},
		limiter:     limiter,
		hashes:      newHashGate(cfg.RateLimits.PasswordHashes, cfg.RateLimits.PasswordQueue),
		points:      newPointBudget(cfg.Map.PointsPerMinute, cfg.Map.MaxBatch),
		stop:        func() {},
	}
}

// Start runs the service's background work (the track history writer and
// the sweeper of expired positions) until Close.
func (s *Service) Start(ctx context.Context) {
	ctx, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	if !s.clustered() { // a cluster loads them from Redis (runCluster)
		s.restoreLatestPositions(ctx)
	}
	if err := s.loadAllFences(ctx); err != nil {
		s.log.Error("geofences stay off until the next retention run", "err", err)
	}
	s.done.Add(2)
	go func() { defer s.done.Done(); s.runTrackLog(ctx) }()
	go func() { defer s.done.Done(); s.runSweeper(ctx) }()
	if s.clustered() {
		s.done.Add(1)
		go func() { defer s.done.Done(); s.runCluster(ctx) }()
	}
	s.done.Add(1)
	go func() { defer s.done.Done(); s.runRetention(ctx) }()
	if s.cfg.Directory != nil {
		if s.cfg.DirectoryRefresh <= 0 {
			s.cfg.DirectoryRefresh = 15 * time.Minute
		}
		s.done.Add(1)
		go func() { defer s.done.Done(); s.runDirectoryRefresh(ctx) }()
	}
}

// Close stops the background work, writing what is pending.
func (s *Service) Close() {
	s.stop()
	s.done.Wait()
}

// Store returns the service's store, for components (the hub) that read
// the event log directly.
func (s *Service) Store() Store { return s.store }

// Now returns the service clock's time, truncated to microseconds (what the
// store keeps).
func (s *Service) Now() time.Time { return s.cfg.Clock.Now().UTC().Truncate(time.Microsecond) }

// Ready reports whether the store and the bus answer.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if s.bus != nil {
		if err := s.bus.Ping(ctx); err != nil {
			return fmt.Errorf("bus: %w", err)
		}
	}
	return nil
}

// write is a read-write transaction that collects the events it appends,
// so that the service can publish them once the transaction has committed.
type write struct {
	Tx
	now    time.Time
	events []Event
}

// emit appends a room event of type typ with a fresh seq. chatID limits it
// to that chat's members; subject is the user it concerns. fields become
// the event object, with "type" added.
func (w *write) emit(ctx context.Context, room, typ, chatID, subject string, fields map[string]any) (int64, error) {
	seq, err := w.NextSeq(ctx, room)
	if err != nil {
		return 0, fmt.Errorf("next seq of room %s: %w", room, err)
	}
	return seq, w.appendAt(ctx, seq, room, typ, chatID, subject, fields)
}

// appendAt appends an event with a seq already taken by NextSeq.
func (w *write) appendAt(ctx context.Context, seq int64, room, typ, chatID, subject string, fields map[string]any) error {
	e, err := w.event(seq, room, typ, chatID, subject, fields)
	if err != nil {
		return err
	}
	if err := w.AppendEvent(ctx, &e); err != nil {
		return fmt.Errorf("append %s event: %w", typ, err)
	}
	w.events = append(w.events, e)
	return nil
}

// event makes the event appendAt stores: fields with "type" added.
func (w *write) event(seq int64, room, typ, chatID, subject string, fields map[string]any) (Event, error) {
	fields["type"] = typ
	data, err := json.Marshal(fields)
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return Event{Room: room, Seq: seq, Type: typ, Chat: chatID, Subject: subject, Data: data, CreatedAt: w.now}, nil
}

// update runs fn in a read-write transaction named op (for metrics) and
// publishes the events fn emitted after the commit.
func (s *Service) update(ctx context.Context, op string, fn func(w *write) error) error {
	events, err := s.commit(ctx, op, fn)
	if err != nil {
		return err
	}
	s.publish(ctx, events)
	return nil
}

// commit runs fn in a read-write transaction named op and returns the
// events fn emitted, for the caller to publish once committed.
func (s *Service) commit(ctx context.Context, op string, fn func(w *write) error) ([]Event, error) {
	var w *write
	start := time.Now()
	err := s.store.Tx(ctx, func(tx Tx) error {
		w = &write{Tx: tx, now: s.Now()}
		return fn(w)
	})
	s.cfg.Metrics.observeStore(op, start, err)
	if err != nil {
		return nil, err
	}
	return w.events, nil
}

// view runs fn in a read-only transaction named op.
func (s *Service) view(ctx context.Context, op string, fn func(tx Tx) error) error {
	start := time.Now()
	err := s.store.View(ctx, fn)
	s.cfg.Metrics.observeStore(op, start, err)
	return err
}

// publish hands committed events to the bus. A failed publish loses
// nothing: the events are stored, and subscribers fill the seq gap from
// the store.
func (s *Service) publish(ctx context.Context, events []Event) {
	if s.bus == nil {
		return
	}
	for i := range events {
		payload, err := json.Marshal(&events[i])
		if err != nil {
			s.log.Error("encode event for bus", "room", events[i].Room, "seq", events[i].Seq, "err", err)
			continue
		}
		if err := s.bus.Publish(context.WithoutCancel(ctx), RoomTopic(events[i].Room), payload); err != nil {
			s.log.Warn("publish event; subscribers will catch up from the store", "room", events[i].Room, "seq", events[i].Seq, "err", err)
		}
	}
}

// notFound turns a store's ErrNotFound into a not-found error with code;
// other errors pass through.
func notFound(err error, code, format string, args ...any) error {
	if errors.Is(err, ErrNotFound) {
		return Errorf(KindNotFound, code, format, args...)
	}
	return err
}
