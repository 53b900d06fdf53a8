package einsatzraum

import (
	"context"
	"sync"
)

// outQueue is a connection's bounded queue of frames. It allocates nothing
// while empty, so idle connections stay small. push never blocks; replays,
// which the server paces itself, use waitBelow first.
type outQueue struct {
	mu     sync.Mutex
	frames []Frame
	limit  int
	space  chan struct{} // signalled when frames were taken
}

func newOutQueue(limit int) *outQueue {
	return &outQueue{limit: limit, space: make(chan struct{}, 1)}
}

// push appends f unless the queue is full; it reports whether it did.
func (q *outQueue) push(f Frame) bool {
	q.mu.Lock()
	if len(q.frames) >= q.limit {
		q.mu.Unlock()
		return false
	}
	q.frames = append(q.frames, f)
	q.mu.Unlock()
	return true
}

// waitBelow waits until fewer than n frames are queued.
func (q *outQueue) waitBelow(ctx context.Context, n int) error {
	for {
		if q.len() < n {
			return nil
		}
		select {
		case <-q.space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// take removes and returns every queued frame.
func (q *outQueue) take() []Frame {
	q.mu.Lock()
	fs := q.frames
	q.frames = nil
	q.mu.Unlock()
	if len(fs) > 0 {
		signal(q.space)
	}
	return fs
}

func (q *outQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.frames)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
