package sqlstore_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum/testenv"
)

// testBlobStore checks what every chat.BlobStore must do: nothing is
// visible before Commit, an aborted blob leaves nothing, reads at any
// offset return the written bytes, Delete removes.
func testBlobStore(t *testing.T, bs chat.BlobStore) {
	ctx := context.Background()
	data := make([]byte, 2<<20+12345) // over two chunks of the database store
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.IntN(256))
	}
	w, err := bs.Create(ctx, "at_blobtest1")
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(data); off += 7000 { // odd-sized writes, as a stream makes them
		if _, err := w.Write(data[off:min(off+7000, len(data))]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bs.Open(ctx, "at_blobtest1"); err == nil {
		t.Fatal("blob readable before Commit")
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	b, err := bs.Open(ctx, "at_blobtest1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ off, n int }{{0, 10}, {1<<20 - 5, 10}, {2<<20 + 12000, 345}, {123, 2 << 20}} {
		got := make([]byte, c.n)
		n, err := b.ReadAt(got, int64(c.off))
		if err != nil && err != io.EOF {
			t.Fatalf("ReadAt(%d, %d): %v", c.off, c.n, err)
		}
		if !bytes.Equal(got[:n], data[c.off:c.off+n]) || n != min(c.n, len(data)-c.off) {
			t.Fatalf("ReadAt(%d, %d) read %d bytes, not the written ones", c.off, c.n, n)
		}
	}
	tail := make([]byte, 100)
	if n, err := b.ReadAt(tail, int64(len(data)-40)); n != 40 || err != io.EOF {
		t.Fatalf("read past the end: %d, %v; want 40, EOF", n, err)
	}
	b.Close()

	w, err = bs.Create(ctx, "at_blobtest2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:3<<20/2]); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if _, err := bs.Open(ctx, "at_blobtest2"); err == nil {
		t.Fatal("aborted blob is readable")
	}
	if err := bs.Delete(ctx, "at_blobtest1"); err != nil {
		t.Fatal(err)
	}
	if _, err := bs.Open(ctx, "at_blobtest1"); err == nil {
		t.Fatal("deleted blob is readable")
	}
	if err := bs.Delete(ctx, "at_blobtest1"); err != nil {
		t.Fatalf("deleting a missing blob: %v", err)
	}
}

func TestDirBlobs(t *testing.T) {
	bs, err := chat.NewDirBlobs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	testBlobStore(t, bs)
}

func TestPostgresBlobs(t *testing.T) {
	db := openPostgres(t, testenv.PostgresSchema(t))
	bs, err := db.Blobs()
	if err != nil {
		t.Fatal(err)
	}
	testBlobStore(t, bs)
}
