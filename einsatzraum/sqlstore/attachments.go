package sqlstore

import (
	"context"
	"database/sql"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// sealedAttachment is what an attachment row keeps sealed: where a photo
// was taken.
type sealedAttachment struct {
	Location *chat.Location `json:"location,omitempty"`
}

func (t *txn) CreateAttachment(ctx context.Context, a *chat.Attachment) error {
	thumb := int64(-1)
	if a.Thumbnail {
		thumb = a.ThumbSize
	}
	sealed, err := t.sealJSON(sealedAttachment{Location: a.Location})
	if err != nil {
		return err
	}
	var blob sql.NullString
	if a.BlobID != "" {
		blob = sql.NullString{String: a.BlobID, Valid: true}
	}
	_, err = t.exec(ctx, `INSERT INTO attachments (id, room_id, chat_id, uploader, kind, mime, size, sha256, name, thumb_size, lat, lon, sealed, blob_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)`,
		a.ID, a.Room, a.Chat, a.Uploader, string(a.Kind), a.MIME, a.Size, t.sealText(a.SHA256), t.seal([]byte(a.Name)), thumb, sealed, blob, micros(a.CreatedAt))
	return err
}

func (t *txn) AttachmentByID(ctx context.Context, id string) (*chat.Attachment, error) {
	var a chat.Attachment
	var name []byte
	var thumb, created int64
	var lat, lon sql.NullFloat64
	var sealed []byte
	var blob sql.NullString
	err := t.queryRow(ctx, `SELECT id, room_id, chat_id, uploader, kind, mime, size, sha256, name, thumb_size, lat, lon, sealed, blob_id, created_at FROM attachments WHERE id = ?`, id).
		Scan(&a.ID, &a.Room, &a.Chat, &a.Uploader, &a.Kind, &a.MIME, &a.Size, &a.SHA256, &name, &thumb, &lat, &lon, &sealed, &blob, &created)
	if err != nil {
		return nil, one(err)
	}
	if a.SHA256, err = t.openText(a.SHA256); err != nil {
		return nil, err
	}
	a.BlobID = blob.String
	plain, err := t.open(name)
	if err != nil {
		return nil, err
	}
	a.Name = string(plain)
	a.Thumbnail, a.ThumbSize = thumb >= 0, thumb
	if sealed != nil {
		var sa sealedAttachment
		if err := t.openJSON(sealed, &sa); err != nil {
			return nil, err
		}
		a.Location = sa.Location
	} else if lat.Valid && lon.Valid { // a row from before sealing
		a.Location = &chat.Location{Lat: lat.Float64, Lon: lon.Float64}
	}
	a.CreatedAt = fromMicros(created)
	return &a, nil
}

func (t *txn) AppendAudit(ctx context.Context, e *einsatzraum.AuditEntry) error {
	_, err := t.exec(ctx, `INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`,
		micros(e.At), e.Actor, e.Action, e.Target, t.sealText(e.Detail))
	return err
}
