package einsatzraum

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Identity as police IT runs it: officers register with their official
// email (confirmed by a link), reset a forgotten password the same way,
// change it when logged in; an administrator lists, disables and enables
// accounts; a directory (LDAP) may own the passwords instead. The second
// factor is in totp.go, the login's brute-force brake in lockout.go.

// Mailer sends one plain-text email (an SMTP client).
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// Directory checks logins against a directory (LDAP, Active Directory)
// and looks accounts up there.
type Directory interface {
	// Authenticate checks email and password; ErrNotFound when the
	// directory has no such active account or the password is wrong.
	Authenticate(ctx context.Context, email, password string) (*DirectoryEntry, error)
	// Lookup finds an active account by email; ErrNotFound when it is
	// missing or disabled there.
	Lookup(ctx context.Context, email string) (*DirectoryEntry, error)
}

// DirectoryEntry is what a directory says of an account.
type DirectoryEntry struct {
	Email string
	Name  string
}

// How long email links work.
const (
	ConfirmLinkTTL = 24 * time.Hour
	ResetLinkTTL   = time.Hour
)

// NewRegistration is the input of Register.
type NewRegistration struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// registrationOff says why self-registration is off, "" when it is on.
func (s *Service) registrationOff() string {
	switch {
	case s.cfg.Mailer == nil:
		return "self-registration needs an SMTP server (--smtp-addr); ask an administrator for an account"
	case s.cfg.Directory != nil:
		return "accounts come from the directory (LDAP); log in with the directory's password"
	}
	return ""
}

// RegistrationOpen reports whether officers may register themselves.
func (s *Service) RegistrationOpen() bool { return s.registrationOff() == "" }

// Register starts a self-registration with an official email: a pending
// account and a confirmation link by email (valid ConfirmLinkTTL). The
// answer is the same whether the email was free or not (who has an
// account stays unknown); an active account's owner gets a mail saying
// so. Errors: 403 registration_off, 400 for bad fields, 429 per address.
func (s *Service) Register(ctx context.Context, in NewRegistration, address string) error {
	if why := s.registrationOff(); why != "" {
		return Errorf(KindForbidden, "registration_off", "%s", why)
	}
	email, err := s.checkEmail(in.Email)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(in.Name)
	if err := checkText("name", name, 1, 200); err != nil {
		return err
	}
	if err := checkPasswordLen(in.Password); err != nil {
		return err
	}
	if err := s.limit(ctx, "register-addr:"+address, 20, time.Hour, "too many registrations from this address"); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return err
	}
	existing, err := s.UserByEmail(ctx, email)
	if err != nil && !IsNotFound(err) {
		return err
	}
	if existing != nil && existing.State != UserPending {
		s.audit(ctx, "", "register_existing", existing.ID, "address "+address)
		return s.mail(ctx, email, "Einsatzraum: Konto besteht bereits / account exists",
			"Für diese Adresse besteht bereits ein Konto. Passwort vergessen? Bitte über „Passwort vergessen“ neu setzen.\n\n"+
				"There is an account for this address already. Forgot the password? Reset it with \"Forgot password\".\n")
	}
	u := existing
	var token string
	err = s.update(ctx, "register", func(w *write) error {
		if u == nil {
			u = &User{ID: NewID("u"), Email: email, Name: name, Roles: []GlobalRole{}, PasswordHash: hash, State: UserPending, Source: SourceLocal, CreatedAt: w.now}
			if err := w.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		// Registering again while pending sends another link; each link
		// sets the password of its own registration when followed.
		if token, err = newEmailToken(ctx, w, u.ID, PurposeConfirm, ConfirmLinkTTL, hash); err != nil {
			return err
		}
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: u.ID, Action: "register", Target: u.ID, Detail: "address " + address})
	})
	if errors.Is(err, ErrConflict) { // registered at the same moment by another request
		return nil
	}
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	link := s.link("confirm", token)
	return s.mail(ctx, email, "Einsatzraum: E-Mail bestätigen / confirm your email",
		fmt.Sprintf("Guten Tag %s,\n\nbitte bestätigen Sie Ihr Konto (der Link gilt 24 Stunden und einmal):\n%s\n\n"+
			"Please confirm your account (the link works once, for 24 hours):\n%s\n\nWaren Sie das nicht? Dann ignorieren Sie diese Nachricht.\n", name, link, link))
}

// Confirm activates the account a confirmation token was sent for. 400
// invalid_link for an unknown, used or expired token.
func (s *Service) Confirm(ctx context.Context, token string) (*User, error) {
	var u *User
	err := s.update(ctx, "confirm", func(w *write) error {
		et, err := w.UseEmailToken(ctx, hashToken(token), PurposeConfirm, w.now)
		if err != nil {
			return notFound(err, "invalid_link", "this link is unknown, used or expired")
		}
		if u, err = w.UserByID(ctx, et.UserID); err != nil {
			return err
		}
		if u.State != UserPending {
			return Errorf(KindInvalid, "invalid_link", "this account is confirmed already")
		}
		if err := w.UpdatePassword(ctx, u.ID, et.PasswordHash); err != nil {
			return err
		}
		if err := w.SetUserState(ctx, u.ID, UserActive); err != nil {
			return err
		}
		u.State = UserActive
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: u.ID, Action: "confirm_email", Target: u.ID})
	})
	if e := AsError(err); e != nil && e.Kind == KindNotFound {
		return nil, Errorf(KindInvalid, e.Code, "%s", e.Message)
	}
	return u, err
}

// RequestReset mails a password reset link (valid ResetLinkTTL) to an
// active account with a local password. The answer is the same for any
// email. 403 mail_off without a mailer.
func (s *Service) RequestReset(ctx context.Context, email, address string) error {
	if s.cfg.Mailer == nil {
		return Errorf(KindForbidden, "mail_off", "password reset needs an SMTP server (--smtp-addr); ask an administrator")
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if err := s.limit(ctx, "reset-addr:"+address, 20, time.Hour, "too many password resets from this address"); err != nil {
		return err
	}
	u, err := s.UserByEmail(ctx, email)
	if IsNotFound(err) || (err == nil && (u.State != UserActive || u.Source != SourceLocal)) {
		s.audit(ctx, "", "reset_refused", email, "address "+address)
		return nil
	}
	if err != nil {
		return err
	}
	var token string
	err = s.update(ctx, "request_reset", func(w *write) (err error) {
		if token, err = newEmailToken(ctx, w, u.ID, PurposeReset, ResetLinkTTL, ""); err != nil {
			return err
		}
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: u.ID, Action: "request_reset", Target: u.ID, Detail: "address " + address})
	})
	if err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	link := s.link("reset", token)
	return s.mail(ctx, email, "Einsatzraum: Passwort neu setzen / reset your password",
		fmt.Sprintf("Mit diesem Link setzen Sie Ihr Passwort neu (einmal, eine Stunde lang):\n%s\n\n"+
			"Reset your password with this link (once, within an hour):\n%s\n\nWaren Sie das nicht? Dann ignorieren Sie diese Nachricht; Ihr Passwort bleibt.\n", link, link))
}

// ResetPassword sets a new password with a reset token; every device of
// the account is logged out (whoever knew the old password is out).
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	if err := checkPasswordLen(password); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	var userID string
	err = s.update(ctx, "reset_password", func(w *write) error {
		et, err := w.UseEmailToken(ctx, hashToken(token), PurposeReset, w.now)
		if err != nil {
			return notFound(err, "invalid_link", "this link is unknown, used or expired")
		}
		userID = et.UserID
		if err := w.UpdatePassword(ctx, userID, hash); err != nil {
			return err
		}
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: userID, Action: "reset_password", Target: userID})
	})
	if e := AsError(err); e != nil && e.Kind == KindNotFound {
		return Errorf(KindInvalid, e.Code, "%s", e.Message)
	}
	if err != nil {
		return err
	}
	return s.revokeAllDevices(ctx, nil, userID, "", "reset_password_logout")
}

// ChangePassword replaces the caller's (local) password after checking
// the current one; endOthers logs every other device of theirs out.
func (s *Service) ChangePassword(ctx context.Context, a *Actor, current, next string, endOthers bool) error {
	if a.User.Source != SourceLocal {
		return Errorf(KindConflict, "directory_password", "this account's password is the directory's; change it there")
	}
	if err := checkPasswordLen(next); err != nil {
		return err
	}
	fresh, err := s.UserByEmail(ctx, a.User.Email) // the caller's actor may be a cached copy
	if err != nil {
		return err
	}
	ok, err := s.checkPassword(ctx, fresh.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		s.audit(ctx, a.User.ID, "change_password_refused", a.User.ID, "wrong current password")
		return Errorf(KindForbidden, "wrong_password", "the current password is wrong")
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	err = s.update(ctx, "change_password", func(w *write) error {
		if err := w.UpdatePassword(ctx, a.User.ID, hash); err != nil {
			return err
		}
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: a.User.ID, Action: "change_password", Target: a.User.ID, Detail: fmt.Sprintf("end other devices: %v", endOthers)})
	})
	if err != nil || !endOthers {
		return err
	}
	return s.revokeAllDevices(ctx, a, a.User.ID, a.Device.ID, "change_password_logout")
}

// AdminUsers lists accounts whose name, call sign or email contains q (all
// for ""), at most limit (admins).
func (s *Service) AdminUsers(ctx context.Context, a *Actor, q string, limit int) ([]User, error) {
	if !a.isAdmin() {
		return nil, Errorf(KindForbidden, "not_admin", "only administrators list accounts")
	}
	if limit < 1 || limit > 1000 {
		return nil, Errorf(KindInvalid, "invalid_limit", "limit: 1 to 1000")
	}
	var us []User
	err := s.view(ctx, "admin_users", func(tx Tx) (err error) {
		us, err = tx.SearchUsers(ctx, strings.TrimSpace(q), limit)
		return err
	})
	if err == nil {
		s.audit(ctx, actorID(a), "admin_list_users", "", fmt.Sprintf("q %q, %d found", q, len(us)))
	}
	return us, err
}

// UserDevices lists an account's devices (admins).
func (s *Service) UserDevices(ctx context.Context, a *Actor, userID string) ([]Device, error) {
	if !a.isAdmin() {
		return nil, Errorf(KindForbidden, "not_admin", "only administrators see others' devices")
	}
	var ds []Device
	err := s.view(ctx, "user_devices", func(tx Tx) error {
		if _, err := tx.UserByID(ctx, userID); err != nil {
			return notFound(err, "user_not_found", "no such user")
		}
		var err error
		ds, err = tx.DevicesOfUser(ctx, userID)
		return err
	})
	if err == nil {
		s.audit(ctx, actorID(a), "admin_user_devices", userID, "")
	}
	return ds, err
}

// SetUserDisabled disables an account (every device logged out at once,
// on every node; open connections closed with wipe) or enables it again
// (admins; not their own account). Audit-logged.
func (s *Service) SetUserDisabled(ctx context.Context, a *Actor, userID string, disabled bool) (*User, error) {
	if !a.isAdmin() {
		return nil, Errorf(KindForbidden, "not_admin", "only administrators disable accounts")
	}
	if a != nil && a.User.ID == userID {
		return nil, Errorf(KindConflict, "own_account", "administrators do not disable themselves")
	}
	return s.setUserState(ctx, a, userID, disabled, "")
}

// setUserState switches an account between active and disabled; reason
// goes into the audit log.
func (s *Service) setUserState(ctx context.Context, a *Actor, userID string, disabled bool, reason string) (*User, error) {
	state, action := UserActive, "enable_user"
	if disabled {
		state, action = UserDisabled, "disable_user"
	}
	var u *User
	err := s.update(ctx, action, func(w *write) (err error) {
		if u, err = w.UserByID(ctx, userID); err != nil {
			return notFound(err, "user_not_found", "no such user")
		}
		if err := w.SetUserState(ctx, userID, state); err != nil {
			return err
		}
		u.State = state
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: actorID(a), Action: action, Target: userID, Detail: reason})
	})
	if err != nil || !disabled {
		return u, err
	}
	return u, s.revokeAllDevices(ctx, a, userID, "", "disable_user_logout")
}

// revokeAllDevices logs every device of a user out but keep (at once, on
// every node).
func (s *Service) revokeAllDevices(ctx context.Context, a *Actor, userID, keep, action string) error {
	var ds []Device
	if err := s.view(ctx, "devices_to_revoke", func(tx Tx) (err error) { ds, err = tx.DevicesOfUser(ctx, userID); return err }); err != nil {
		return err
	}
	for _, d := range ds {
		if d.ID == keep || d.RevokedAt != nil {
			continue
		}
		if err := s.revokeDevice(ctx, a, d.ID, action); err != nil {
			return err
		}
	}
	return nil
}

// CreateAppPassword makes a device token for one TAK client, bound to one
// of the caller's rooms: stock ATAK logs in to the CoT gateway with the
// caller's email and this token as its password ("Use Authentication").
// The token opens nothing else; wiping the device ends it.
func (s *Service) CreateAppPassword(ctx context.Context, a *Actor, name, roomID string) (*LoginResult, error) {
	name = strings.TrimSpace(name)
	if err := checkText("name", name, 1, MaxDeviceName); err != nil {
		return nil, err
	}
	token, hash := newToken()
	now := s.Now()
	d := &Device{ID: NewID("dev"), UserID: a.User.ID, Name: name, TokenHash: hash, CreatedAt: now, LastSeenAt: now, ApprovedAt: &now, Scope: ScopeTAK, Room: roomID}
	err := s.update(ctx, "create_app_password", func(w *write) error {
		if _, err := requireRoom(ctx, w, a, roomID, ActViewRoom); err != nil {
			return err
		}
		if err := w.CreateDevice(ctx, d); err != nil {
			return err
		}
		return w.AppendAudit(ctx, &AuditEntry{At: now, Actor: a.User.ID, Action: "create_app_password", Target: d.ID, Detail: "room " + roomID})
	})
	if err != nil {
		return nil, err
	}
	return &LoginResult{Token: token, User: a.User, Device: d}, nil
}

// AppLogin checks a TAK client's login (email and app password) and
// returns its actor; the device names the room it joins. Failures count
// like a login's, per account and address; errors are 401
// invalid_credentials, 429 login_delayed.
func (s *Service) AppLogin(ctx context.Context, email, password, address string) (*Actor, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if err := s.loginAllowed(ctx, email, address); err != nil {
		return nil, err
	}
	var a *Actor
	var err error
	if len(password) <= 128 && password != "" {
		a, err = s.deviceActor(ctx, "app_login", func(tx Tx) (*Device, error) { return tx.DeviceByTokenHash(ctx, hashToken(password)) })
	}
	if errors.Is(err, ErrNotFound) || a == nil || a.User.Email != email || a.Device.Scope != ScopeTAK || a.Device.RevokedAt != nil || a.User.State != UserActive {
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		s.loginFailed(ctx, email, address)
		return nil, Errorf(KindUnauthorized, "invalid_credentials", "wrong email or app password")
	}
	s.audit(ctx, a.User.ID, "app_login", a.Device.ID, "address "+address)
	return a, nil
}

// runDirectoryRefresh disables the local accounts whose directory entry
// is gone or disabled, every Directory refresh interval, and takes their
// names over. A directory that does not answer disables nobody.
func (s *Service) runDirectoryRefresh(ctx context.Context) {
	t := s.cfg.Clock.NewTicker(s.cfg.DirectoryRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		if err := s.RefreshDirectory(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("directory refresh", "err", err)
		}
	}
}

// RefreshDirectory checks every active directory account against the
// directory once.
func (s *Service) RefreshDirectory(ctx context.Context) error {
	if s.cfg.Directory == nil {
		return nil
	}
	var us []User
	if err := s.view(ctx, "directory_users", func(tx Tx) (err error) { us, err = tx.UsersBySource(ctx, SourceLDAP); return err }); err != nil {
		return err
	}
	for _, u := range us {
		e, err := s.cfg.Directory.Lookup(ctx, u.Email)
		switch {
		case errors.Is(err, ErrNotFound):
			if _, err := s.setUserState(ctx, nil, u.ID, true, "disabled or gone in the directory"); err != nil {
				return err
			}
			s.log.Info("directory: account disabled there, devices logged out", "user", u.ID)
		case err != nil:
			return fmt.Errorf("look %s up: %w", u.Email, err)
		case e.Name != "" && e.Name != u.Name:
			if err := s.update(ctx, "directory_name", func(w *write) error { return w.UpdateUserProfile(ctx, u.ID, e.Name) }); err != nil {
				return err
			}
			s.forgetName(u.ID)
		}
	}
	return nil
}

// directoryUser finds or makes the local account of a directory login.
func (s *Service) directoryUser(ctx context.Context, e *DirectoryEntry) (*User, error) {
	email, err := s.checkEmail(e.Email)
	if err != nil {
		return nil, err
	}
	u, err := s.UserByEmail(ctx, email)
	if err == nil {
		if e.Name != "" && e.Name != u.Name {
			if err := s.update(ctx, "directory_name", func(w *write) error { return w.UpdateUserProfile(ctx, u.ID, e.Name) }); err != nil {
				return nil, err
			}
			s.forgetName(u.ID)
			u.Name = e.Name
		}
		return u, nil
	}
	if !IsNotFound(err) {
		return nil, err
	}
	name := strings.TrimSpace(e.Name)
	if name == "" {
		name = email
	}
	u = &User{ID: NewID("u"), Email: email, Name: name, Roles: []GlobalRole{}, PasswordHash: "!directory", State: UserActive, Source: SourceLDAP}
	err = s.update(ctx, "directory_user", func(w *write) error {
		u.CreatedAt = w.now
		if err := w.CreateUser(ctx, u); err != nil {
			return err
		}
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: u.ID, Action: "directory_account", Target: u.ID})
	})
	if errors.Is(err, ErrConflict) { // the same first login twice at once
		return s.UserByEmail(ctx, email)
	}
	return u, err
}

// newEmailToken stores a fresh single-use token for userID (with a
// registration's password hash) and returns it.
func newEmailToken(ctx context.Context, w *write, userID, purpose string, ttl time.Duration, passwordHash string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	return token, w.CreateEmailToken(ctx, &EmailToken{Hash: hashToken(token), UserID: userID, Purpose: purpose, CreatedAt: w.now, ExpiresAt: w.now.Add(ttl), PasswordHash: passwordHash})
}

// link is the dashboard's page for an email token ("confirm", "reset").
func (s *Service) link(page, token string) string {
	base := ""
	if s.cfg.PublicURL != nil {
		base = strings.TrimRight(s.cfg.PublicURL(), "/")
	}
	return base + "/#" + page + "/" + token
}

// mail sends one email through the mailer (10 s at most); a failure is
// 503 mail_unavailable (the account stays as it is; the user tries again).
func (s *Service) mail(ctx context.Context, to, subject, body string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.cfg.Mailer.Send(ctx, to, subject, body); err != nil {
		s.log.Error("send mail", "err", err)
		return Errorf(KindUnavailable, "mail_unavailable", "the mail server did not take the message; try again later")
	}
	return nil
}

func checkPasswordLen(p string) error {
	if n := utf8.RuneCountInString(p); n < MinPasswordLen || n > MaxPasswordLen {
		return Errorf(KindInvalid, "invalid_password", "password must have %d to %d characters", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// sameHash compares two hashes in constant time.
func sameHash(a, b []byte) bool { return len(a) == len(b) && subtle.ConstantTimeCompare(a, b) == 1 }
