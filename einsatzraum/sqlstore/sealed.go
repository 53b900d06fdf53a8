package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// What is sealed at rest, and what stays clear and why:
//
//   - sealed: message bodies, event payloads, attachment names (since the
//     start); room names and descriptions, chat names, POIs (name,
//     category, description, position), every track point's position,
//     accuracy, heading and speed, a photo's position and a file's
//     SHA-256, and the audit log's details (auditors' search words among
//     them).
//   - clear: IDs and the links between rows (room, chat, user: every
//     permission check joins on them), timestamps (retention deletes by
//     them, tracks and audits select time ranges), sequence numbers,
//     roles and permissions, a file's kind, type and size (limits and
//     downloads), the audit log's actor, action and target (the record
//     of who did what to which object, which the log exists to show), and
//     users' names, call signs and emails (login looks them up; they are
//     the directory's, not an operation's).

// sealedTextPrefix marks a text column that holds a sealed value; a value
// without it is a row written before texts were sealed.
const sealedTextPrefix = "sealed:"

// sealText seals s for a text column.
func (t *txn) sealText(s string) string {
	return sealedTextPrefix + base64.RawStdEncoding.EncodeToString(t.c.Seal([]byte(s)))
}

// openText reads a text column written by sealText, or a clear one from
// before.
func (t *txn) openText(s string) (string, error) {
	b64, ok := strings.CutPrefix(s, sealedTextPrefix)
	if !ok {
		return s, nil
	}
	sealed, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("decode sealed text: %w", err)
	}
	p, err := t.open(sealed)
	return string(p), err
}

// sealJSON seals v's JSON for a 'sealed' column.
func (t *txn) sealJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode sealed value: %w", err)
	}
	return t.c.Seal(b), nil
}

// sealMany seals values written together: under one data key where the
// cipher can (chat.Keyring.SealMany), else one by one.
func (t *txn) sealMany(values [][]byte) [][]byte {
	if m, ok := t.c.(interface{ SealMany([][]byte) [][]byte }); ok {
		return m.SealMany(values)
	}
	out := make([][]byte, len(values))
	for i, v := range values {
		out[i] = t.c.Seal(v)
	}
	return out
}

// openJSON opens a 'sealed' column into v.
func (t *txn) openJSON(sealed []byte, v any) error {
	p, err := t.open(sealed)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(p, v); err != nil {
		return fmt.Errorf("decode sealed value: %w", err)
	}
	return nil
}

// SealPlaintext seals what rows written before sealing keep in the clear
// (rooms, chats, the audit log's details, attachments, POIs) and moves
// the per-point track history of earlier versions into sealed chunks, in
// batches of 500 rows per transaction, and reports how many rows it
// sealed or moved. Call it after CheckKey; it is cheap when nothing is
// left to do.
func (db *DB) SealPlaintext(ctx context.Context) (int, error) {
	total := 0
	for _, step := range []struct {
		name string
		fn   func(ctx context.Context, t *txn) (int, error)
	}{
		{"rooms", sealRooms}, {"chats", sealChats}, {"audit log", sealAudit},
		{"attachments", sealAttachments}, {"pois", sealPOIs}, {"track points", moveLegacyPoints},
	} {
		for {
			var n int
			err := db.run(ctx, db.w, nil, func(x einsatzraum.Tx) (err error) {
				n, err = step.fn(ctx, x.(*txn))
				return err
			})
			if err != nil {
				return total, fmt.Errorf("seal the %s: %w", step.name, err)
			}
			total += n
			if n == 0 {
				break
			}
		}
	}
	return total, nil
}

const sealBatch = 500

// clearRows reads up to sealBatch rows of q (which selects rows not yet
// sealed), each into the values scan returns, and then updates each.
func sealRows[R any](ctx context.Context, t *txn, q string, scan func(*sql.Rows) (R, error), update func(R) error) (int, error) {
	rows, err := t.query(ctx, q+fmt.Sprintf(" LIMIT %d", sealBatch))
	if err != nil {
		return 0, err
	}
	var batch []R
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			rows.Close()
			return 0, err
		}
		batch = append(batch, r)
	}
	if err := closeRows(rows); err != nil {
		return 0, err
	}
	for _, r := range batch {
		if err := update(r); err != nil {
			return 0, err
		}
	}
	return len(batch), nil
}

func sealRooms(ctx context.Context, t *txn) (int, error) {
	type row struct{ id, name, desc string }
	return sealRows(ctx, t, `SELECT id, name, description FROM rooms WHERE name NOT LIKE 'sealed:%'`,
		func(rs *sql.Rows) (r row, err error) { return r, rs.Scan(&r.id, &r.name, &r.desc) },
		func(r row) error {
			_, err := t.exec(ctx, `UPDATE rooms SET name = ?, description = ? WHERE id = ?`, t.sealText(r.name), t.sealText(r.desc), r.id)
			return err
		})
}

func sealChats(ctx context.Context, t *txn) (int, error) {
	type row struct{ id, name string }
	return sealRows(ctx, t, `SELECT id, name FROM chats WHERE name NOT LIKE 'sealed:%'`,
		func(rs *sql.Rows) (r row, err error) { return r, rs.Scan(&r.id, &r.name) },
		func(r row) error {
			_, err := t.exec(ctx, `UPDATE chats SET name = ? WHERE id = ?`, t.sealText(r.name), r.id)
			return err
		})
}

func sealAudit(ctx context.Context, t *txn) (int, error) {
	type row struct {
		id     int64
		detail string
	}
	return sealRows(ctx, t, `SELECT id, detail FROM audit_log WHERE detail NOT LIKE 'sealed:%'`,
		func(rs *sql.Rows) (r row, err error) { return r, rs.Scan(&r.id, &r.detail) },
		func(r row) error {
			_, err := t.exec(ctx, `UPDATE audit_log SET detail = ? WHERE id = ?`, t.sealText(r.detail), r.id)
			return err
		})
}

func sealAttachments(ctx context.Context, t *txn) (int, error) {
	type row struct {
		id, sum  string
		lat, lon sql.NullFloat64
	}
	return sealRows(ctx, t, `SELECT id, sha256, lat, lon FROM attachments WHERE sealed IS NULL`,
		func(rs *sql.Rows) (r row, err error) { return r, rs.Scan(&r.id, &r.sum, &r.lat, &r.lon) },
		func(r row) error {
			var sa sealedAttachment
			if r.lat.Valid && r.lon.Valid {
				sa.Location = &chat.Location{Lat: r.lat.Float64, Lon: r.lon.Float64}
			}
			sealed, err := t.sealJSON(sa)
			if err != nil {
				return err
			}
			sum := r.sum
			if !strings.HasPrefix(sum, sealedTextPrefix) {
				sum = t.sealText(sum)
			}
			_, err = t.exec(ctx, `UPDATE attachments SET sha256 = ?, lat = NULL, lon = NULL, sealed = ? WHERE id = ?`, sum, sealed, r.id)
			return err
		})
}

func sealPOIs(ctx context.Context, t *txn) (int, error) {
	type row struct {
		id string
		p  sealedPOI
	}
	return sealRows(ctx, t, `SELECT id, name, category, description, lat, lon FROM pois WHERE sealed IS NULL`,
		func(rs *sql.Rows) (r row, err error) {
			return r, rs.Scan(&r.id, &r.p.Name, &r.p.Category, &r.p.Description, &r.p.Lat, &r.p.Lon)
		},
		func(r row) error {
			sealed, err := t.sealJSON(r.p)
			if err != nil {
				return err
			}
			_, err = t.exec(ctx, `UPDATE pois SET name = '', category = '', description = '', lat = 0, lon = 0, sealed = ? WHERE id = ?`, sealed, r.id)
			return err
		})
}
