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
