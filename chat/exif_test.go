package chat

import (
	"bytes"
	"testing"
)

// TestReadEXIFMalformed feeds broken EXIF segments (the first one ended the
// process once: a size of 2 made the payload slice run backwards). Each must
// yield no information and no panic.
func TestReadEXIFMalformed(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"size 2 with Exif header", "\xff\xd8\xff\xe1\x00\x02Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xd9"},
		{"size 0", "\xff\xd8\xff\xe1\x00\x00Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xd9"},
		{"size 1", "\xff\xd8\xff\xe1\x00\x01Exif\x00\x00"},
		{"size 7 cuts Exif header", "\xff\xd8\xff\xe1\x00\x07Exif\x00\x00"},
		{"size past the end", "\xff\xd8\xff\xe1\xff\xffExif\x00\x00MM\x00*"},
		{"IFD offset past the end", "\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\xff\xff\xff\xf0"},
		{"truncated marker", "\xff\xd8\xff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info := readEXIF(bytes.NewReader([]byte(tc.in)))
			if info.location != nil || info.orientation != 0 {
				t.Fatalf("readEXIF(%q) = %+v, want nothing", tc.in, info)
			}
		})
	}
}

// FuzzReadEXIF drives the EXIF reader directly (FuzzIngest reaches it only
// through sniffing and the JPEG check). Every input yields an orientation
// in 0..65535 and a location inside the globe, or nothing; never a panic.
func FuzzReadEXIF(f *testing.F) {
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xd9"))
	f.Fuzz(func(t *testing.T, data []byte) {
		info := readEXIF(bytes.NewReader(data))
		if l := info.location; l != nil && (l.Lat < -90 || l.Lat > 90 || l.Lon < -180 || l.Lon > 180) {
			t.Fatalf("location off the globe: %+v", l)
		}
	})
}

// FuzzEXIFSegment fuzzes what a hostile photo controls inside a JPEG's
// EXIF segment, its declared length and its TIFF body, behind a fixed
// JPEG start and APP1 marker that a byte-level fuzzer seldom guesses: from
// an empty corpus it finds a length fault like the one that once ended the
// process within seconds.
func FuzzEXIFSegment(f *testing.F) {
	f.Add(uint16(2), []byte("MM\x00*\x00\x00\x00\x08"))
	f.Fuzz(func(t *testing.T, size uint16, tiff []byte) {
		data := []byte{0xff, 0xd8, 0xff, 0xe1, byte(size >> 8), byte(size)}
		data = append(data, "Exif\x00\x00"...)
		data = append(data, tiff...)
		info := readEXIF(bytes.NewReader(data))
		if l := info.location; l != nil && (l.Lat < -90 || l.Lat > 90 || l.Lon < -180 || l.Lon > 180) {
			t.Fatalf("location off the globe: %+v", l)
		}
	})
}
