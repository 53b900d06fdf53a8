package chat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/png" // photos may be PNG
	"io"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	_ "golang.org/x/image/webp" // and WebP
)

// Attachment is an uploaded file: a photo, a PDF, a recording or a video.
// Its bytes live encrypted in a BlobStore under its ID (the thumbnail of a
// photo under ID + "_thumb").
type Attachment struct {
	ID        string    `json:"id"`
	Room      string    `json:"room"`
	Chat      string    `json:"chat"`
	Uploader  string    `json:"uploader"`
	Kind      Kind      `json:"kind"`
	MIME      string    `json:"mime"`
	Size      int64     `json:"size"`
	SHA256    string    `json:"sha256"`
	Name      string    `json:"name"`
	Thumbnail bool      `json:"thumbnail"`
	Location  *Location `json:"location,omitempty"` // from the photo's EXIF GPS
	// BlobID names the stored bytes when another attachment holds them
	// (a broadcast stores its file once); "" means the attachment's own.
	BlobID    string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ThumbSize int64     `json:"-"` // plaintext size of the thumbnail
}

// Limits are the largest uploads per kind, in bytes.
type Limits struct {
	Photo, File, Audio, Video int64
	// Images bounds the memory that decoding photos for thumbnails takes,
	// shared by every upload of the process; nil: each upload gets a budget
	// of DefaultImageBudget of its own.
	Images *ImageBudget
}

// DefaultLimits suit phones on a police network.
var DefaultLimits = Limits{Photo: 25 << 20, File: 50 << 20, Audio: 50 << 20, Video: 500 << 20}

func (l Limits) of(k Kind) int64 {
	switch k {
	case KindPhoto:
		return l.Photo
	case KindAudio:
		return l.Audio
	case KindVideo:
		return l.Video
	}
	return l.File
}

// TooLargeError is an upload past its kind's limit (HTTP 413).
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string { return fmt.Sprintf("file larger than %d bytes", e.Limit) }

// TooLarge gives the domain its code and message.
func (e *TooLargeError) TooLarge() (code, message string) { return "file_too_large", e.Error() }

// UnsupportedError is a file that is no image, PDF, audio or video (415).
type UnsupportedError struct{ MIME string }

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("files of type %s are not accepted (images, PDF, audio and video are)", e.MIME)
}

// UnsupportedMedia gives the domain its code and message.
func (e *UnsupportedError) UnsupportedMedia() (code, message string) {
	return "unsupported_media_type", e.Error()
}

// kindOf maps a sniffed MIME type to a message kind; ok is false for
// types we do not take.
func kindOf(m *mimetype.MIME) (Kind, bool) {
	for t := m; t != nil; t = t.Parent() {
		s := t.String()
		switch {
		case s == "application/pdf":
			return KindFile, true
		case strings.HasPrefix(s, "image/") && s != "image/svg+xml": // SVG can carry scripts
			return KindPhoto, true
		case strings.HasPrefix(s, "audio/"):
			return KindAudio, true
		case strings.HasPrefix(s, "video/"):
			return KindVideo, true
		}
	}
	return "", false
}

// sniffBytes is how much of a file decides its type.
const sniffBytes = 3072

// Ingest streams r into the blob store under id, encrypted: the type is
// sniffed from the first bytes (the client's name and type are not
// trusted), the kind's size limit enforced while streaming, the SHA-256
// computed on the way. Photos get a thumbnail (EXIF orientation respected)
// and their EXIF GPS position. name is kept only as a display name.
func Ingest(ctx context.Context, blobs BlobStore, keys *Keyring, id string, r io.Reader, name string, limits Limits) (*Attachment, error) {
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if n == 0 {
		return nil, invalid("empty_file", "the file is empty")
	}
	head = head[:n]
	m := mimetype.Detect(head)
	kind, ok := kindOf(m)
	if !ok {
		return nil, &UnsupportedError{MIME: m.String()}
	}
	limit := limits.of(kind)
	w, err := blobs.Create(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("create blob: %w", err)
	}
	enc, err := keys.NewEncryptWriter(w)
	if err != nil {
		w.Abort()
		return nil, err
	}
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(enc, h), io.LimitReader(io.MultiReader(bytes.NewReader(head), r), limit+1))
	if err == nil && size > limit {
		err = &TooLargeError{Limit: limit}
	}
	if err == nil {
		err = enc.Close()
	}
	if err == nil {
		err = w.Commit()
	} else {
		w.Abort()
	}
	if err != nil {
		return nil, err
	}
	a := &Attachment{ID: id, Kind: kind, MIME: m.String(), Size: size, SHA256: hex.EncodeToString(h.Sum(nil)), Name: displayName(name, m.Extension())}
	if kind == KindPhoto {
		budget := limits.Images
		if budget == nil {
			budget = NewImageBudget(DefaultImageBudget)
		}
		a.Thumbnail, a.Location = makeThumbnail(ctx, blobs, keys, budget, a)
	}
	return a, nil
}

// displayName keeps the base of a client's file name for
// Content-Disposition, never as a path.
func displayName(name, ext string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '/' || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "" || !utf8.ValidString(name) {
		name = "datei" + ext
	}
	if len(name) > 200 {
		name = name[:200]
	}
	return name
}

// ThumbnailID is the blob ID of a photo's thumbnail.
func ThumbnailID(id string) string { return id + "_thumb" }

// orient turns an image by its EXIF orientation (1 = upright).
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	swap := o >= 5
	dw, dh := w, h
	if swap {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			dst.Set(dx, dy, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}

// Ref is how a message refers to the attachment, with what a client
// should know before it downloads it.
func (a *Attachment) Ref() *Ref { return &Ref{ID: a.ID, MIME: a.MIME, Size: a.Size, Name: a.Name} }

// Blob is the ID under which the attachment's bytes are stored (its
// thumbnail under ThumbnailID of it).
func (a *Attachment) Blob() string {
	if a.BlobID != "" {
		return a.BlobID
	}
	return a.ID
}
