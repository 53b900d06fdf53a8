package chat

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"time"

	"golang.org/x/image/draw"
	"golang.org/x/sync/semaphore"
)

// Thumbnails of photos. Decoding is where a small hostile file turns into
// gigabytes (a PNG of 80,000,000 x 1 pixels compresses to 600 KB), so a
// photo is decoded only when its header's dimensions are sane and the
// memory its decoding needs fits the process's ImageBudget, which all
// uploads share. A photo refused here is still stored and can be
// downloaded; it only has no thumbnail.

// Bounds of a photo that gets a thumbnail.
const (
	MaxImageSide   = 16_384     // pixels on either side
	MaxImagePixels = 40_000_000 // a 40-megapixel camera
	// DefaultImageBudget is the memory all thumbnail decodes of a process
	// may hold at once: two 40-megapixel photos of 8 bit per channel.
	DefaultImageBudget = 2 * 40_000_000 * 4
	// imageBudgetWait is how long an upload waits for budget before it
	// gives up on the thumbnail.
	imageBudgetWait = 20 * time.Second
)

// thumbSize is the longest side of a thumbnail in pixels.
const thumbSize = 320

// ImageBudget is a weighted semaphore of bytes for decoding images.
type ImageBudget struct {
	bytes int64
	sem   *semaphore.Weighted
}

// NewImageBudget returns a budget of n bytes.
func NewImageBudget(n int64) *ImageBudget {
	return &ImageBudget{bytes: n, sem: semaphore.NewWeighted(n)}
}

// decodeCost is the memory decoding an image of cfg takes, in bytes: its
// pixels at the bytes per pixel of its colour model (16-bit models take
// 8), plus the scaled copy (small). ok is false for dimensions no photo
// has.
func decodeCost(cfg image.Config) (cost int64, ok bool) {
	w, h := int64(cfg.Width), int64(cfg.Height)
	if w <= 0 || h <= 0 || w > MaxImageSide || h > MaxImageSide || w*h > MaxImagePixels {
		return 0, false
	}
	perPixel := int64(4)
	switch cfg.ColorModel {
	case color.RGBA64Model, color.NRGBA64Model:
		perPixel = 8
	case color.Gray16Model:
		perPixel = 2
	case color.GrayModel, color.AlphaModel:
		perPixel = 1
	}
	return w*h*perPixel + thumbSize*thumbSize*4, true
}

// makeThumbnail decodes the stored photo within budget, scales it down,
// turns it upright by its EXIF orientation and stores it encrypted as
// JPEG. It reports whether it made one and the photo's EXIF location.
func makeThumbnail(ctx context.Context, blobs BlobStore, keys *Keyring, budget *ImageBudget, a *Attachment) (bool, *Location) {
	open := func() (*io.SectionReader, io.Closer, error) {
		b, err := blobs.Open(ctx, a.ID)
		if err != nil {
			return nil, nil, err
		}
		d, err := keys.NewDecryptReader(b, a.Size)
		if err != nil {
			b.Close()
			return nil, nil, err
		}
		return io.NewSectionReader(d, 0, a.Size), b, nil
	}
	r, c, err := open()
	if err != nil {
		return false, nil
	}
	info := readEXIF(r)
	c.Close()
	r, c, err = open()
	if err != nil {
		return false, info.location
	}
	defer c.Close()
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return false, info.location
	}
	cost, ok := decodeCost(cfg)
	if !ok || cost > budget.bytes {
		return false, info.location
	}
	wctx, cancel := context.WithTimeout(ctx, imageBudgetWait)
	err = budget.sem.Acquire(wctx, cost)
	cancel()
	if err != nil {
		return false, info.location
	}
	thumb, err := scaleDown(r, info.orientation)
	budget.sem.Release(cost)
	if err != nil {
		return false, info.location
	}
	w, err := blobs.Create(ctx, ThumbnailID(a.ID))
	if err != nil {
		return false, info.location
	}
	enc, err := keys.NewEncryptWriter(w)
	if err == nil {
		var buf bytes.Buffer
		if err = jpeg.Encode(&buf, thumb, &jpeg.Options{Quality: 80}); err == nil {
			a.ThumbSize = int64(buf.Len())
			_, err = enc.Write(buf.Bytes())
		}
	}
	if err == nil {
		err = enc.Close()
	}
	if err != nil {
		w.Abort()
		return false, info.location
	}
	return w.Commit() == nil, info.location
}

// scaleDown decodes the image at the start of r and returns it scaled to
// at most thumbSize on its longer side, turned upright: the turn is done
// on the small image, so the full-size one is held only once.
func scaleDown(r io.ReadSeeker, orientation int) (image.Image, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	scale := min(float64(thumbSize)/float64(max(b.Dx(), b.Dy())), 1)
	dst := image.NewRGBA(image.Rect(0, 0, max(1, int(float64(b.Dx())*scale)), max(1, int(float64(b.Dy())*scale))))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return orient(dst, orientation), nil
}
