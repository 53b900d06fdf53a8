package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/einsatzraum/einsatzraum/chat"
)

// blobChunkSize is how many bytes of a blob one row holds.
const blobChunkSize = 1 << 20

// Blobs is a chat.BlobStore in the database's blob_chunks table, so that
// several nodes on one PostgreSQL need no shared file system. The bytes
// are already encrypted by the caller.
type Blobs struct{ db *DB }

var _ chat.BlobStore = (*Blobs)(nil)

// Blobs returns the store's blob store. Only PostgreSQL has the table; on
// SQLite the files live in the data directory (chat.DirBlobs).
func (db *DB) Blobs() (*Blobs, error) {
	if db.dialect.name != "postgres" {
		return nil, errors.New("blobs in the database need PostgreSQL")
	}
	return &Blobs{db: db}, nil
}

// Create starts a blob in its own transaction: readers see it only after
// Commit, and an aborted upload leaves nothing.
func (b *Blobs) Create(ctx context.Context, id string) (chat.BlobWriter, error) {
	tx, err := b.db.w.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return nil, fmt.Errorf("begin blob %s: %w", id, err)
	}
	w := &blobWriter{tx: tx, d: &b.db.dialect, id: id, buf: make([]byte, 0, blobChunkSize)}
	if _, err := tx.Exec(w.d.rebind(`DELETE FROM blob_chunks WHERE blob_id = ?`), id); err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("begin blob %s: %w", id, err)
	}
	return w, nil
}

type blobWriter struct {
	tx  *sql.Tx
	d   *dialect
	id  string
	n   int
	buf []byte
}

func (w *blobWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		k := min(len(p), blobChunkSize-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p, written = p[k:], written+k
		if len(w.buf) == blobChunkSize {
			if err := w.flush(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

func (w *blobWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.tx.Exec(w.d.rebind(`INSERT INTO blob_chunks (blob_id, n, data) VALUES (?, ?, ?)`), w.id, w.n, w.buf); err != nil {
		return fmt.Errorf("write blob %s chunk %d: %w", w.id, w.n, err)
	}
	w.n++
	w.buf = w.buf[:0]
	return nil
}

func (w *blobWriter) Commit() error {
	if err := w.flush(); err != nil {
		w.Abort()
		return err
	}
	if err := w.tx.Commit(); err != nil {
		return fmt.Errorf("commit blob %s: %w", w.id, err)
	}
	return nil
}

func (w *blobWriter) Abort() { _ = w.tx.Rollback() }

// Open returns the blob for reading at any offset; a missing blob is an
// error.
func (b *Blobs) Open(ctx context.Context, id string) (chat.Blob, error) {
	var chunks int
	err := b.db.r.QueryRowContext(ctx, b.db.dialect.rebind(`SELECT COUNT(*) FROM blob_chunks WHERE blob_id = ?`), id).Scan(&chunks)
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", id, err)
	}
	if chunks == 0 {
		return nil, fmt.Errorf("open blob %s: no such blob", id)
	}
	return &blobReader{b: b, ctx: context.WithoutCancel(ctx), id: id, chunks: chunks, cached: -1}, nil
}

// blobReader reads a blob chunk by chunk, keeping the last one.
type blobReader struct {
	b      *Blobs
	ctx    context.Context
	id     string
	chunks int

	mu     sync.Mutex
	cached int
	data   []byte
}

func (r *blobReader) chunk(n int) ([]byte, error) {
	if n == r.cached {
		return r.data, nil
	}
	var data []byte
	err := r.b.db.r.QueryRowContext(r.ctx, r.b.db.dialect.rebind(`SELECT data FROM blob_chunks WHERE blob_id = ? AND n = ?`), r.id, n).Scan(&data)
	if err != nil {
		return nil, fmt.Errorf("read blob %s chunk %d: %w", r.id, n, one(err))
	}
	r.cached, r.data = n, data
	return data, nil
}

// ReadAt reads len(p) bytes at off; fewer only at the end, with io.EOF.
func (r *blobReader) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for n < len(p) {
		c := int(off / blobChunkSize)
		if c >= r.chunks {
			return n, io.EOF
		}
		data, err := r.chunk(c)
		if err != nil {
			return n, err
		}
		within := int(off % blobChunkSize)
		if within >= len(data) {
			return n, io.EOF
		}
		k := copy(p[n:], data[within:])
		n += k
		off += int64(k)
	}
	return n, nil
}

func (r *blobReader) Close() error { return nil }

// Delete removes a blob; a missing one is no error.
func (b *Blobs) Delete(ctx context.Context, id string) error {
	if _, err := b.db.w.ExecContext(ctx, b.db.dialect.rebind(`DELETE FROM blob_chunks WHERE blob_id = ?`), id); err != nil {
		return fmt.Errorf("delete blob %s: %w", id, err)
	}
	return nil
}
