package einsatzraum

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The second factor: TOTP (RFC 6238: 6 digits, 30 s, SHA-1, what every
// authenticator app reads from an otpauth:// URI). A user enrols (secret
// shown once as a URI), confirms with a first code and gets ten recovery
// codes (each works once). From then on a login needs a code (or a
// recovery code); a code counts once (its time step must be newer than the
// last one used). Roles named in Config.RequireTOTP must enrol: their
// login gives a token that opens only the enrolment until it is done.

const (
	totpPeriod     = 30
	recoveryCodes  = 10
	totpSkewSteps  = 1 // a code of the step before or after counts too (clock drift)
	recoveryLength = 10
)

// TOTPEnrolment is what enrolling returns: the secret for typing in, the
// otpauth:// URI, and that URI as a QR code (a PNG data URL; made here, so
// no page has to load a QR library from outside).
type TOTPEnrolment struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
	QR     string `json:"qr"`
}

// EnrolTOTP starts (or restarts, while unconfirmed) the caller's second
// factor. 409 totp_enrolled once confirmed.
func (s *Service) EnrolTOTP(ctx context.Context, a *Actor) (*TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Einsatzraum", AccountName: a.User.Email, Period: totpPeriod})
	if err != nil {
		return nil, fmt.Errorf("make a TOTP secret: %w", err)
	}
	err = s.update(ctx, "enrol_totp", func(w *write) error {
		old, err := w.TOTPOf(ctx, a.User.ID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if old != nil && old.ConfirmedAt != nil {
			return Errorf(KindConflict, "totp_enrolled", "the second factor is set up; an administrator resets it when the device is lost")
		}
		if err := w.PutTOTP(ctx, a.User.ID, &TOTP{Secret: key.Secret()}); err != nil {
			return err
		}
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: a.User.ID, Action: "enrol_totp", Target: a.User.ID})
	})
	if err != nil {
		return nil, err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, fmt.Errorf("TOTP QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("TOTP QR code: %w", err)
	}
	return &TOTPEnrolment{Secret: key.Secret(), URI: key.URL(), QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// ConfirmTOTP finishes enrolment with a first code and returns the
// recovery codes (shown once). A device that could only enrol opens
// everything from now on.
func (s *Service) ConfirmTOTP(ctx context.Context, a *Actor, code string) ([]string, error) {
	var codes []string
	err := s.update(ctx, "confirm_totp", func(w *write) error {
		v, err := w.TOTPOf(ctx, a.User.ID)
		if err != nil {
			return notFound(err, "totp_not_enrolled", "enrol first (POST /api/v1/me/totp)")
		}
		if v.ConfirmedAt != nil {
			return Errorf(KindConflict, "totp_enrolled", "the second factor is set up already")
		}
		step, ok := matchTOTP(v.Secret, code, w.now, v.LastStep)
		if !ok {
			return Errorf(KindInvalid, "invalid_otp", "the code does not match; check the phone's clock")
		}
		codes = make([]string, recoveryCodes)
		v.Recovery = make([][]byte, recoveryCodes)
		for i := range codes {
			codes[i] = recoveryCode()
			v.Recovery[i] = hashToken(codes[i])
		}
		now := w.now
		v.ConfirmedAt, v.LastStep = &now, step
		if err := w.PutTOTP(ctx, a.User.ID, v); err != nil {
			return err
		}
		if a.Device != nil && a.Device.Scope == ScopeTOTPEnrol {
			if err := w.SetDeviceScope(ctx, a.Device.ID, ""); err != nil {
				return err
			}
		}
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: a.User.ID, Action: "confirm_totp", Target: a.User.ID})
	})
	if err == nil && a.Device != nil && a.Device.Scope == ScopeTOTPEnrol {
		s.tokenChanged(ctx, a.Device.ID) // its scope is lifted: read it again
	}
	return codes, err
}

// ResetTOTP removes a user's second factor (admins; a lost phone): the
// next login goes without, or must enrol again if the role requires it.
func (s *Service) ResetTOTP(ctx context.Context, a *Actor, userID string) error {
	if !a.isAdmin() {
		return Errorf(KindForbidden, "not_admin", "only administrators reset a second factor")
	}
	return s.update(ctx, "reset_totp", func(w *write) error {
		if _, err := w.UserByID(ctx, userID); err != nil {
			return notFound(err, "user_not_found", "no such user")
		}
		if err := w.DeleteTOTP(ctx, userID); err != nil {
			return err
		}
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: actorID(a), Action: "reset_totp", Target: userID})
	})
}

// totpRequired reports whether u's roles require a second factor.
func (s *Service) totpRequired(u *User) bool {
	return slices.ContainsFunc(s.cfg.RequireTOTP, u.HasRole)
}

// checkSecondFactor checks a login's otp against u's confirmed second
// factor, if u has one: a code (once per time step) or an unused
// recovery code (used up). It returns whether u has a confirmed factor.
// Errors: 401 otp_required (none given), 401 invalid_otp.
func (s *Service) checkSecondFactor(ctx context.Context, u *User, code string) (bool, error) {
	has := false
	err := s.update(ctx, "check_totp", func(w *write) error {
		v, err := w.TOTPOf(ctx, u.ID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if v.ConfirmedAt == nil {
			return nil // enrolling: not yet a factor
		}
		has = true
		code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
		if code == "" {
			return Errorf(KindUnauthorized, "otp_required", "this account needs its one-time code (otp)")
		}
		if step, ok := matchTOTP(v.Secret, code, w.now, v.LastStep); ok {
			v.LastStep = step
			return w.PutTOTP(ctx, u.ID, v)
		}
		h := hashToken(strings.ToLower(code))
		for i, r := range v.Recovery {
			if sameHash(r, h) {
				v.Recovery = slices.Delete(v.Recovery, i, i+1)
				if err := w.PutTOTP(ctx, u.ID, v); err != nil {
					return err
				}
				return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: u.ID, Action: "recovery_code_used", Target: u.ID, Detail: fmt.Sprintf("%d left", len(v.Recovery))})
			}
		}
		return Errorf(KindUnauthorized, "invalid_otp", "wrong or used one-time code")
	})
	return has, err
}

// matchTOTP checks code against secret at now (give or take
// totpSkewSteps) for a time step after last; it returns the step matched.
func matchTOTP(secret, code string, now time.Time, last int64) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	step := now.Unix() / totpPeriod
	for d := int64(-totpSkewSteps); d <= totpSkewSteps; d++ {
		st := step + d
		if st <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*totpPeriod, 0), opts)
		if err == nil && sameHash([]byte(want), []byte(code)) {
			return st, true
		}
	}
	return 0, false
}

// recoveryCode is a random code of recoveryLength lower-case base32
// characters (50 bits).
func recoveryCode() string { return strings.ToLower(rand.Text()[:recoveryLength]) }
