package einsatzraum

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
)

// File links let a client that cannot send a bearer header (a TAK client
// following a file share's URL) download one attachment: the link is
// sealed with the master key (AES-GCM, so every node can open it and
// nobody can forge or alter it) and names the attachment, the device it
// was made for and when it expires. Opening it checks the device anew
// (not wiped or logged out) and the device user's right to read the chat,
// so a link dies with the device or the membership.

// FileLink returns attachment id's description and a link to it for a's
// device, valid for ttl. a must be able to read the attachment now.
func (s *Service) FileLink(ctx context.Context, a *Actor, id string, ttl time.Duration) (*chat.Attachment, string, error) {
	if a.Device == nil {
		return nil, "", Errorf(KindForbidden, "device_required", "file links are made for a device")
	}
	if s.cfg.Files.Keys == nil {
		return nil, "", Errorf(KindUnavailable, "no_keys", "file links need the master key")
	}
	att, err := s.AttachmentInfo(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	exp := s.Now().Add(ttl).Unix()
	plain := id + "|" + a.Device.ID + "|" + strconv.FormatInt(exp, 10)
	return att, base64.RawURLEncoding.EncodeToString(s.cfg.Files.Keys.Seal([]byte(plain))), nil
}

// OpenAttachmentByLink opens the attachment id as the device link was made
// for. A forged, altered, expired or foreign link, a revoked device and a
// user who left the chat all get 404 attachment_not_found.
func (s *Service) OpenAttachmentByLink(ctx context.Context, id, link string) (*OpenedFile, error) {
	notFound := Errorf(KindNotFound, "attachment_not_found", "no such attachment")
	if s.cfg.Files.Keys == nil || len(link) > 512 {
		return nil, notFound
	}
	sealed, err := base64.RawURLEncoding.DecodeString(link)
	if err != nil {
		return nil, notFound
	}
	plain, err := s.cfg.Files.Keys.Open(sealed)
	if err != nil {
		return nil, notFound
	}
	parts := strings.Split(string(plain), "|")
	if len(parts) != 3 || parts[0] != id {
		return nil, notFound
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || s.Now().Unix() > exp {
		return nil, notFound
	}
	a, err := s.deviceActor(ctx, "link_device", func(tx Tx) (*Device, error) {
		return tx.DeviceByID(ctx, parts[1])
	})
	if errors.Is(err, ErrNotFound) || (err == nil && a.Device.RevokedAt != nil) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	return s.OpenAttachment(ctx, a, id, false)
}
