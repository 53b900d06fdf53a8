// Package bus implements einsatzraum.Bus: in-process (the embedded default,
// one node) and over Redis pub/sub (several nodes).
package bus

import (
	"context"
	"errors"
	"sync"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

var _ einsatzraum.Bus = (*Memory)(nil)

// ErrClosed is returned by a closed bus or subscription.
var ErrClosed = errors.New("bus closed")

// Memory is the in-process bus. Publish never blocks and never drops: each
// subscription has an unbounded queue that a pump goroutine drains into
// its channel, so memory is bounded by how fast subscribers read.
type Memory struct {
	mu     sync.Mutex
	topics map[string]map[*memorySub]struct{}
	subs   map[*memorySub]struct{}
	closed bool
}

// NewMemory returns an empty in-process bus.
func NewMemory() *Memory {
	return &Memory{topics: map[string]map[*memorySub]struct{}{}, subs: map[*memorySub]struct{}{}}
}

// Publish queues payload for every subscription of topic.
func (m *Memory) Publish(_ context.Context, topic string, payload []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for s := range m.topics[topic] {
		s.push(einsatzraum.BusMsg{Topic: topic, Payload: payload})
	}
	return nil
}

// Subscribe returns a subscription to topics.
func (m *Memory) Subscribe(ctx context.Context, topics ...string) (einsatzraum.Subscription, error) {
	s := &memorySub{bus: m, topics: map[string]bool{}, out: make(chan einsatzraum.BusMsg, 64), wake: make(chan struct{}, 1), done: make(chan struct{})}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	m.subs[s] = struct{}{}
	m.mu.Unlock()
	if err := s.Add(ctx, topics...); err != nil {
		return nil, err
	}
	go s.pump()
	return s, nil
}

// Ping always succeeds on an open bus.
func (m *Memory) Ping(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	return nil
}

// Close ends every subscription.
func (m *Memory) Close() error {
	m.mu.Lock()
	subs := m.subs
	m.subs, m.topics, m.closed = map[*memorySub]struct{}{}, map[string]map[*memorySub]struct{}{}, true
	m.mu.Unlock()
	for s := range subs {
		s.stop()
	}
	return nil
}

type memorySub struct {
	bus    *Memory
	topics map[string]bool // guarded by bus.mu

	qmu   sync.Mutex
	queue []einsatzraum.BusMsg
	wake  chan struct{}
	out   chan einsatzraum.BusMsg
	once  sync.Once
	done  chan struct{}
}

func (s *memorySub) C() <-chan einsatzraum.BusMsg { return s.out }

func (s *memorySub) Add(_ context.Context, topics ...string) error {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	if s.bus.closed {
		return ErrClosed
	}
	for _, t := range topics {
		s.topics[t] = true
		if s.bus.topics[t] == nil {
			s.bus.topics[t] = map[*memorySub]struct{}{}
		}
		s.bus.topics[t][s] = struct{}{}
	}
	return nil
}

func (s *memorySub) Remove(_ context.Context, topics ...string) error {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	for _, t := range topics {
		s.removeLocked(t)
	}
	return nil
}

func (s *memorySub) removeLocked(t string) {
	delete(s.topics, t)
	if subs := s.bus.topics[t]; subs != nil {
		delete(subs, s)
		if len(subs) == 0 {
			delete(s.bus.topics, t)
		}
	}
}

func (s *memorySub) Close() error {
	s.bus.mu.Lock()
	for t := range s.topics {
		s.removeLocked(t)
	}
	delete(s.bus.subs, s)
	s.bus.mu.Unlock()
	s.stop()
	return nil
}

func (s *memorySub) stop() { s.once.Do(func() { close(s.done) }) }

func (s *memorySub) push(msg einsatzraum.BusMsg) {
	s.qmu.Lock()
	s.queue = append(s.queue, msg)
	s.qmu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pump moves queued messages to the channel until the subscription ends,
// then closes the channel.
func (s *memorySub) pump() {
	defer close(s.out)
	for {
		s.qmu.Lock()
		batch := s.queue
		s.queue = nil
		s.qmu.Unlock()
		for _, msg := range batch {
			select {
			case s.out <- msg:
			case <-s.done:
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-s.wake:
		case <-s.done:
			return
		}
	}
}
