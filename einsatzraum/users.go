package einsatzraum

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on user fields.
const (
	MinPasswordLen  = 10
	MaxPasswordLen  = 256
	MaxCallsignLen  = 32
	MaxDeviceName   = 80
	MaxEmailLen     = 254
	touchDeviceEach = time.Minute
)

// Actor is an authenticated caller: a user on one device. A nil *Actor
// stands for the operator at the command line, who may do what an admin may.
type Actor struct {
	User   *User
	Device *Device
}

// actorID names a for the audit log; a nil actor is the command line.
func actorID(a *Actor) string {
	if a == nil {
		return "command line"
	}
	return a.User.ID
}

// isAdmin reports whether a may administer users: the operator at the
// command line (nil) or a user with the admin role.
func (a *Actor) isAdmin() bool { return a == nil || a.User.HasRole(RoleAdmin) }

// NewUser is the input of CreateUser.
type NewUser struct {
	Email    string       `json:"email"`
	Name     string       `json:"name"`
	Callsign string       `json:"callsign"`
	Password string       `json:"password"`
	Roles    []GlobalRole `json:"roles"`
}

// CreateUser creates a user. Only admins (or the operator, actor nil) may.
// Errors: email_domain_not_allowed and other 400s for bad fields, 409
// email_taken, 403 not_admin.
func (s *Service) CreateUser(ctx context.Context, actor *Actor, in NewUser) (*User, error) {
	if !actor.isAdmin() {
		return nil, Errorf(KindForbidden, "not_admin", "only administrators create users")
	}
	email, err := s.checkEmail(in.Email)
	if err != nil {
		return nil, err
	}
	if err := checkText("name", in.Name, 1, 120); err != nil {
		return nil, err
	}
	if err := checkText("callsign", in.Callsign, 0, MaxCallsignLen); err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(in.Password); n < MinPasswordLen || n > MaxPasswordLen {
		return nil, Errorf(KindInvalid, "invalid_password", "password must have %d to %d characters", MinPasswordLen, MaxPasswordLen)
	}
	roles := []GlobalRole{}
	for _, r := range in.Roles {
		if !ValidGlobalRole(r) {
			return nil, Errorf(KindInvalid, "invalid_role", "unknown role %q (want admin, data_admin or auditor)", r)
		}
		if r == RoleAuditor && actor != nil {
			// No administrator may make a reader of every chat: auditors are
			// appointed by the operator at the server's command line.
			return nil, Errorf(KindForbidden, "auditor_by_operator", "the auditor role is granted only at the server's command line (einsatzraum user add --role auditor)")
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	pwHash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	u := &User{
		ID: NewID("u"), Email: email, Name: strings.TrimSpace(in.Name), Callsign: strings.TrimSpace(in.Callsign),
		Roles: roles, PasswordHash: pwHash, CreatedAt: s.Now(),
	}
	err = s.update(ctx, "create_user", func(w *write) error {
		if err := w.CreateUser(ctx, u); err != nil {
			return err
		}
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: actorID(actor), Action: "create_user", Target: u.ID,
			Detail: fmt.Sprintf("email %s, roles %v", u.Email, u.Roles)})
	})
	if errors.Is(err, ErrConflict) {
		return nil, Errorf(KindConflict, "email_taken", "a user with this email exists")
	}
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// SetPassword replaces a user's password; used by the operator's demo seed
// and command line. Only admins (or the operator) may.
func (s *Service) SetPassword(ctx context.Context, actor *Actor, userID, password string) error {
	if !actor.isAdmin() {
		return Errorf(KindForbidden, "not_admin", "only administrators set passwords")
	}
	if n := utf8.RuneCountInString(password); n < MinPasswordLen || n > MaxPasswordLen {
		return Errorf(KindInvalid, "invalid_password", "password must have %d to %d characters", MinPasswordLen, MaxPasswordLen)
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	err = s.update(ctx, "set_password", func(w *write) error { return w.UpdatePassword(ctx, userID, hash) })
	return notFound(err, "user_not_found", "no such user")
}

// UserByEmail finds a user by email, for the operator's tools.
func (s *Service) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u *User
	err := s.view(ctx, "user_by_email", func(tx Tx) (err error) {
		u, err = tx.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
		return err
	})
	return u, notFound(err, "user_not_found", "no such user")
}

// checkEmail normalises email to lower case and checks that it is a plain
// address in one of the official domains.
func (s *Service) checkEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > MaxEmailLen {
		return "", Errorf(KindInvalid, "invalid_email", "email must be a plain address like name@polizei.example")
	}
	domain := email[strings.LastIndexByte(email, '@')+1:]
	for _, d := range s.cfg.EmailDomains {
		if d != "" && (domain == d || strings.HasSuffix(domain, "."+d)) {
			return email, nil
		}
	}
	return "", Errorf(KindInvalid, "email_domain_not_allowed", "email domain %q is not an official domain", domain)
}

// LoginResult is what a successful login returns. Token is shown once.
// TOTPEnrolmentRequired says the account's role needs a second factor it
// has not set up: the token opens only the enrolment until it is done.
type LoginResult struct {
	Token                 string  `json:"token"`
	User                  *User   `json:"user"`
	Device                *Device `json:"device"`
	TOTPEnrolmentRequired bool    `json:"totp_enrolment_required,omitempty"`
}

// LoginInput is what a login sends: otp is the one-time code of an
// account with a second factor (or one of its recovery codes).
type LoginInput struct {
	Email      string `json:"email"`
	Password   string `json:"password"`
	OTP        string `json:"otp"`
	DeviceName string `json:"device_name"`
}

// Login checks email, password (against the directory for its accounts)
// and the second factor, and registers a new device with a fresh token.
// Unknown email and wrong password give the same 401, in about the same
// time. Logins are limited per address (429 rate_limited) and failed
// logins slowed per account and address (429 login_delayed, lockout.go);
// a pending account gets 403 account_pending, a disabled one 403
// account_disabled (both only with the right password). Logins, failures
// and refusals are audit-logged with the caller's address.
func (s *Service) Login(ctx context.Context, in LoginInput, address string) (*LoginResult, error) {
	deviceName := strings.TrimSpace(in.DeviceName)
	if deviceName == "" {
		deviceName = "unnamed device"
	}
	if err := checkText("device_name", deviceName, 1, MaxDeviceName); err != nil {
		return nil, err
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if err := s.loginAllowed(ctx, email, address); err != nil {
		return nil, err
	}
	fail := func() (*LoginResult, error) {
		s.loginFailed(ctx, email, address)
		return nil, Errorf(KindUnauthorized, "invalid_credentials", "wrong email or password")
	}
	if len(in.Password) > MaxPasswordLen*4 {
		return fail()
	}
	u, err := s.checkCredentials(ctx, email, in.Password)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return fail()
	}
	switch u.State {
	case UserPending:
		s.audit(ctx, u.ID, "login_pending", u.ID, "address "+address)
		return nil, Errorf(KindForbidden, "account_pending", "confirm the email first: follow the link we sent")
	case UserDisabled:
		s.audit(ctx, u.ID, "login_disabled", u.ID, "address "+address)
		return nil, Errorf(KindForbidden, "account_disabled", "this account is disabled; ask an administrator")
	}
	hasFactor, err := s.checkSecondFactor(ctx, u, in.OTP)
	if e := AsError(err); e != nil && e.Code == "invalid_otp" {
		s.loginFailed(ctx, email, address)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	token, hash := newToken()
	now := s.Now()
	d := &Device{ID: NewID("dev"), UserID: u.ID, Name: deviceName, TokenHash: hash, CreatedAt: now, LastSeenAt: now}
	if !s.cfg.DeviceApproval || u.HasRole(RoleAdmin) { // administrators are provisioned by the operator
		d.ApprovedAt = &now
	}
	enrol := !hasFactor && s.totpRequired(u)
	if enrol {
		d.Scope = ScopeTOTPEnrol
	}
	err = s.update(ctx, "login", func(w *write) error {
		if err := w.CreateDevice(ctx, d); err != nil {
			return err
		}
		return w.AppendAudit(ctx, &AuditEntry{At: now, Actor: u.ID, Action: "login", Target: d.ID, Detail: "device " + deviceName + ", address " + address})
	})
	if err != nil {
		return nil, fmt.Errorf("register device: %w", err)
	}
	return &LoginResult{Token: token, User: u, Device: d, TOTPEnrolmentRequired: enrol}, nil
}

// checkCredentials returns the user whose password this is, nil when the
// email or password is wrong. A directory account's password is the
// directory's (its first login makes the local account); a local one's is
// checked against its hash, in the same time whether it exists or not.
func (s *Service) checkCredentials(ctx context.Context, email, password string) (*User, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil && !IsNotFound(err) {
		return nil, err
	}
	if s.cfg.Directory != nil && (u == nil || u.Source == SourceLDAP) {
		e, err := s.cfg.Directory.Authenticate(ctx, email, password)
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			s.log.Error("directory login", "err", err)
			return nil, Errorf(KindUnavailable, "directory_unavailable", "the directory does not answer; try again shortly")
		}
		if e.Email == "" {
			e.Email = email
		}
		return s.directoryUser(ctx, e)
	}
	stored := s.dummyHash // unknown accounts cost the same time
	if u != nil && u.Source == SourceLocal {
		stored = u.PasswordHash
	}
	ok, err := s.checkPassword(ctx, stored, password)
	if err != nil {
		return nil, err
	}
	if u == nil || u.Source != SourceLocal || !ok {
		return nil, nil
	}
	return u, nil
}

// audit appends an entry to the audit log in its own transaction; a
// failure is logged (the action it records has happened or was refused).
func (s *Service) audit(ctx context.Context, actor, action, target, detail string) {
	err := s.update(context.WithoutCancel(ctx), "audit", func(w *write) error {
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: actor, Action: action, Target: target, Detail: detail})
	})
	if err != nil {
		s.log.Error("write audit entry", "action", action, "err", err)
	}
}

// Authenticate resolves a bearer token to its actor. Errors: 401
// invalid_token for unknown tokens, 401 token_revoked for wiped devices.
func (s *Service) Authenticate(ctx context.Context, token string) (*Actor, error) {
	if token == "" || len(token) > 128 {
		return nil, Errorf(KindUnauthorized, "invalid_token", "missing or malformed bearer token")
	}
	key := hashKey(token)
	now := s.Now()
	gen, trusted := s.revocationGen(ctx)
	var a *Actor
	if trusted {
		a, _ = s.tokens.get(key, now.Add(-tokenCacheTTL), gen)
	}
	if a == nil {
		var err error
		a, err = s.deviceActor(ctx, "authenticate", func(tx Tx) (*Device, error) {
			return tx.DeviceByTokenHash(ctx, key[:])
		})
		if errors.Is(err, ErrNotFound) {
			return nil, Errorf(KindUnauthorized, "invalid_token", "unknown bearer token")
		}
		if err != nil {
			return nil, fmt.Errorf("authenticate: %w", err)
		}
		if trusted {
			s.tokens.put(key, a, gen, now)
		}
	}
	if a.Device.RevokedAt != nil {
		return nil, Errorf(KindUnauthorized, "token_revoked", "this device was logged out or wiped")
	}
	if a.User.State != UserActive {
		return nil, Errorf(KindUnauthorized, "account_disabled", "this account is disabled")
	}
	if idle := s.cfg.TokenIdle; idle > 0 && now.Sub(a.Device.LastSeenAt) > idle {
		return nil, Errorf(KindUnauthorized, "token_expired", "this device was idle too long; log in again")
	}
	if now.Sub(a.Device.LastSeenAt) > touchDeviceEach {
		err := s.update(ctx, "touch_device", func(w *write) error { return w.TouchDevice(ctx, a.Device.ID, now) })
		if err != nil {
			s.log.Warn("record device last seen", "device", a.Device.ID, "err", err)
		}
		a.Device.LastSeenAt = now
		s.tokens.touched(a.Device.ID, now)
	}
	return a, nil
}

// deviceActor loads the device find returns and its user, in one read,
// as an Actor; ErrNotFound when either is missing. Whether the device may
// still act (revoked, idle) is the caller's to judge.
func (s *Service) deviceActor(ctx context.Context, op string, find func(Tx) (*Device, error)) (*Actor, error) {
	var a Actor
	err := s.view(ctx, op, func(tx Tx) error {
		d, err := find(tx)
		if err != nil {
			return err
		}
		u, err := tx.UserByID(ctx, d.UserID)
		a = Actor{User: u, Device: d}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Logout revokes the caller's device token.
func (s *Service) Logout(ctx context.Context, a *Actor) error {
	return s.revokeDevice(ctx, a, a.Device.ID, "logout")
}

// Devices lists the caller's devices, newest first.
func (s *Service) Devices(ctx context.Context, a *Actor) ([]Device, error) {
	var ds []Device
	err := s.view(ctx, "devices", func(tx Tx) (err error) {
		ds, err = tx.DevicesOfUser(ctx, a.User.ID)
		return err
	})
	return ds, err
}

// WipeDevice revokes a device's token. As a user (asAdmin false) the
// caller wipes only their own devices; another user's device is 404. As an
// admin (asAdmin true; 403 not_admin for others) any device.
func (s *Service) WipeDevice(ctx context.Context, a *Actor, deviceID string, asAdmin bool) error {
	if asAdmin && !a.isAdmin() {
		return Errorf(KindForbidden, "not_admin", "only administrators wipe other users' devices")
	}
	if !validID(deviceID) {
		return Errorf(KindNotFound, "device_not_found", "no such device")
	}
	var d *Device
	err := s.view(ctx, "device", func(tx Tx) (err error) {
		d, err = tx.DeviceByID(ctx, deviceID)
		return err
	})
	if err != nil {
		return notFound(err, "device_not_found", "no such device")
	}
	if !asAdmin && d.UserID != a.User.ID {
		return Errorf(KindNotFound, "device_not_found", "no such device")
	}
	action := "wipe_own_device"
	if asAdmin {
		action = "admin_wipe_device"
	}
	return s.revokeDevice(ctx, a, deviceID, action)
}

// revokeDevice revokes the device's token and tells every node to close
// its live connections.
func (s *Service) revokeDevice(ctx context.Context, a *Actor, deviceID, action string) error {
	err := s.update(ctx, "revoke_device", func(w *write) error {
		if err := w.RevokeDevice(ctx, deviceID, w.now); err != nil {
			return err
		}
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: actorID(a), Action: action, Target: deviceID})
	})
	if err != nil {
		return notFound(err, "device_not_found", "no such device")
	}
	s.tokenChanged(ctx, deviceID)
	if s.bus != nil {
		if err := s.bus.Publish(context.WithoutCancel(ctx), RevokedDevicesTopic, []byte(deviceID)); err != nil {
			s.log.Error("announce revoked device; its open connections stay until their next check", "device", deviceID, "err", err)
		}
	}
	return nil
}

// checkText checks a free-text field: valid UTF-8, no control characters,
// between min and max characters after trimming.
func checkText(field, v string, min, max int) error {
	if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }) {
		return Errorf(KindInvalid, "invalid_"+field, "%s must be valid text", field)
	}
	n := utf8.RuneCountInString(strings.TrimSpace(v))
	if n < min {
		return Errorf(KindInvalid, "missing_"+field, "%s is required", field)
	}
	if n > max {
		return Errorf(KindInvalid, field+"_too_long", "%s must be at most %d characters", field, max)
	}
	return nil
}

// RequireRole checks that the caller holds a global role: 403
// not_<role> otherwise.
func (s *Service) RequireRole(a *Actor, r GlobalRole) error {
	if a == nil || a.User.HasRole(r) {
		return nil
	}
	return Errorf(KindForbidden, "not_"+string(r), "this needs the %s role", r)
}

// CheckApproved returns 403 device_not_approved while the caller's device
// waits for approval.
// Uses of a device token, for CheckScope.
const (
	UseAPI       = "api"       // the REST API and the WebSocket
	UseEnrolment = "enrolment" // who am I, the TOTP enrolment, logout
	UseCoT       = "cot"       // the CoT gateway
)

// CheckScope refuses a use the device's token does not open: an app
// password (ScopeTAK) opens only the CoT gateway (401 app_password), a
// login that must enrol its second factor (ScopeTOTPEnrol) only the
// enrolment (403 totp_enrolment_required).
func (s *Service) CheckScope(a *Actor, use string) error {
	switch {
	case a.Device.Scope == ScopeTAK && use != UseCoT:
		return Errorf(KindUnauthorized, "app_password", "an app password opens only the CoT gateway")
	case a.Device.Scope == ScopeTOTPEnrol && use != UseEnrolment:
		return Errorf(KindForbidden, "totp_enrolment_required", "set up the second factor first (POST /api/v1/me/totp)")
	}
	return nil
}

func (s *Service) CheckApproved(a *Actor) error {
	if a.Device != nil && a.Device.ApprovedAt == nil {
		return Errorf(KindForbidden, "device_not_approved", "this device waits for an administrator's approval")
	}
	return nil
}

// PendingDevices lists the devices that wait for approval (admin).
func (s *Service) PendingDevices(ctx context.Context, a *Actor) ([]Device, error) {
	if !a.isAdmin() {
		return nil, Errorf(KindForbidden, "not_admin", "only administrators see pending devices")
	}
	var ds []Device
	err := s.view(ctx, "pending_devices", func(tx Tx) (err error) {
		ds, err = tx.PendingDevices(ctx)
		return err
	})
	return ds, err
}

// ApproveDevice lets a waiting device in (admin); audit-logged.
func (s *Service) ApproveDevice(ctx context.Context, a *Actor, deviceID string) error {
	if !a.isAdmin() {
		return Errorf(KindForbidden, "not_admin", "only administrators approve devices")
	}
	if !validID(deviceID) {
		return Errorf(KindNotFound, "device_not_found", "no such device")
	}
	err := s.update(ctx, "approve_device", func(w *write) error {
		if err := w.ApproveDevice(ctx, deviceID, w.now); err != nil {
			return err
		}
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: actorID(a), Action: "approve_device", Target: deviceID})
	})
	if err == nil {
		s.tokenChanged(ctx, deviceID) // the waiting device may act now, on every node
	}
	return notFound(err, "device_not_found", "no such device")
}
