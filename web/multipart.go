package web

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// readMultipart streams a multipart/form-data body: small text fields are
// collected into fields (in the order they come), and onFile is called
// with the reader of the part named "file" (which should come last). The
// whole body is bounded by limit (413 past it); nothing is kept in memory
// beyond what onFile keeps.
func readMultipart(c *fiber.Ctx, limit int64, fields map[string]string, onFile func(filename string, r io.Reader) error) error {
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return einsatzraum.Errorf(einsatzraum.KindUnsupported, "multipart_required", "send multipart/form-data with a file field")
	}
	body := &countingReader{r: bodyReader(c), limit: limit}
	mr := multipart.NewReader(body, params["boundary"])
	sawFile := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if body.over {
				return tooLarge(limit)
			}
			return einsatzraum.Errorf(einsatzraum.KindInvalid, "malformed_multipart", "malformed multipart body: %v", err)
		}
		if part.FormName() != "file" {
			v, _ := io.ReadAll(io.LimitReader(part, 64<<10))
			fields[part.FormName()] = strings.TrimSpace(string(v))
			continue
		}
		if sawFile {
			return einsatzraum.Errorf(einsatzraum.KindInvalid, "one_file_only", "send one file per request")
		}
		sawFile = true
		pr := &partReader{r: part}
		err = onFile(part.FileName(), pr)
		if body.over {
			return tooLarge(limit)
		}
		if err != nil && pr.err != nil && einsatzraum.AsError(err) == nil {
			// the client's body broke off or is malformed: their fault, not ours
			return einsatzraum.Errorf(einsatzraum.KindInvalid, "malformed_multipart", "malformed multipart body: %v", pr.err)
		}
		if err != nil {
			return err
		}
	}
	// Read the body to its end (the epilogue, and a chunked body's last
	// chunk, which may come in a packet of its own): bytes left unread
	// would be taken for the next request on the connection.
	if _, err := io.Copy(io.Discard, body); err != nil && body.over {
		return tooLarge(limit)
	}
	if !sawFile {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "missing_file", "the multipart body needs a file field")
	}
	return nil
}

// partReader remembers the error a multipart part's reader returned, so
// that a broken body is told apart from a failure of ours.
type partReader struct {
	r   io.Reader
	err error
}

func (p *partReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && !errors.Is(err, io.EOF) {
		p.err = err
	}
	return n, err
}
