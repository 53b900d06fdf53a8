package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

const userColumns = `id, email, name, callsign, roles, password_hash, created_at, state, source`

func scanUser(row interface{ Scan(...any) error }) (*einsatzraum.User, error) {
	var u einsatzraum.User
	var roles string
	var created int64
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Callsign, &roles, &u.PasswordHash, &created, &u.State, &u.Source); err != nil {
		return nil, one(err)
	}
	u.Roles = []einsatzraum.GlobalRole{}
	for _, r := range strings.Split(roles, ",") {
		if r != "" {
			u.Roles = append(u.Roles, einsatzraum.GlobalRole(r))
		}
	}
	u.CreatedAt = fromMicros(created)
	return &u, nil
}

func joinRoles(roles []einsatzraum.GlobalRole) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

func (t *txn) CreateUser(ctx context.Context, u *einsatzraum.User) error {
	if u.State == "" {
		u.State = einsatzraum.UserActive
	}
	if u.Source == "" {
		u.Source = einsatzraum.SourceLocal
	}
	_, err := t.exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Name, u.Callsign, joinRoles(u.Roles), u.PasswordHash, micros(u.CreatedAt), u.State, u.Source)
	return err
}

func (t *txn) UserByID(ctx context.Context, id string) (*einsatzraum.User, error) {
	return scanUser(t.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

func (t *txn) UserByEmail(ctx context.Context, email string) (*einsatzraum.User, error) {
	return scanUser(t.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`, email))
}

func (t *txn) UsersByIDs(ctx context.Context, ids []string) ([]einsatzraum.User, error) {
	out := []einsatzraum.User{}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := make([]any, n)
		for i := range n {
			args[i] = ids[i]
		}
		rows, err := t.query(ctx, `SELECT `+userColumns+` FROM users WHERE id IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		batch, err := scanUsers(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, batch...)
		ids = ids[n:]
	}
	return out, nil
}

func (t *txn) SearchUsers(ctx context.Context, q string, limit int) ([]einsatzraum.User, error) {
	pattern := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q)) + "%"
	rows, err := t.query(ctx, `SELECT `+userColumns+` FROM users
		WHERE lower(name) LIKE ? ESCAPE '\' OR lower(callsign) LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\'
		ORDER BY name, id LIMIT ?`, pattern, pattern, pattern, limit)
	if err != nil {
		return nil, err
	}
	return scanUsers(rows)
}

// scanUsers reads every row of rows as a user and closes rows.
func scanUsers(rows *sql.Rows) ([]einsatzraum.User, error) {
	out := []einsatzraum.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *u)
	}
	return out, closeRows(rows)
}

func (t *txn) UpdatePassword(ctx context.Context, userID, hash string) error {
	return t.execOne(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
}

const deviceColumns = `id, user_id, name, token_hash, created_at, last_seen_at, revoked_at, approved_at, scope, room_id`

func scanDevice(row interface{ Scan(...any) error }) (*einsatzraum.Device, error) {
	var d einsatzraum.Device
	var created, seen int64
	var revoked, approved sql.NullInt64
	var room sql.NullString
	if err := row.Scan(&d.ID, &d.UserID, &d.Name, &d.TokenHash, &created, &seen, &revoked, &approved, &d.Scope, &room); err != nil {
		return nil, one(err)
	}
	if approved.Valid {
		t := fromMicros(approved.Int64)
		d.ApprovedAt = &t
	}
	d.Room = room.String
	d.CreatedAt, d.LastSeenAt = fromMicros(created), fromMicros(seen)
	if revoked.Valid {
		t := fromMicros(revoked.Int64)
		d.RevokedAt = &t
	}
	return &d, nil
}

func (t *txn) CreateDevice(ctx context.Context, d *einsatzraum.Device) error {
	var approved sql.NullInt64
	if d.ApprovedAt != nil {
		approved = sql.NullInt64{Int64: micros(*d.ApprovedAt), Valid: true}
	}
	var room any
	if d.Room != "" {
		room = d.Room
	}
	_, err := t.exec(ctx, `INSERT INTO devices (`+deviceColumns+`) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
		d.ID, d.UserID, d.Name, d.TokenHash, micros(d.CreatedAt), micros(d.LastSeenAt), approved, d.Scope, room)
	return err
}

// ApproveDevice marks a device as approved (once; later calls keep the
// first time).
func (t *txn) ApproveDevice(ctx context.Context, id string, at time.Time) error {
	return t.execOne(ctx, `UPDATE devices SET approved_at = COALESCE(approved_at, ?) WHERE id = ?`, micros(at), id)
}

// PendingDevices lists devices that wait for approval and are not
// revoked, oldest first.
func (t *txn) PendingDevices(ctx context.Context) ([]einsatzraum.Device, error) {
	rows, err := t.query(ctx, `SELECT `+deviceColumns+` FROM devices WHERE approved_at IS NULL AND revoked_at IS NULL ORDER BY created_at, id LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	return scanDevices(rows)
}

func (t *txn) DeviceByID(ctx context.Context, id string) (*einsatzraum.Device, error) {
	return scanDevice(t.queryRow(ctx, `SELECT `+deviceColumns+` FROM devices WHERE id = ?`, id))
}

func (t *txn) DeviceByTokenHash(ctx context.Context, hash []byte) (*einsatzraum.Device, error) {
	return scanDevice(t.queryRow(ctx, `SELECT `+deviceColumns+` FROM devices WHERE token_hash = ?`, hash))
}

func (t *txn) DevicesOfUser(ctx context.Context, userID string) ([]einsatzraum.Device, error) {
	rows, err := t.query(ctx, `SELECT `+deviceColumns+` FROM devices WHERE user_id = ? ORDER BY created_at DESC, id`, userID)
	if err != nil {
		return nil, err
	}
	return scanDevices(rows)
}

func (t *txn) RevokeDevice(ctx context.Context, id string, at time.Time) error {
	if err := t.execOne(ctx, `UPDATE devices SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, micros(at), id); err != nil {
		return err
	}
	return nil
}

func (t *txn) DevicesRevokedSince(ctx context.Context, since time.Time) ([]string, error) {
	rows, err := t.query(ctx, `SELECT id FROM devices WHERE revoked_at IS NOT NULL AND revoked_at >= ?`, micros(since))
	if err != nil {
		return nil, err
	}
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, closeRows(rows)
}

func (t *txn) TouchDevice(ctx context.Context, id string, at time.Time) error {
	return t.execOne(ctx, `UPDATE devices SET last_seen_at = ? WHERE id = ?`, micros(at), id)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// closeRows closes rows and returns the iteration error, if any.
// scanDevices reads every row of rows as a device and closes rows.
func scanDevices(rows *sql.Rows) ([]einsatzraum.Device, error) {
	out := []einsatzraum.Device{}
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *d)
	}
	return out, closeRows(rows)
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

func (t *txn) SetUserState(ctx context.Context, userID, state string) error {
	return t.execOne(ctx, `UPDATE users SET state = ? WHERE id = ?`, state, userID)
}

func (t *txn) UpdateUserProfile(ctx context.Context, userID, name string) error {
	return t.execOne(ctx, `UPDATE users SET name = ? WHERE id = ?`, name, userID)
}

func (t *txn) UsersBySource(ctx context.Context, source string) ([]einsatzraum.User, error) {
	rows, err := t.query(ctx, `SELECT `+userColumns+` FROM users WHERE source = ? AND state = ? ORDER BY id`, source, einsatzraum.UserActive)
	if err != nil {
		return nil, err
	}
	return scanUsers(rows)
}

func (t *txn) SetDeviceScope(ctx context.Context, id, scope string) error {
	return t.execOne(ctx, `UPDATE devices SET scope = ? WHERE id = ?`, scope, id)
}

func (t *txn) CreateEmailToken(ctx context.Context, et *einsatzraum.EmailToken) error {
	var pw any
	if et.PasswordHash != "" {
		pw = et.PasswordHash
	}
	_, err := t.exec(ctx, `INSERT INTO email_tokens (hash, user_id, purpose, created_at, expires_at, password_hash) VALUES (?, ?, ?, ?, ?, ?)`,
		et.Hash, et.UserID, et.Purpose, micros(et.CreatedAt), micros(et.ExpiresAt), pw)
	return err
}

func (t *txn) UseEmailToken(ctx context.Context, hash []byte, purpose string, now time.Time) (*einsatzraum.EmailToken, error) {
	err := t.execOne(ctx, `UPDATE email_tokens SET used_at = ? WHERE hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?`,
		micros(now), hash, purpose, micros(now))
	if err != nil {
		return nil, err
	}
	et := einsatzraum.EmailToken{Hash: hash, Purpose: purpose}
	var created, expires int64
	var pw sql.NullString
	if err := t.queryRow(ctx, `SELECT user_id, created_at, expires_at, password_hash FROM email_tokens WHERE hash = ?`, hash).Scan(&et.UserID, &created, &expires, &pw); err != nil {
		return nil, one(err)
	}
	et.CreatedAt, et.ExpiresAt, et.PasswordHash = fromMicros(created), fromMicros(expires), pw.String
	return &et, nil
}

func (t *txn) PutTOTP(ctx context.Context, userID string, v *einsatzraum.TOTP) error {
	sealed, err := t.sealJSON(v)
	if err != nil {
		return err
	}
	var confirmed any
	if v.ConfirmedAt != nil {
		confirmed = micros(*v.ConfirmedAt)
	}
	if _, err := t.exec(ctx, `DELETE FROM user_totp WHERE user_id = ?`, userID); err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO user_totp (user_id, sealed, confirmed_at, last_step) VALUES (?, ?, ?, ?)`, userID, sealed, confirmed, v.LastStep)
	return err
}

func (t *txn) TOTPOf(ctx context.Context, userID string) (*einsatzraum.TOTP, error) {
	var sealed []byte
	var confirmed sql.NullInt64
	var v einsatzraum.TOTP
	if err := t.queryRow(ctx, `SELECT sealed, confirmed_at, last_step FROM user_totp WHERE user_id = ?`, userID).Scan(&sealed, &confirmed, &v.LastStep); err != nil {
		return nil, one(err)
	}
	if err := t.openJSON(sealed, &v); err != nil {
		return nil, err
	}
	if confirmed.Valid {
		at := fromMicros(confirmed.Int64)
		v.ConfirmedAt = &at
	}
	return &v, nil
}

func (t *txn) DeleteTOTP(ctx context.Context, userID string) error {
	_, err := t.exec(ctx, `DELETE FROM user_totp WHERE user_id = ?`, userID)
	return err
}
