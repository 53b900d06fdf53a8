//go:build linux

package web

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// readPoller tells which sockets have bytes to read, so that an idle
// connection needs no goroutine of its own: one epoll instance; each socket
// is armed once (EPOLLONESHOT), and re-armed by its reader after the bytes
// were read, so at most one goroutine reads a socket at a time. Re-arming
// a socket that has bytes waiting reports it again at once.
type readPoller struct {
	log  *slog.Logger
	epfd int

	mu      sync.Mutex
	conns   map[int32]*wsConn // by file descriptor
	stopped bool
	done    chan struct{}
}

const pollEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

// newReadPoller starts a poller; stop ends it.
func newReadPoller(log *slog.Logger) (*readPoller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	p := &readPoller{log: log, epfd: epfd, conns: map[int32]*wsConn{}, done: make(chan struct{})}
	go p.run()
	return p, nil
}

// add registers c's socket (c.raw), armed.
func (p *readPoller) add(c *wsConn) error {
	var fd int32
	if err := c.raw.Control(func(f uintptr) { fd = int32(f) }); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return errors.New("poller stopped")
	}
	c.fd = fd
	p.conns[fd] = c
	if err := p.ctl(unix.EPOLL_CTL_ADD, c.raw, fd); err != nil {
		delete(p.conns, fd)
		return fmt.Errorf("epoll add: %w", err)
	}
	return nil
}

// arm asks for the next readable report of c's socket.
func (p *readPoller) arm(c *wsConn) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped || p.conns[c.fd] != c {
		return errors.New("socket not polled")
	}
	return p.ctl(unix.EPOLL_CTL_MOD, c.raw, c.fd)
}

// remove forgets c's socket; call it before closing the socket.
func (p *readPoller) remove(c *wsConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped || p.conns[c.fd] != c {
		return
	}
	delete(p.conns, c.fd)
	_ = p.ctl(unix.EPOLL_CTL_DEL, c.raw, c.fd)
}

// ctl runs epoll_ctl while the socket's descriptor is held open.
func (p *readPoller) ctl(op int, rc syscall.RawConn, fd int32) error {
	var err error
	cerr := rc.Control(func(uintptr) {
		ev := unix.EpollEvent{Events: pollEvents, Fd: fd}
		err = unix.EpollCtl(p.epfd, op, int(fd), &ev)
	})
	return errors.Join(cerr, err)
}

// run waits for readable sockets and starts a reader goroutine for each.
// It wakes twice a second to notice stop.
func (p *readPoller) run() {
	defer close(p.done)
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(p.epfd, events, 500)
		p.mu.Lock()
		if p.stopped {
			unix.Close(p.epfd)
			p.mu.Unlock()
			return
		}
		if err != nil {
			p.mu.Unlock()
			if errors.Is(err, unix.EINTR) {
				continue
			}
			p.log.Error("live: epoll_wait failed; sockets are no longer read", "err", err)
			return
		}
		ready := make([]*wsConn, 0, n)
		for _, ev := range events[:n] {
			if c := p.conns[ev.Fd]; c != nil {
				ready = append(ready, c)
			}
		}
		p.mu.Unlock()
		for _, c := range ready {
			go c.readReady()
		}
	}
}

// stop ends the poller; the sockets are no longer read.
func (p *readPoller) stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	<-p.done
}

// readNonblocking reads what the socket holds without waiting: n 0 and
// err nil is the end of the stream, unix.EAGAIN means nothing waits.
func readNonblocking(rc syscall.RawConn, buf []byte) (int, error) {
	var n int
	var err error
	cerr := rc.Read(func(fd uintptr) bool {
		n, err = unix.Read(int(fd), buf)
		return true // one attempt; never park in Go's poller
	})
	if cerr != nil {
		return 0, cerr
	}
	if n < 0 {
		n = 0
	}
	return n, err
}

// errWouldBlock reports that a non-blocking read found nothing.
func errWouldBlock(err error) bool { return errors.Is(err, unix.EAGAIN) }
