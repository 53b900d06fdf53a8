//go:build !linux

package web

import (
	"errors"
	"log/slog"
	"syscall"
)

// readPoller exists on Linux only (epoll); elsewhere every socket is read
// by a goroutine of its own (wsConn.readLoop).
type readPoller struct{}

var errNoPoller = errors.New("no epoll on this system")

func newReadPoller(*slog.Logger) (*readPoller, error)      { return nil, errNoPoller }
func (p *readPoller) add(*wsConn) error                    { return errNoPoller }
func (p *readPoller) arm(*wsConn) error                    { return errNoPoller }
func (p *readPoller) remove(*wsConn)                       {}
func (p *readPoller) stop()                                {}
func readNonblocking(syscall.RawConn, []byte) (int, error) { return 0, errNoPoller }
func errWouldBlock(error) bool                             { return false }
