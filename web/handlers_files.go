package web

import (
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

func (s *Server) uploadAttachment(c *fiber.Ctx) error {
	var att *chat.Attachment
	err := readMultipart(c, s.maxUpload, map[string]string{}, func(filename string, r io.Reader) (err error) {
		att, err = s.svc.UploadAttachment(c.UserContext(), actor(c), c.Params("chat"), filename, r)
		return err
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(att)
}

func (s *Server) inject(c *fiber.Ctx) error {
	if err := s.svc.RequireRole(actor(c), einsatzraum.RoleDataAdmin); err != nil {
		return err // before reading the upload
	}
	fields := map[string]string{}
	var m *chat.Message
	err := readMultipart(c, s.maxUpload, fields, func(filename string, r io.Reader) (err error) {
		m, err = s.svc.Inject(c.UserContext(), actor(c), c.Params("chat"), fields["caption"], filename, r)
		return err
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (s *Server) downloadAttachment(c *fiber.Ctx) error {
	f, err := s.svc.OpenAttachment(c.UserContext(), actor(c), c.Params("id"), false)
	if err != nil {
		return err
	}
	return s.serveAttachment(c, f, false)
}

func (s *Server) downloadThumbnail(c *fiber.Ctx) error {
	f, err := s.svc.OpenAttachment(c.UserContext(), actor(c), c.Params("id"), true)
	if err != nil {
		return err
	}
	return s.serveAttachment(c, f, true)
}

// downloadByLink serves an attachment to whoever holds a file link (see
// einsatzraum.Service.FileLink): TAK clients follow such links from file
// shares and cannot send a bearer header.
func (s *Server) downloadByLink(c *fiber.Ctx) error {
	f, err := s.svc.OpenAttachmentByLink(c.UserContext(), c.Params("id"), c.Query("link"))
	if err != nil {
		return err
	}
	return s.serveAttachment(c, f, false)
}

// serveAttachment sends an attachment's bytes with its sniffed type, a
// safe Content-Disposition, nosniff, and single Range requests (video
// seeking).
func (s *Server) serveAttachment(c *fiber.Ctx, f *einsatzraum.OpenedFile, thumbnail bool) error {
	streaming := false
	defer func() {
		if !streaming {
			f.Close()
		}
	}()
	ctype := f.MIME
	if thumbnail {
		ctype = "image/jpeg"
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderETag, `"`+f.SHA256[:32]+boolTag(thumbnail)+`"`)
	disposition := "inline"
	if !strings.HasPrefix(ctype, "image/") && !strings.HasPrefix(ctype, "audio/") && !strings.HasPrefix(ctype, "video/") {
		disposition = "attachment"
	}
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}))

	start, end := int64(0), f.Size-1
	status := fiber.StatusOK
	if rng := c.Get(fiber.HeaderRange); rng != "" && f.Size > 0 {
		a, b, ok := parseRange(rng, f.Size)
		if !ok {
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", f.Size))
			return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_range", "the range is not satisfiable") // 400 rather than 416: one error mapping
		}
		start, end, status = a, b, fiber.StatusPartialContent
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", a, b, f.Size))
	}
	length := end - start + 1
	if f.Size == 0 {
		length = 0
	}
	c.Status(status)
	// fasthttp streams the body and then closes it, which closes the blob.
	streaming = true
	c.Context().SetBodyStream(&closingSection{io.NewSectionReader(f.Reader, start, length), f}, int(length))
	return nil
}

// closingSection is a section of a file that closes the file when done.
type closingSection struct {
	*io.SectionReader
	c io.Closer
}

func (s *closingSection) Close() error { return s.c.Close() }

func boolTag(b bool) string {
	if b {
		return "-t"
	}
	return ""
}

// parseRange reads a single "bytes=a-b", "bytes=a-" or "bytes=-n" range.
func parseRange(h string, size int64) (start, end int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false
	}
	switch {
	case a == "":
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		return max(0, size-n), size - 1, true
	default:
		s, err := strconv.ParseInt(a, 10, 64)
		if err != nil || s < 0 || s >= size {
			return 0, 0, false
		}
		e := size - 1
		if b != "" {
			if e, err = strconv.ParseInt(b, 10, 64); err != nil || e < s {
				return 0, 0, false
			}
			e = min(e, size-1)
		}
		return s, e, true
	}
}

// broadcast sends one message to many chats: JSON {chats, text, priority,
// ack_required}, or multipart with the fields chats (comma separated),
// text, priority, ack_required first and then the file (stored once).
func (s *Server) broadcast(c *fiber.Ctx) error {
	var in struct {
		Chats       []string `json:"chats"`
		Text        string   `json:"text"`
		Priority    string   `json:"priority"`
		AckRequired bool     `json:"ack_required"`
	}
	var ms []chat.Message
	var err error
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		ms, err = s.svc.Broadcast(c.UserContext(), actor(c), einsatzraum.Broadcast{Chats: in.Chats, Text: in.Text, Priority: in.Priority, AckRequired: in.AckRequired})
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(items(ms))
	}
	fields := map[string]string{}
	sent := false
	b := func() einsatzraum.Broadcast {
		return einsatzraum.Broadcast{Chats: strings.Split(fields["chats"], ","), Text: fields["text"], Priority: fields["priority"], AckRequired: fields["ack_required"] == "true"}
	}
	err = readMultipart(c, s.maxUpload, fields, func(filename string, r io.Reader) (err error) {
		in := b()
		in.FileName, in.File = filename, r
		ms, err = s.svc.Broadcast(c.UserContext(), actor(c), in)
		sent = true
		return err
	})
	if err != nil {
		return err
	}
	if !sent {
		if ms, err = s.svc.Broadcast(c.UserContext(), actor(c), b()); err != nil {
			return err
		}
	}
	return c.Status(fiber.StatusCreated).JSON(items(ms))
}
