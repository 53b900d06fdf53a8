package sqlstore

import (
	"context"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

func (t *txn) PutReadMarker(ctx context.Context, chatID, userID string, seq int64, at time.Time) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO chat_reads (chat_id, user_id, seq, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (chat_id, user_id) DO UPDATE SET seq = excluded.seq, at = excluded.at WHERE excluded.seq > chat_reads.seq`,
		chatID, userID, seq, micros(at))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (t *txn) ReadMarkers(ctx context.Context, chatID string) ([]einsatzraum.ReadMarker, error) {
	rows, err := t.query(ctx, `SELECT user_id, seq, at FROM chat_reads WHERE chat_id = ? ORDER BY user_id`, chatID)
	if err != nil {
		return nil, err
	}
	out := []einsatzraum.ReadMarker{}
	for rows.Next() {
		var m einsatzraum.ReadMarker
		var at int64
		if err := rows.Scan(&m.User, &m.Seq, &at); err != nil {
			rows.Close()
			return nil, err
		}
		m.At = fromMicros(at)
		out = append(out, m)
	}
	return out, closeRows(rows)
}

func (t *txn) UnreadCount(ctx context.Context, chatID, userID string, since time.Time) (int, error) {
	var n int
	err := t.queryRow(ctx, `SELECT COUNT(*) FROM messages m WHERE m.chat_id = ? AND m.sender_id <> ? AND m.created_at >= ?
		AND m.seq > COALESCE((SELECT seq FROM chat_reads WHERE chat_id = ? AND user_id = ?), 0)
		AND NOT EXISTS (SELECT 1 FROM chat_member_gaps g WHERE g.chat_id = m.chat_id AND g.user_id = ?
			AND m.seq > g.from_seq AND (g.to_seq IS NULL OR m.seq <= g.to_seq))`,
		chatID, userID, micros(since), chatID, userID, userID).Scan(&n)
	return n, err
}
