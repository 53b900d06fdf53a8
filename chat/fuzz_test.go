package chat

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// FuzzIngest streams arbitrary bytes through the upload path (sniffing,
// limits, encryption, thumbnails and EXIF for images): every input is
// stored as one of the four kinds or refused with a typed error; never a
// panic.
func FuzzIngest(f *testing.F) {
	f.Add([]byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xd9"))
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"))
	f.Add([]byte("MZ\x90\x00 this is no image"))
	f.Add([]byte{})
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x02Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xd9")) // once ended the process
	f.Add(pngBomb(80_000_000, 1, 16, 2))                                                 // once took 6 GB
	f.Add(pngBomb(8900, 8900, 8, 2))
	keys, err := NewKeyring(bytes.Repeat([]byte{7}, MasterKeySize))
	if err != nil {
		f.Fatal(err)
	}
	blobs, err := NewDirBlobs(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	limits := Limits{Photo: 1 << 20, File: 1 << 20, Audio: 1 << 20, Video: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Ingest(context.Background(), blobs, keys, "at_fuzz1234", bytes.NewReader(data), "x.bin", limits)
		if err != nil {
			var ue *UnsupportedError
			var ie interface{ InputError() (string, string) }
			var te *TooLargeError
			if !errors.As(err, &ue) && !errors.As(err, &ie) && !errors.As(err, &te) {
				t.Fatalf("untyped error for client bytes: %v", err)
			}
			return
		}
		if a.Size != int64(len(data)) {
			t.Fatalf("stored size %d of %d bytes", a.Size, len(data))
		}
	})
}
