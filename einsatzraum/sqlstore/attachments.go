package sqlstore

import (
	"context"
	"database/sql"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

func (t *txn) CreateAttachment(ctx context.Context, a *chat.Attachment) error {
	var lat, lon sql.NullFloat64
	if a.Location != nil {
		lat, lon = sql.NullFloat64{Float64: a.Location.Lat, Valid: true}, sql.NullFloat64{Float64: a.Location.Lon, Valid: true}
	}
	thumb := int64(-1)
	if a.Thumbnail {
		thumb = a.ThumbSize
	}
	_, err := t.exec(ctx, `INSERT INTO attachments (id, room_id, chat_id, uploader, kind, mime, size, sha256, name, thumb_size, lat, lon, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Room, a.Chat, a.Uploader, string(a.Kind), a.MIME, a.Size, a.SHA256, t.seal([]byte(a.Name)), thumb, lat, lon, micros(a.CreatedAt))
	return err
}

func (t *txn) AttachmentByID(ctx context.Context, id string) (*chat.Attachment, error) {
	var a chat.Attachment
	var name []byte
	var thumb, created int64
	var lat, lon sql.NullFloat64
	err := t.queryRow(ctx, `SELECT id, room_id, chat_id, uploader, kind, mime, size, sha256, name, thumb_size, lat, lon, created_at FROM attachments WHERE id = ?`, id).
		Scan(&a.ID, &a.Room, &a.Chat, &a.Uploader, &a.Kind, &a.MIME, &a.Size, &a.SHA256, &name, &thumb, &lat, &lon, &created)
	if err != nil {
		return nil, one(err)
	}
	plain, err := t.open(name)
	if err != nil {
		return nil, err
	}
	a.Name = string(plain)
	a.Thumbnail, a.ThumbSize = thumb >= 0, thumb
	if lat.Valid && lon.Valid {
		a.Location = &chat.Location{Lat: lat.Float64, Lon: lon.Float64}
	}
	a.CreatedAt = fromMicros(created)
	return &a, nil
}

func (t *txn) AppendAudit(ctx context.Context, e *einsatzraum.AuditEntry) error {
	_, err := t.exec(ctx, `INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`,
		micros(e.At), e.Actor, e.Action, e.Target, e.Detail)
	return err
}
