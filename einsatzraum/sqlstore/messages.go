package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// messageBody is what the body column holds: the kind's fields.
type messageBody struct {
	Text        string         `json:"text,omitempty"`
	Location    *chat.Location `json:"location,omitempty"`
	POI         *chat.Ref      `json:"poi,omitempty"`
	Attachment  *chat.Ref      `json:"attachment,omitempty"`
	Priority    string         `json:"priority,omitempty"`
	AckRequired bool           `json:"ack_required,omitempty"`
	ReplyTo     *chat.Quote    `json:"reply_to,omitempty"`
	Mentions    []string       `json:"mentions,omitempty"`
	EditedAt    *time.Time     `json:"edited_at,omitempty"`
	Deleted     bool           `json:"deleted,omitempty"`
	Versions    []chat.Version `json:"versions,omitempty"`
}

func bodyOf(m *chat.Message) messageBody {
	return messageBody{Text: m.Text, Location: m.Location, POI: m.POI, Attachment: m.Attachment, Priority: m.Priority, AckRequired: m.AckRequired,
		ReplyTo: m.ReplyTo, Mentions: m.Mentions, EditedAt: m.EditedAt, Deleted: m.Deleted, Versions: m.Versions}
}

// insertMessages and insertEvents begin the inserts of messages and
// events; messageRow and eventRow are the values of a row, in their
// columns' order.
const (
	insertMessages = `INSERT INTO messages (id, room_id, chat_id, seq, sender_id, kind, body, client_id, created_at)`
	insertEvents   = `INSERT INTO events (room_id, seq, type, chat_id, subject, data, created_at)`
)

func (t *txn) messageRow(row []any, m *chat.Message) ([]any, error) {
	body, err := t.sealJSON(bodyOf(m))
	if err != nil {
		return nil, err
	}
	return append(row, m.ID, m.Room, m.Chat, m.Seq, m.Sender.ID, string(m.Kind), body, nullString(m.ClientID), micros(m.CreatedAt)), nil
}

func (t *txn) eventRow(row []any, e *einsatzraum.Event) []any {
	return append(row, e.Room, e.Seq, e.Type, nullString(e.Chat), nullString(e.Subject), t.seal(e.Data), micros(e.CreatedAt))
}

func (t *txn) InsertMessage(ctx context.Context, m *chat.Message) error {
	row, err := t.messageRow(nil, m)
	if err != nil {
		return err
	}
	return t.insertValues(ctx, insertMessages, row)
}

// messagesInsert returns the statement that inserts ms over arrays
// (PostgreSQL), and its arguments (InsertMessagesWithEvents).
func (t *txn) messagesInsert(ms []*chat.Message) (string, []any, error) {
	n := len(ms)
	ids, rooms, chats, senders, kinds, clientIDs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	seqs, created := make([]int64, n), make([]int64, n)
	bodies := make([][]byte, n)
	for i, m := range ms {
		body, err := t.sealJSON(bodyOf(m))
		if err != nil {
			return "", nil, err
		}
		ids[i], rooms[i], chats[i], senders[i], kinds[i], clientIDs[i] = m.ID, m.Room, m.Chat, m.Sender.ID, string(m.Kind), m.ClientID
		seqs[i], created[i], bodies[i] = m.Seq, micros(m.CreatedAt), body
	}
	return insertMessages + `
		SELECT id, room_id, chat_id, seq, sender_id, kind, body, NULLIF(client_id, ''), created_at
		FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::bytea[], ?::text[], ?::bigint[])
			AS m(id, room_id, chat_id, seq, sender_id, kind, body, client_id, created_at)`,
		[]any{ids, rooms, chats, seqs, senders, kinds, bodies, clientIDs, created}, nil
}

// InsertMessagesWithEvents stores ms and es: on PostgreSQL in one
// statement over arrays (the messages' insert a data-modifying WITH of
// the events'), one round trip for the group of posts while it holds its
// rooms' seq rows; on SQLite in multi-row inserts (insertValues).
func (t *txn) InsertMessagesWithEvents(ctx context.Context, ms []*chat.Message, es []einsatzraum.Event) error {
	if !t.d.arrays {
		return t.insertMessagesWithEventsByValues(ctx, ms, es)
	}
	mq, margs, err := t.messagesInsert(ms)
	if err != nil {
		return err
	}
	eq, eargs := t.eventsInsert(es)
	_, err = t.exec(ctx, `WITH inserted AS (`+mq+`) `+eq, append(margs, eargs...)...)
	return err
}

// insertMessagesWithEventsByValues stores ms and es with multi-row
// INSERT ... VALUES statements (SQLite): a statement per row cost the
// writer more in the driver than in the b-trees.
func (t *txn) insertMessagesWithEventsByValues(ctx context.Context, ms []*chat.Message, es []einsatzraum.Event) error {
	var rows []any
	for _, m := range ms {
		var err error
		if rows, err = t.messageRow(rows, m); err != nil {
			return err
		}
	}
	if err := t.insertValues(ctx, insertMessages, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for i := range es {
		rows = t.eventRow(rows, &es[i])
	}
	return t.insertValues(ctx, insertEvents, rows)
}

// insertValues runs insert (an INSERT INTO with its column list) for the
// rows' values, one row's after another, in multi-row VALUES statements
// of 64, 16, 4 or 1 rows: any number of rows takes a few statements, and
// each insert has at most four prepared statements.
func (t *txn) insertValues(ctx context.Context, insert string, values []any) error {
	cols := strings.Count(insert, ",") + 1
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	for len(values) > 0 {
		rows := len(values) / cols
		for _, c := range [...]int{64, 16, 4, 1} {
			if c <= rows {
				rows = c
				break
			}
		}
		q := insert + " VALUES " + row + strings.Repeat(", "+row, rows-1)
		if _, err := t.exec(ctx, q, values[:rows*cols]...); err != nil {
			return err
		}
		values = values[rows*cols:]
	}
	return nil
}

// messageColumns are the columns scanMessage reads (messages m, users u).
const messageColumns = `m.id, m.room_id, m.chat_id, m.seq, u.id, u.name, u.callsign, m.kind, m.body, m.client_id, m.created_at`

const messageSelect = `SELECT ` + messageColumns + ` FROM messages m JOIN users u ON u.id = m.sender_id `

func (t *txn) scanMessage(row interface{ Scan(...any) error }) (*chat.Message, error) {
	var m chat.Message
	var body []byte
	var clientID sql.NullString
	var created int64
	if err := row.Scan(&m.ID, &m.Room, &m.Chat, &m.Seq, &m.Sender.ID, &m.Sender.Name, &m.Sender.Callsign,
		&m.Kind, &body, &clientID, &created); err != nil {
		return nil, one(err)
	}
	body, err := t.open(body)
	if err != nil {
		return nil, err
	}
	var b messageBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("decode body of message %s: %w", m.ID, err)
	}
	m.Text, m.Location, m.POI, m.Attachment = b.Text, b.Location, b.POI, b.Attachment
	m.Priority, m.AckRequired, m.ReplyTo, m.Mentions = b.Priority, b.AckRequired, b.ReplyTo, b.Mentions
	m.EditedAt, m.Deleted, m.Versions = b.EditedAt, b.Deleted, b.Versions
	m.ClientID = clientID.String
	m.CreatedAt = fromMicros(created)
	return &m, nil
}

func (t *txn) MessageByClientID(ctx context.Context, senderID, clientID string) (*chat.Message, error) {
	return t.scanMessage(t.queryRow(ctx, messageSelect+`WHERE m.sender_id = ? AND m.client_id = ?`, senderID, clientID))
}

// MessagesByClientID reads every pair in one statement.
func (t *txn) MessagesByClientID(ctx context.Context, senderIDs, clientIDs []string) ([]*chat.Message, error) {
	q, args, err := t.d.perPair(senderIDs, clientIDs, messageColumns,
		`messages m JOIN users u ON u.id = m.sender_id`, `m.sender_id = k.a AND m.client_id = k.b`)
	if err != nil {
		return nil, fmt.Errorf("messages by client_id: %w", err)
	}
	rows, err := t.queryList(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanPairRows(rows, len(senderIDs), t.scanMessage)
}

// scanPairRows reads rows of a query over n pairs (dialect.perPair), each
// its pair's number k.i and then what scan reads, into out[k.i-1]; pairs
// without a row stay nil.
func scanPairRows[V any](rows *sql.Rows, n int, scan func(interface{ Scan(...any) error }) (*V, error)) ([]*V, error) {
	out := make([]*V, n)
	for rows.Next() {
		var i int64
		v, err := scan(prefixScanner{rows, &i})
		if err != nil {
			rows.Close()
			return nil, err
		}
		if i < 1 || int(i) > n {
			rows.Close()
			return nil, fmt.Errorf("row for pair %d of %d", i, n)
		}
		out[i-1] = v
	}
	return out, closeRows(rows)
}

// prefixScanner scans a row's first column into first and the rest with
// the caller's destinations (a row scanner for rows with a leading key).
type prefixScanner struct {
	row   interface{ Scan(...any) error }
	first any
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.row.Scan(append([]any{p.first}, dest...)...)
}

func (t *txn) Messages(ctx context.Context, chatID string, afterSeq int64, since time.Time, limit int) ([]chat.Message, error) {
	rows, err := t.query(ctx, messageSelect+`WHERE m.chat_id = ? AND m.seq > ? AND m.created_at >= ? ORDER BY m.seq LIMIT ?`, chatID, afterSeq, micros(since), limit)
	if err != nil {
		return nil, err
	}
	return t.scanMessages(rows)
}

// scanMessages reads every row of rows as a message and closes rows.
func (t *txn) scanMessages(rows *sql.Rows) ([]chat.Message, error) {
	out := []chat.Message{}
	for rows.Next() {
		m, err := t.scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *m)
	}
	return out, closeRows(rows)
}

func (t *txn) AppendEvent(ctx context.Context, e *einsatzraum.Event) error {
	return t.insertValues(ctx, insertEvents, t.eventRow(nil, e))
}

// eventsInsert returns the statement that inserts es over arrays
// (PostgreSQL), and its arguments (InsertMessagesWithEvents).
func (t *txn) eventsInsert(es []einsatzraum.Event) (string, []any) {
	n := len(es)
	rooms, types, chats, subjects := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	seqs, created := make([]int64, n), make([]int64, n)
	data := make([][]byte, n)
	for i, e := range es {
		rooms[i], types[i], chats[i], subjects[i] = e.Room, e.Type, e.Chat, e.Subject
		seqs[i], created[i], data[i] = e.Seq, micros(e.CreatedAt), t.seal(e.Data)
	}
	return insertEvents + `
		SELECT room_id, seq, type, NULLIF(chat_id, ''), NULLIF(subject, ''), data, created_at
		FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::bytea[], ?::bigint[])
			AS e(room_id, seq, type, chat_id, subject, data, created_at)`,
		[]any{rooms, seqs, types, chats, subjects, data, created}
}

func (t *txn) EventsAfter(ctx context.Context, roomID string, afterSeq int64, limit int) ([]einsatzraum.Event, error) {
	return t.scanEvents(t.query(ctx, `SELECT room_id, seq, type, chat_id, subject, data, created_at
		FROM events WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?`, roomID, afterSeq, limit))
}

func (t *txn) RecentEvents(ctx context.Context, roomID, typ string, since time.Time, limit int) ([]einsatzraum.Event, error) {
	return t.scanEvents(t.query(ctx, `SELECT room_id, seq, type, chat_id, subject, data, created_at
		FROM events WHERE room_id = ? AND type = ? AND created_at >= ? ORDER BY seq DESC LIMIT ?`, roomID, typ, micros(since), limit))
}

// scanEvents reads the rows of an events query.
func (t *txn) scanEvents(rows *sql.Rows, err error) ([]einsatzraum.Event, error) {
	if err != nil {
		return nil, err
	}
	out := []einsatzraum.Event{}
	for rows.Next() {
		var e einsatzraum.Event
		var chatID, subject sql.NullString
		var data []byte
		var created int64
		if err := rows.Scan(&e.Room, &e.Seq, &e.Type, &chatID, &subject, &data, &created); err != nil {
			rows.Close()
			return nil, err
		}
		plain, err := t.open(data)
		if err != nil {
			rows.Close()
			return nil, err
		}
		e.Chat, e.Subject, e.Data, e.CreatedAt = chatID.String, subject.String, plain, fromMicros(created)
		out = append(out, e)
	}
	return out, closeRows(rows)
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func (t *txn) MessagesBefore(ctx context.Context, chatID string, beforeSeq int64, since time.Time, limit int) ([]chat.Message, error) {
	if beforeSeq <= 0 {
		beforeSeq = math.MaxInt64
	}
	rows, err := t.query(ctx, messageSelect+`WHERE m.chat_id = ? AND m.seq < ? AND m.created_at >= ? ORDER BY m.seq DESC LIMIT ?`, chatID, beforeSeq, micros(since), limit)
	if err != nil {
		return nil, err
	}
	return t.scanMessages(rows)
}

func (t *txn) MessageByID(ctx context.Context, id string) (*chat.Message, error) {
	return t.scanMessage(t.queryRow(ctx, messageSelect+`WHERE m.id = ?`, id))
}

func (t *txn) PutMessageAck(ctx context.Context, messageID, userID string, at time.Time) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO message_acks (message_id, user_id, at) VALUES (?, ?, ?) ON CONFLICT (message_id, user_id) DO NOTHING`,
		messageID, userID, micros(at))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (t *txn) MessageAcks(ctx context.Context, messageID string) ([]einsatzraum.MessageAck, error) {
	rows, err := t.query(ctx, `SELECT user_id, at FROM message_acks WHERE message_id = ? ORDER BY at, user_id`, messageID)
	if err != nil {
		return nil, err
	}
	out := []einsatzraum.MessageAck{}
	for rows.Next() {
		var a einsatzraum.MessageAck
		var at int64
		if err := rows.Scan(&a.User, &at); err != nil {
			rows.Close()
			return nil, err
		}
		a.At = fromMicros(at)
		out = append(out, a)
	}
	return out, closeRows(rows)
}

func (t *txn) UpdateMessage(ctx context.Context, m *chat.Message) error {
	body, err := t.sealJSON(bodyOf(m))
	if err != nil {
		return err
	}
	return t.execOne(ctx, `UPDATE messages SET body = ? WHERE id = ?`, body, m.ID)
}
