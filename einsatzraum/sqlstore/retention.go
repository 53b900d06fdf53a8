package sqlstore

import (
	"context"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// PurgeBefore deletes up to limit rows of each kind of content created
// before cutoff. Each statement touches at most limit rows, so a purge
// never holds the store for long.
func (t *txn) PurgeBefore(ctx context.Context, cutoff time.Time, limit int) (einsatzraum.Purged, error) {
	var p einsatzraum.Purged
	c := micros(cutoff)
	rows, err := t.query(ctx, `DELETE FROM attachments WHERE id IN (SELECT id FROM attachments WHERE created_at < ? LIMIT ?) RETURNING COALESCE(blob_id, id)`, c, limit)
	if err != nil {
		return p, err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return p, err
		}
		p.AttachmentIDs = append(p.AttachmentIDs, id)
	}
	if err := closeRows(rows); err != nil {
		return p, err
	}
	steps := []struct {
		n *int
		q string
	}{
		{&p.Acks, `DELETE FROM message_acks WHERE message_id IN (SELECT id FROM messages WHERE created_at < ? LIMIT ?)`},
		{&p.Messages, `DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE created_at < ? LIMIT ?)`},
		{&p.Events, `DELETE FROM events WHERE (room_id, seq) IN (SELECT room_id, seq FROM events WHERE created_at < ? LIMIT ?)`},
		{&p.POIs, `DELETE FROM pois WHERE id IN (SELECT id FROM pois WHERE created_at < ? LIMIT ?)`},
		{&p.Drawings, `DELETE FROM drawings WHERE id IN (SELECT id FROM drawings WHERE created_at < ? LIMIT ?)`},
		{&p.Alarms, `DELETE FROM alarms WHERE id IN (SELECT id FROM alarms WHERE created_at < ? LIMIT ?)`},
	}
	for _, s := range steps {
		res, err := t.exec(ctx, s.q, c, limit)
		if err != nil {
			return p, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return p, err
		}
		*s.n = int(n)
	}
	// Track chunks go whole once their newest point is past the cutoff;
	// Positions counts their points.
	rows, err = t.query(ctx, `DELETE FROM track_chunks WHERE (user_id, ts_last) IN (SELECT user_id, ts_last FROM track_chunks WHERE ts_last < ? LIMIT ?) RETURNING points`, c, limit)
	if err != nil {
		return p, err
	}
	for rows.Next() {
		var points int
		if err := rows.Scan(&points); err != nil {
			rows.Close()
			return p, err
		}
		p.Positions += points
	}
	return p, closeRows(rows)
}

// RoomMessages lists roomID's messages created in [from, to) with seq >
// afterSeq, in seq order.
func (t *txn) RoomMessages(ctx context.Context, roomID string, from, to time.Time, afterSeq int64, limit int) ([]chat.Message, error) {
	rows, err := t.query(ctx, messageSelect+`WHERE m.room_id = ? AND m.created_at >= ? AND m.created_at < ? AND m.seq > ? ORDER BY m.seq LIMIT ?`,
		roomID, micros(from), micros(to), afterSeq, limit)
	if err != nil {
		return nil, err
	}
	return t.scanMessages(rows)
}

// AuditLog lists audit entries with id > afterID, oldest first.
func (t *txn) AuditLog(ctx context.Context, afterID int64, limit int) ([]einsatzraum.AuditEntry, error) {
	rows, err := t.query(ctx, `SELECT id, at, actor, action, target, detail FROM audit_log WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, err
	}
	out := []einsatzraum.AuditEntry{}
	for rows.Next() {
		var e einsatzraum.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			rows.Close()
			return nil, err
		}
		e.At = fromMicros(at)
		var err error
		if e.Detail, err = t.openText(e.Detail); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, e)
	}
	return out, closeRows(rows)
}
