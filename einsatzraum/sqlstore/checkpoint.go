package sqlstore

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// SQLite's write-ahead log is copied back into the database file by a
// checkpoint. By default the connection whose commit makes the log pass
// 1000 pages runs it, inside that commit: the single writer then stops
// taking writes while it copies. Here the writer never checkpoints
// (wal_autocheckpoint 0); a connection of its own does, beside it, after
// writes (PASSIVE: it copies what no reader still needs and never waits
// for the writer or readers).

// checkpointEvery is how often the checkpointer looks for new writes.
const checkpointEvery = 200 * time.Millisecond

// checkpointer copies the log back into the database while there are
// writes.
type checkpointer struct {
	conn  *sql.DB
	wrote chan struct{} // a commit happened since the last checkpoint
	stop  chan struct{}
	done  chan struct{}
}

func newCheckpointer(conn *sql.DB) *checkpointer {
	conn.SetMaxOpenConns(1)
	c := &checkpointer{conn: conn, wrote: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// committed tells the checkpointer that the log grew; it never blocks.
func (c *checkpointer) committed() {
	select {
	case c.wrote <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		select {
		case <-c.wrote:
			c.checkpoint()
		default:
		}
	}
}

// checkpoint runs one passive checkpoint. A failure is logged: the log
// then grows until the next one succeeds, and nothing written is lost.
func (c *checkpointer) checkpoint() {
	var busy, logged, copied int
	err := c.conn.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logged, &copied)
	if err != nil {
		slog.Warn("sqlite checkpoint failed; the write-ahead log grows until the next one", "err", err)
	}
}

// close stops the checkpointer and closes its connection (the last
// connection to close checkpoints what is left).
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.conn.Close()
}
