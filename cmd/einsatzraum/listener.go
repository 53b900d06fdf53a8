package main

import (
	"errors"
	"log/slog"
	"net"
	"syscall"
	"time"
)

// steadyListener keeps accepting through resource exhaustion: when the
// process is out of file descriptors (EMFILE, ENFILE) or a connection was
// aborted before it was accepted, it waits a moment and tries again
// instead of ending the server, as a listener error would.
type steadyListener struct {
	net.Listener
	log *slog.Logger
}

func (l steadyListener) Accept() (net.Conn, error) {
	delay := 5 * time.Millisecond
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, syscall.EMFILE) && !errors.Is(err, syscall.ENFILE) && !errors.Is(err, syscall.ECONNABORTED) {
			return nil, err
		}
		l.log.Warn("accept failed, retrying: raise the open files limit (ulimit -n)", "err", err, "retry_in", delay)
		time.Sleep(delay)
		delay = min(delay*2, time.Second)
	}
}
