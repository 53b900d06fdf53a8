package chat

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"runtime"
	"testing"
)

// pngBomb is a PNG whose header announces w x h pixels of the given bit
// depth and colour type, followed by a few rows of zeros: a few hundred
// bytes that a decoder without bounds answers by allocating the whole
// image.
func pngBomb(w, h uint32, depth, colourType byte) []byte {
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		out.WriteString(typ)
		out.Write(data)
		_ = binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, colourType, 0, 0, 0)
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 64<<10))
	_ = zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// allocated is how many bytes fn allocated on the heap.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func testStore(t *testing.T) (BlobStore, *Keyring) {
	t.Helper()
	keys, err := NewKeyring(bytes.Repeat([]byte{7}, MasterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := NewDirBlobs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return blobs, keys
}

// TestImageBombsAreNotDecoded: photos whose header announces more pixels
// than a camera makes are stored without a thumbnail, and taking them
// allocates little (the old check let an 80,000,000 x 1 16-bit PNG take
// 6 GB, and an 8900 x 8900 one 316 MB each).
func TestImageBombsAreNotDecoded(t *testing.T) {
	blobs, keys := testStore(t)
	limits := Limits{Photo: 1 << 20, File: 1 << 20, Audio: 1 << 20, Video: 1 << 20, Images: NewImageBudget(DefaultImageBudget)}
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"80000000x1 RGB 16 bit", pngBomb(80_000_000, 1, 16, 2)},
		{"8900x8900 RGB 8 bit", pngBomb(8900, 8900, 8, 2)},
		{"20000x100 gray", pngBomb(20_000, 100, 8, 0)},
		{"65535x65535 RGBA 16 bit", pngBomb(65535, 65535, 16, 6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a *Attachment
			var err error
			n := allocated(func() {
				a, err = Ingest(context.Background(), blobs, keys, "at_bomb", bytes.NewReader(tc.file), "x.png", limits)
			})
			if err != nil {
				t.Fatalf("ingest: %v", err)
			}
			if a.Kind != KindPhoto || a.Thumbnail {
				t.Fatalf("stored as %s with thumbnail %v; want a photo without one", a.Kind, a.Thumbnail)
			}
			t.Logf("%d-byte file: %.1f MB allocated", len(tc.file), float64(n)/(1<<20))
			if n > 16<<20 {
				t.Fatalf("taking a %d-byte bomb allocated %.0f MB", len(tc.file), float64(n)/(1<<20))
			}
		})
	}
}

// TestImageBudget: a photo whose decoding needs more than the budget gets
// no thumbnail; one that fits gets one, and the budget is whole again
// afterwards.
func TestImageBudget(t *testing.T) {
	blobs, keys := testStore(t)
	img := image.NewNRGBA(image.Rect(0, 0, 400, 300))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	img.Set(0, 0, color.NRGBA{1, 2, 3, 255})
	var photo bytes.Buffer
	if err := png.Encode(&photo, img); err != nil {
		t.Fatal(err)
	}
	cost, _ := decodeCost(image.Config{ColorModel: color.NRGBAModel, Width: 400, Height: 300})
	for _, tc := range []struct {
		budget int64
		want   bool
	}{{cost - 1, false}, {cost, true}} {
		b := NewImageBudget(tc.budget)
		limits := Limits{Photo: 1 << 20, Images: b}
		a, err := Ingest(context.Background(), blobs, keys, "at_budget", bytes.NewReader(photo.Bytes()), "x.png", limits)
		if err != nil || a.Thumbnail != tc.want {
			t.Fatalf("budget %d for a cost of %d: thumbnail %v, err %v; want %v", tc.budget, cost, a.Thumbnail, err, tc.want)
		}
		if !b.sem.TryAcquire(tc.budget) {
			t.Fatal("the budget was not given back")
		}
	}
}
