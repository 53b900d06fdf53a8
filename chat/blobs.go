package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// BlobStore keeps encrypted files by ID. The embedded default keeps them
// in a directory; with PostgreSQL they live in the database, so that
// several nodes need no shared file system.
type BlobStore interface {
	// Create starts a new blob; nothing is visible before Commit.
	Create(ctx context.Context, id string) (BlobWriter, error)
	// Open returns the blob for reading at any offset.
	Open(ctx context.Context, id string) (Blob, error)
	// Delete removes a blob; a missing one is no error.
	Delete(ctx context.Context, id string) error
}

// BlobWriter is a blob being written.
type BlobWriter interface {
	io.Writer
	Commit() error // makes the blob visible
	Abort()        // discards it
}

// Blob is a stored blob.
type Blob interface {
	io.ReaderAt
	io.Closer
}

// DirBlobs is a BlobStore in a directory, two levels of fan-out deep.
type DirBlobs struct{ dir string }

var _ BlobStore = (*DirBlobs)(nil)

// NewDirBlobs keeps blobs under dir (created with mode 0700).
func NewDirBlobs(dir string) (*DirBlobs, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create blob directory: %w", err)
	}
	return &DirBlobs{dir: dir}, nil
}

// path maps an ID (only ours: letters, digits, '_') to its file; IDs are
// never taken from clients' file names.
func (d *DirBlobs) path(id string) (string, error) {
	if len(id) < 4 || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	}) {
		return "", fmt.Errorf("invalid blob id %q", id)
	}
	tail := id[len(id)-4:]
	return filepath.Join(d.dir, tail[:2], tail[2:], id), nil
}

type dirWriter struct {
	f    *os.File
	path string
}

func (d *DirBlobs) Create(_ context.Context, id string) (BlobWriter, error) {
	p, err := d.path(id)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return nil, err
	}
	return &dirWriter{f: f, path: p}, nil
}

func (w *dirWriter) Write(b []byte) (int, error) { return w.f.Write(b) }

func (w *dirWriter) Commit() error {
	if err := w.f.Sync(); err != nil {
		w.Abort()
		return err
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.f.Name())
		return err
	}
	return os.Rename(w.f.Name(), w.path)
}

func (w *dirWriter) Abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}

func (d *DirBlobs) Open(_ context.Context, id string) (Blob, error) {
	p, err := d.path(id)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

func (d *DirBlobs) Delete(_ context.Context, id string) error {
	p, err := d.path(id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
