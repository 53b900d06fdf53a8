package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

func (t *txn) CreateRoom(ctx context.Context, r *einsatzraum.Room) error {
	_, err := t.exec(ctx, `INSERT INTO rooms (id, name, description, seq, created_at) VALUES (?, ?, ?, 0, ?)`,
		r.ID, t.sealText(r.Name), t.sealText(r.Description), micros(r.CreatedAt))
	return err
}

// openRoom opens a room's sealed texts.
func (t *txn) openRoom(r *einsatzraum.Room) (err error) {
	if r.Name, err = t.openText(r.Name); err != nil {
		return err
	}
	r.Description, err = t.openText(r.Description)
	return err
}

func (t *txn) RoomByID(ctx context.Context, id string) (*einsatzraum.Room, error) {
	var r einsatzraum.Room
	var created int64
	var archived sql.NullInt64
	err := t.queryRow(ctx, `SELECT id, name, description, seq, created_at, archived_at FROM rooms WHERE id = ?`, id).
		Scan(&r.ID, &r.Name, &r.Description, &r.Seq, &created, &archived)
	if err != nil {
		return nil, one(err)
	}
	r.CreatedAt = fromMicros(created)
	r.ArchivedAt = optionalTime(archived)
	return &r, t.openRoom(&r)
}

func (t *txn) UpdateRoom(ctx context.Context, r *einsatzraum.Room) error {
	var archived any
	if r.ArchivedAt != nil {
		archived = micros(*r.ArchivedAt)
	}
	return t.execOne(ctx, `UPDATE rooms SET name = ?, description = ?, archived_at = ? WHERE id = ?`,
		t.sealText(r.Name), t.sealText(r.Description), archived, r.ID)
}

// optionalTime is a nullable microsecond column as a time, nil for NULL.
func optionalTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	at := fromMicros(v.Int64)
	return &at
}

func (t *txn) RoomsOfUser(ctx context.Context, userID string) ([]einsatzraum.Room, error) {
	rows, err := t.query(ctx, `SELECT r.id, r.name, r.description, r.seq, r.created_at, r.archived_at, m.role
		FROM rooms r JOIN room_members m ON m.room_id = r.id
		WHERE m.user_id = ?`, userID)
	if err != nil {
		return nil, err
	}
	out := []einsatzraum.Room{}
	for rows.Next() {
		var r einsatzraum.Room
		var created int64
		var archived sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Name, &r.Description, &r.Seq, &created, &archived, &r.MyRole); err != nil {
			rows.Close()
			return nil, err
		}
		r.CreatedAt = fromMicros(created)
		r.ArchivedAt = optionalTime(archived)
		if err := t.openRoom(&r); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	// Sorted here: the names are sealed in the database.
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out, closeRows(rows)
}

func (t *txn) NextSeq(ctx context.Context, roomID string) (int64, error) {
	var seq int64
	err := t.queryRow(ctx, `UPDATE rooms SET seq = seq + 1 WHERE id = ? RETURNING seq`, roomID).Scan(&seq)
	return seq, one(err)
}

// ReserveSeqs takes the rooms' row locks in ID order (as every other
// writer that takes more than one, so two nodes cannot deadlock), one
// UPDATE each.
func (t *txn) ReserveSeqs(ctx context.Context, counts map[string]int) (map[string]int64, error) {
	rooms := make([]string, 0, len(counts))
	for r := range counts {
		rooms = append(rooms, r)
	}
	slices.Sort(rooms)
	first := make(map[string]int64, len(rooms))
	if t.d.arrays && len(rooms) > 1 {
		return first, t.reserveSeqsAtOnce(ctx, rooms, counts, first)
	}
	for _, r := range rooms {
		var last int64
		err := t.queryRow(ctx, `UPDATE rooms SET seq = seq + ? WHERE id = ? RETURNING seq`, counts[r], r).Scan(&last)
		if err != nil {
			return nil, fmt.Errorf("reserve %d seqs of room %s: %w", counts[r], r, one(err))
		}
		first[r] = last - int64(counts[r]) + 1
	}
	return first, nil
}

// reserveSeqsAtOnce is ReserveSeqs in two round trips for any number of
// rooms (PostgreSQL): the rows are locked in ID order first (the locking
// SELECT locks in the order it returns), then updated in one statement.
func (t *txn) reserveSeqsAtOnce(ctx context.Context, rooms []string, counts map[string]int, first map[string]int64) error {
	rows, err := t.query(ctx, `SELECT id FROM rooms WHERE id = ANY(?::text[]) ORDER BY id FOR UPDATE`, rooms)
	if err != nil {
		return fmt.Errorf("lock rooms: %w", err)
	}
	locked := 0
	for rows.Next() {
		locked++
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("lock rooms: %w", err)
	}
	if locked != len(rooms) {
		return fmt.Errorf("reserve seqs of %d rooms, %d exist: %w", len(rooms), locked, einsatzraum.ErrNotFound)
	}
	n := make([]int64, len(rooms))
	for i, r := range rooms {
		n[i] = int64(counts[r])
	}
	rows, err = t.query(ctx, `UPDATE rooms SET seq = rooms.seq + v.n FROM unnest(?::text[], ?::bigint[]) AS v(id, n)
		WHERE rooms.id = v.id RETURNING rooms.id, rooms.seq`, rooms, n)
	if err != nil {
		return fmt.Errorf("reserve seqs: %w", err)
	}
	for rows.Next() {
		var id string
		var last int64
		if err := rows.Scan(&id, &last); err != nil {
			rows.Close()
			return fmt.Errorf("reserve seqs: %w", err)
		}
		first[id] = last - int64(counts[id]) + 1
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("reserve seqs: %w", err)
	}
	if len(first) != len(rooms) {
		return fmt.Errorf("reserved seqs of %d rooms of %d: %w", len(first), len(rooms), einsatzraum.ErrNotFound)
	}
	return nil
}

func (t *txn) RoomRole(ctx context.Context, roomID, userID string) (einsatzraum.RoomRole, error) {
	var role einsatzraum.RoomRole
	err := t.queryRow(ctx, `SELECT role FROM room_members WHERE room_id = ? AND user_id = ?`, roomID, userID).Scan(&role)
	return role, one(err)
}

func (t *txn) Members(ctx context.Context, roomID string) ([]einsatzraum.Member, error) {
	rows, err := t.query(ctx, `SELECT u.id, u.name, u.callsign, m.role, m.joined_at
		FROM room_members m JOIN users u ON u.id = m.user_id
		WHERE m.room_id = ? ORDER BY u.name, u.id`, roomID)
	if err != nil {
		return nil, err
	}
	out := []einsatzraum.Member{}
	for rows.Next() {
		var m einsatzraum.Member
		var joined int64
		if err := rows.Scan(&m.User.ID, &m.User.Name, &m.User.Callsign, &m.Role, &joined); err != nil {
			rows.Close()
			return nil, err
		}
		m.JoinedAt = fromMicros(joined)
		out = append(out, m)
	}
	return out, closeRows(rows)
}

func (t *txn) PutMember(ctx context.Context, roomID, userID string, role einsatzraum.RoomRole, at time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO room_members (room_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (room_id, user_id) DO UPDATE SET role = excluded.role`, roomID, userID, string(role), micros(at))
	return err
}

func (t *txn) DeleteMember(ctx context.Context, roomID, userID string) error {
	return t.execOne(ctx, `DELETE FROM room_members WHERE room_id = ? AND user_id = ?`, roomID, userID)
}

func (t *txn) CountLeads(ctx context.Context, roomID string) (int, error) {
	var n int
	err := t.queryRow(ctx, `SELECT COUNT(*) FROM room_members WHERE room_id = ? AND role = 'lead'`, roomID).Scan(&n)
	return n, err
}

func (t *txn) CreateChat(ctx context.Context, c *einsatzraum.Chat) error {
	_, err := t.exec(ctx, `INSERT INTO chats (id, room_id, name, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
		c.ID, c.Room, t.sealText(c.Name), c.CreatedBy, micros(c.CreatedAt))
	return err
}

func (t *txn) RenameChat(ctx context.Context, chatID, name string) error {
	return t.execOne(ctx, `UPDATE chats SET name = ? WHERE id = ?`, t.sealText(name), chatID)
}

func (t *txn) OpenChatGap(ctx context.Context, chatID, userID string, seq int64) error {
	_, err := t.exec(ctx, `INSERT INTO chat_member_gaps (chat_id, user_id, from_seq) VALUES (?, ?, ?)`, chatID, userID, seq)
	return err
}

func (t *txn) CloseChatGap(ctx context.Context, chatID, userID string, seq int64) error {
	_, err := t.exec(ctx, `UPDATE chat_member_gaps SET to_seq = ? WHERE chat_id = ? AND user_id = ? AND to_seq IS NULL`, seq, chatID, userID)
	return err
}

func (t *txn) ChatGaps(ctx context.Context, chatID, userID string) ([]einsatzraum.SeqRange, error) {
	rows, err := t.query(ctx, `SELECT from_seq, to_seq FROM chat_member_gaps WHERE chat_id = ? AND user_id = ? ORDER BY from_seq`, chatID, userID)
	if err != nil {
		return nil, err
	}
	var out []einsatzraum.SeqRange
	for rows.Next() {
		var g einsatzraum.SeqRange
		var to sql.NullInt64
		if err := rows.Scan(&g.From, &to); err != nil {
			rows.Close()
			return nil, err
		}
		g.To = to.Int64
		out = append(out, g)
	}
	return out, closeRows(rows)
}

func (t *txn) ChatByID(ctx context.Context, id string) (*einsatzraum.Chat, error) {
	var c einsatzraum.Chat
	var created int64
	err := t.queryRow(ctx, `SELECT id, room_id, name, created_by, created_at FROM chats WHERE id = ?`, id).
		Scan(&c.ID, &c.Room, &c.Name, &c.CreatedBy, &created)
	if err != nil {
		return nil, one(err)
	}
	c.CreatedAt = fromMicros(created)
	c.Name, err = t.openText(c.Name)
	return &c, err
}

func (t *txn) ChatsOfUser(ctx context.Context, roomID, userID string) ([]einsatzraum.Chat, error) {
	rows, err := t.query(ctx, `SELECT c.id, c.room_id, c.name, c.created_by, c.created_at, m.perms
		FROM chats c JOIN chat_members m ON m.chat_id = c.id
		WHERE c.room_id = ? AND m.user_id = ? ORDER BY c.created_at, c.id`, roomID, userID)
	if err != nil {
		return nil, err
	}
	out := []einsatzraum.Chat{}
	for rows.Next() {
		var c einsatzraum.Chat
		var created int64
		if err := rows.Scan(&c.ID, &c.Room, &c.Name, &c.CreatedBy, &created, &c.MyPermissions); err != nil {
			rows.Close()
			return nil, err
		}
		c.CreatedAt = fromMicros(created)
		var err error
		if c.Name, err = t.openText(c.Name); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	return out, closeRows(rows)
}

func (t *txn) ChatPermission(ctx context.Context, chatID, userID string) (chat.Permission, error) {
	var p chat.Permission
	err := t.queryRow(ctx, `SELECT perms FROM chat_members WHERE chat_id = ? AND user_id = ?`, chatID, userID).Scan(&p)
	return p, one(err)
}

// chatAccessColumns are the columns chatAccessScanner reads.
const chatAccessColumns = `c.id, c.room_id, c.name, c.created_by, c.created_at, m.perms, rm.role, r.archived_at`

func (t *txn) ChatAccess(ctx context.Context, chatID, userID string) (*einsatzraum.ChatAccess, error) {
	return t.chatAccessScanner(nil)(t.queryRow(ctx, `SELECT `+chatAccessColumns+`
		FROM chats c
		JOIN chat_members m ON m.chat_id = c.id AND m.user_id = ?
		JOIN room_members rm ON rm.room_id = c.room_id AND rm.user_id = ?
		JOIN rooms r ON r.id = c.room_id
		WHERE c.id = ?`, userID, userID, chatID))
}

// ChatAccesses reads every pair in one statement.
func (t *txn) ChatAccesses(ctx context.Context, chatIDs, userIDs []string) ([]*einsatzraum.ChatAccess, error) {
	q, args, err := t.d.perPair(chatIDs, userIDs, chatAccessColumns, `chats c
		JOIN chat_members m ON m.chat_id = c.id AND m.user_id = k.b
		JOIN room_members rm ON rm.room_id = c.room_id AND rm.user_id = k.b
		JOIN rooms r ON r.id = c.room_id`, `c.id = k.a`)
	if err != nil {
		return nil, fmt.Errorf("chat accesses: %w", err)
	}
	rows, err := t.queryList(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	// A group's posts mostly go to a few chats: each chat's name is
	// opened once per call.
	return scanPairRows(rows, len(chatIDs), t.chatAccessScanner(map[string]string{}))
}

// chatAccessScanner returns the scan of the chatAccessColumns of a row;
// names (nil: none) keeps the chat names it opened, sealed to open, so
// that rows of one chat open its name once.
func (t *txn) chatAccessScanner(names map[string]string) func(row interface{ Scan(...any) error }) (*einsatzraum.ChatAccess, error) {
	return func(row interface{ Scan(...any) error }) (*einsatzraum.ChatAccess, error) {
		var a einsatzraum.ChatAccess
		var created int64
		var archived sql.NullInt64
		if err := row.Scan(&a.Chat.ID, &a.Chat.Room, &a.Chat.Name, &a.Chat.CreatedBy, &created, &a.Permission, &a.Role, &archived); err != nil {
			return nil, one(err)
		}
		a.Chat.CreatedAt = fromMicros(created)
		a.Archived = archived.Valid
		sealed := a.Chat.Name
		if name, ok := names[sealed]; ok {
			a.Chat.Name = name
			return &a, nil
		}
		var err error
		if a.Chat.Name, err = t.openText(sealed); err != nil {
			return nil, err
		}
		if names != nil {
			names[sealed] = a.Chat.Name
		}
		return &a, nil
	}
}

func (t *txn) ChatMembers(ctx context.Context, chatID string) ([]einsatzraum.ChatMember, error) {
	rows, err := t.query(ctx, `SELECT u.id, u.name, u.callsign, m.perms
		FROM chat_members m JOIN users u ON u.id = m.user_id
		WHERE m.chat_id = ? ORDER BY u.name, u.id`, chatID)
	if err != nil {
		return nil, err
	}
	out := []einsatzraum.ChatMember{}
	for rows.Next() {
		var m einsatzraum.ChatMember
		if err := rows.Scan(&m.User.ID, &m.User.Name, &m.User.Callsign, &m.Permissions); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, m)
	}
	return out, closeRows(rows)
}

func (t *txn) PutChatMember(ctx context.Context, chatID, userID string, p chat.Permission) error {
	_, err := t.exec(ctx, `INSERT INTO chat_members (chat_id, user_id, perms) VALUES (?, ?, ?)
		ON CONFLICT (chat_id, user_id) DO UPDATE SET perms = excluded.perms`, chatID, userID, int(p))
	return err
}

func (t *txn) DeleteChatMember(ctx context.Context, chatID, userID string) error {
	return t.execOne(ctx, `DELETE FROM chat_members WHERE chat_id = ? AND user_id = ?`, chatID, userID)
}

func (t *txn) CountChatManagers(ctx context.Context, chatID string) (int, error) {
	var n int
	err := t.queryRow(ctx, `SELECT COUNT(*) FROM chat_members WHERE chat_id = ? AND (perms & ?) != 0`, chatID, int(chat.Manage)).Scan(&n)
	return n, err
}
