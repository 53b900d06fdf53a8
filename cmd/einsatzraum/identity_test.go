package main

import (
	"crypto/tls"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/pquerna/otp/totp"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/testenv"
	"github.com/einsatzraum/einsatzraum/web"
)

// mailbox is an SMTP server of the test's own (emersion/go-smtp, speaking
// the protocol with STARTTLS) that keeps what it receives.
type mailbox struct {
	addr, caFile string
	mails        chan receivedMail
}

type receivedMail struct {
	from, to, subject, body string
	tls                     bool
}

type mailBackend struct{ box *mailbox }
type mailSession struct {
	box      *mailbox
	conn     *smtp.Conn
	from, to string
}

func (b mailBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &mailSession{box: b.box, conn: c}, nil
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }
func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }
func (s *mailSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	_, secure := s.conn.TLSConnectionState()
	s.box.mails <- receivedMail{from: s.from, to: s.to, subject: subject, body: string(body), tls: secure}
	return nil
}

// startMailbox starts the SMTP server on a spare port with a self-signed
// certificate for STARTTLS (its CA file for --smtp-ca-file).
func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	certFile, keyFile, _ := selfSignedCert(t, t.TempDir())
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	box := &mailbox{caFile: certFile, mails: make(chan receivedMail, 20)}
	s := smtp.NewServer(mailBackend{box})
	s.Domain = "mail.polizei.example"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box.addr = ln.Addr().String()
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { s.Close() })
	return box
}

// next waits for the next mail.
func (m *mailbox) next(t *testing.T) receivedMail {
	t.Helper()
	select {
	case got := <-m.mails:
		return got
	case <-time.After(10 * time.Second):
		t.Fatal("no mail within 10 s")
		return receivedMail{}
	}
}

// none checks that no mail comes for d.
func (m *mailbox) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case got := <-m.mails:
		t.Fatalf("an unexpected mail to %s: %s", got.to, got.subject)
	case <-time.After(d):
	}
}

var linkToken = regexp.MustCompile(`/#(confirm|reset)/([A-Za-z0-9_-]+)`)

// token is the token of the mail's link to page.
func (r receivedMail) token(t *testing.T, page string) string {
	t.Helper()
	m := linkToken.FindStringSubmatch(r.body)
	if m == nil || m[1] != page {
		t.Fatalf("no %s link in the mail:\n%s", page, r.body)
	}
	return m[2]
}

// TestSelfRegistrationAndPasswordReset: an officer registers with an
// official email; the confirmation link arrives by real SMTP (over
// STARTTLS) and activates the account, once; a password reset link sets a
// new password and logs every device out; a password change can end the
// other devices. Without --smtp-addr registration is off and says so.
func TestSelfRegistrationAndPasswordReset(t *testing.T) {
	t.Parallel()
	box := startMailbox(t)
	ts := startServer(t, func(c *serveConfig) {
		c.Identity.SMTPAddr, c.Identity.SMTPCAFile, c.Identity.SMTPFrom = box.addr, box.caFile, "einsatzraum@polizei.example"
	})
	if ts.call(t, "GET", "/api/v1/auth/config", "", nil).want(t, 200).Body["registration"] != true {
		t.Fatal("registration is off with --smtp-addr")
	}
	reg := map[string]any{"email": "Neu.Kollegin@polizei.example", "name": "Nora Neu", "password": "her-own-password-1"}
	ts.call(t, "POST", "/api/v1/auth/register", "", map[string]any{"email": "nora@gmail.example", "name": "Nora", "password": "her-own-password-1"}).
		want(t, 400, "email_domain_not_allowed")
	ts.call(t, "POST", "/api/v1/auth/register", "", map[string]any{"email": "x@polizei.example", "name": "X", "password": "short"}).want(t, 400, "invalid_password")
	ts.call(t, "POST", "/api/v1/auth/register", "", reg).want(t, 202)
	login := func(password string) reply {
		return ts.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "neu.kollegin@polizei.example", "password": password, "device_name": "Handy"})
	}
	login("her-own-password-1").want(t, 403, "account_pending")
	got := box.next(t)
	if got.to != "neu.kollegin@polizei.example" || got.from != "einsatzraum@polizei.example" || !got.tls || !strings.Contains(got.subject, "bestätigen") {
		t.Fatalf("confirmation mail: %+v", got)
	}
	if !strings.HasPrefix(linkToken.FindString(got.body), "/#confirm/") || !strings.Contains(got.body, ts.URL+"/#confirm/") {
		t.Fatalf("the link does not point at this server (%s):\n%s", ts.URL, got.body)
	}
	token := got.token(t, "confirm")
	ts.call(t, "POST", "/api/v1/auth/confirm", "", map[string]any{"token": "not-a-token"}).want(t, 400, "invalid_link")
	if u := ts.call(t, "POST", "/api/v1/auth/confirm", "", map[string]any{"token": token}).want(t, 200); u.str("state") != "active" {
		t.Fatalf("confirmed account %v", u.Body)
	}
	ts.call(t, "POST", "/api/v1/auth/confirm", "", map[string]any{"token": token}).want(t, 400, "invalid_link") // single use
	first := login("her-own-password-1").want(t, 200).str("token")

	// Someone else registering the same address while it waits cannot
	// change the password its owner's link sets.
	other := map[string]any{"email": "otto.owner@polizei.example", "name": "Otto", "password": "owners-password-1"}
	ts.call(t, "POST", "/api/v1/auth/register", "", other).want(t, 202)
	ownersLink := box.next(t).token(t, "confirm")
	other["password"], other["name"] = "intruder-pass-66", "Mallory"
	ts.call(t, "POST", "/api/v1/auth/register", "", other).want(t, 202)
	box.next(t) // the intruder's link, also to Otto's mailbox
	ts.call(t, "POST", "/api/v1/auth/confirm", "", map[string]any{"token": ownersLink}).want(t, 200)
	ts.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "otto.owner@polizei.example", "password": "intruder-pass-66"}).want(t, 401)
	ts.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "otto.owner@polizei.example", "password": "owners-password-1"}).want(t, 200)
	second := login("her-own-password-1").want(t, 200).str("token")

	// Registering an address that has an account tells its owner by mail, nothing more.
	ts.call(t, "POST", "/api/v1/auth/register", "", reg).want(t, 202)
	if m := box.next(t); !strings.Contains(m.subject, "besteht bereits") || linkToken.MatchString(m.body) {
		t.Fatalf("mail for an existing account: %+v", m)
	}

	// A password change may end the other devices.
	ts.call(t, "POST", "/api/v1/me/password", first, map[string]any{"current": "wrong-password-9", "password": "next-password-22"}).want(t, 403, "wrong_password")
	ts.call(t, "POST", "/api/v1/me/password", first, map[string]any{"current": "her-own-password-1", "password": "next-password-22", "end_other_devices": true}).want(t, 204)
	ts.call(t, "GET", "/api/v1/me", second, nil).want(t, 401, "token_revoked")
	ts.call(t, "GET", "/api/v1/me", first, nil).want(t, 200)
	login("her-own-password-1").want(t, 401, "invalid_credentials")

	// Reset: the same answer for an unknown email (and no mail); the link works once and logs every device out.
	ts.call(t, "POST", "/api/v1/auth/reset", "", map[string]any{"email": "nobody@polizei.example"}).want(t, 202)
	box.none(t, 300*time.Millisecond)
	ts.call(t, "POST", "/api/v1/auth/reset", "", map[string]any{"email": "neu.kollegin@polizei.example"}).want(t, 202)
	reset := box.next(t).token(t, "reset")
	ts.call(t, "POST", "/api/v1/auth/reset/confirm", "", map[string]any{"token": reset, "password": "after-reset-pass-3"}).want(t, 204)
	ts.call(t, "POST", "/api/v1/auth/reset/confirm", "", map[string]any{"token": reset, "password": "again-reset-pass-4"}).want(t, 400, "invalid_link")
	ts.call(t, "GET", "/api/v1/me", first, nil).want(t, 401, "token_revoked")
	login("next-password-22").want(t, 401)
	login("after-reset-pass-3").want(t, 200)

	// Without a mail server: off, and saying why.
	plain := startServer(t)
	if plain.call(t, "GET", "/api/v1/auth/config", "", nil).want(t, 200).Body["registration"] != false {
		t.Fatal("registration is on without --smtp-addr")
	}
	if r := plain.call(t, "POST", "/api/v1/auth/register", "", reg).want(t, 403, "registration_off"); !strings.Contains(string(r.Raw), "smtp-addr") {
		t.Fatalf("the refusal does not say what is missing: %s", r.Raw)
	}
	plain.call(t, "POST", "/api/v1/auth/reset", "", map[string]any{"email": "a@polizei.example"}).want(t, 403, "mail_off")
}

// TestSecondFactor: an administrator must enrol TOTP (--require-totp-for
// admin): the login's token opens only the enrolment; a code from the
// otpauth URI's secret confirms it and the same token opens everything.
// Later logins need a code, a code counts once, a recovery code once.
func TestSecondFactor(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *serveConfig) { c.Identity.RequireTOTP = listFlag{"admin"} })
	ts.addUser(t, "admin@polizei.example", "Ada", "admin")
	memberID := ts.addUser(t, "member@polizei.example", "Max")
	r := ts.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "admin@polizei.example", "password": testPassword}).want(t, 200)
	if r.Body["totp_enrolment_required"] != true {
		t.Fatalf("login of an admin without TOTP: %v", r.Body)
	}
	admin := r.str("token")
	ts.call(t, "GET", "/api/v1/rooms", admin, nil).want(t, 403, "totp_enrolment_required")
	ts.call(t, "GET", "/api/v1/me", admin, nil).want(t, 200)
	enrol := ts.call(t, "POST", "/api/v1/me/totp", admin, nil).want(t, 201)
	secret := enrol.str("secret")
	if !strings.HasPrefix(enrol.str("qr"), "data:image/png;base64,iVBOR") {
		t.Fatalf("no QR code PNG: %.40s", enrol.str("qr"))
	}
	if !strings.HasPrefix(enrol.str("uri"), "otpauth://totp/Einsatzraum:admin@polizei.example?") || !strings.Contains(enrol.str("uri"), "secret="+secret) {
		t.Fatalf("enrolment %v", enrol.Body)
	}
	ts.call(t, "POST", "/api/v1/me/totp/confirm", admin, map[string]any{"code": "000000"}).want(t, 400, "invalid_otp")
	now := time.Now()
	code, _ := totp.GenerateCode(secret, now)
	codes := ts.call(t, "POST", "/api/v1/me/totp/confirm", admin, map[string]any{"code": code}).want(t, 200).Body["recovery_codes"].([]any)
	if len(codes) != 10 {
		t.Fatalf("recovery codes %v", codes)
	}
	ts.call(t, "GET", "/api/v1/rooms", admin, nil).want(t, 200) // the same token opens everything now

	adminLogin := func(otp string) reply {
		return ts.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "admin@polizei.example", "password": testPassword, "otp": otp})
	}
	adminLogin("").want(t, 401, "otp_required")
	adminLogin(code).want(t, 401, "invalid_otp") // used for the confirmation already
	next, _ := totp.GenerateCode(secret, now.Add(30*time.Second))
	if r := adminLogin(next).want(t, 200); r.Body["totp_enrolment_required"] == true {
		t.Fatal("enrolled, yet asked to enrol")
	}
	adminLogin(codes[0].(string)).want(t, 200)
	adminLogin(codes[0].(string)).want(t, 401, "invalid_otp")

	// A member without TOTP logs in without; an admin resets a lost factor.
	ts.login(t, "member@polizei.example")
	ts.call(t, "DELETE", "/api/v1/admin/users/"+memberID+"/totp", ts.login(t, "member@polizei.example"), nil).want(t, 403, "not_admin")
}

// TestAccountAdministration: an administrator finds an account, disables
// it (its open socket is closed with wipe at once, its tokens are dead,
// its login refused), lists its devices and enables it again.
func TestAccountAdministration(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.addUser(t, "admin@polizei.example", "Ada", "admin")
	memberID := ts.addUser(t, "jan.petersen@polizei.example", "Jan Petersen")
	admin, member := ts.login(t, "admin@polizei.example"), ts.login(t, "jan.petersen@polizei.example")
	found := ts.call(t, "GET", "/api/v1/admin/users?q=peters", admin, nil).want(t, 200).items()
	if len(found) != 1 || found[0]["id"] != memberID || found[0]["state"] != "active" || found[0]["source"] != "local" {
		t.Fatalf("search: %v", found)
	}
	ts.call(t, "GET", "/api/v1/admin/users", member, nil).want(t, 403, "not_admin")
	sock := ts.dialWS(t, member, 0)
	sock.subscribe(ts.call(t, "POST", "/api/v1/rooms", member, map[string]any{"name": "Streife"}).want(t, 201).str("id"), 0)
	sock.untilSubscribed()
	ts.call(t, "POST", "/api/v1/admin/users/"+memberID+"/disable", admin, nil).want(t, 200)
	if fr := sock.nextOf("wipe"); fr.Type != "wipe" {
		t.Fatal("no wipe frame on the disabled user's socket")
	}
	if code := sock.closeCode(2 * time.Second); code != web.CloseCode(einsatzraum.CloseRevoked) {
		t.Fatalf("socket close %d, want %d", code, web.CloseCode(einsatzraum.CloseRevoked))
	}
	ts.call(t, "GET", "/api/v1/me", member, nil).want(t, 401)
	ts.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "jan.petersen@polizei.example", "password": testPassword}).want(t, 403, "account_disabled")
	devices := ts.call(t, "GET", "/api/v1/admin/users/"+memberID+"/devices", admin, nil).want(t, 200).items()
	if len(devices) != 1 || devices[0]["revoked_at"] == nil {
		t.Fatalf("devices of the disabled user: %v", devices)
	}
	ts.call(t, "POST", "/api/v1/admin/users/"+memberID+"/enable", admin, nil).want(t, 200)
	ts.login(t, "jan.petersen@polizei.example")
	adminID := ts.call(t, "GET", "/api/v1/me", admin, nil).want(t, 200).str("id")
	ts.call(t, "POST", "/api/v1/admin/users/"+adminID+"/disable", admin, nil).want(t, 409, "own_account")
	ts.call(t, "POST", "/api/v1/admin/users/u_nobody/disable", admin, nil).want(t, 404, "user_not_found")

	// Every administrative read and change is in the audit log.
	ts.addUser(t, "auditor@polizei.example", "Audrey", "auditor")
	entries := ts.call(t, "GET", "/api/v1/audit/log?case=AZ-2026-17&limit=500", ts.login(t, "auditor@polizei.example"), nil).want(t, 200).items()
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e["action"].(string)] = true
	}
	for _, want := range []string{"admin_list_users", "disable_user", "disable_user_logout", "admin_user_devices", "enable_user"} {
		if !seen[want] {
			t.Errorf("no %s in the audit log: %v", want, seen)
		}
	}
}

// TestLoginBrakeIsPerAccountAndAddress: an attacker failing a colleague's
// password from one address waits longer and longer (429 login_delayed
// with Retry-After), while the colleague logs in from their own address
// at once.
func TestLoginBrakeIsPerAccountAndAddress(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *serveConfig) {
		c.RateLimits.LoginFailuresPerAccount = 3
		c.RateLimits.LoginWindow = time.Minute
		c.TrustedProxies, _ = web.ParseProxies([]string{"127.0.0.1"})
	})
	ts.addUser(t, "anna@polizei.example", "Anna")
	from := func(address, password string) reply {
		return ts.callWithHeaders(t, "POST", "/api/v1/auth/login", map[string]string{"X-Forwarded-For": address},
			map[string]any{"email": "anna@polizei.example", "password": password})
	}
	for range 3 {
		from("10.0.0.66", "guess-guess-guess").want(t, 401, "invalid_credentials")
	}
	r := from("10.0.0.66", testPassword).want(t, 429, "login_delayed")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	from("10.0.0.7", testPassword).want(t, 200) // Anna, from her own desk
	time.Sleep(1100 * time.Millisecond)
	from("10.0.0.66", "guess-guess-again").want(t, 401)
	r = from("10.0.0.66", "guess-once-more").want(t, 429, "login_delayed")
	if ra := r.header.Get("Retry-After"); ra != "2" {
		t.Fatalf("the second wait: Retry-After %q, want 2 (doubling)", ra)
	}
	from("10.0.0.7", testPassword).want(t, 200)
}

// TestDirectoryLogin: with --ldap-url, a real slapd owns the passwords:
// the first login makes the account (name from the directory), a wrong
// password is refused, self-registration is off, and an account disabled
// in the directory loses its devices within one refresh interval.
func TestDirectoryLogin(t *testing.T) {
	t.Parallel()
	dir := testenv.StartSlapd(t)
	dn := dir.AddPerson("jmueller", "Jana Müller", "jana.mueller@polizei.example", "directory-pass-1")
	box := startMailbox(t)
	ts := startServer(t, func(c *serveConfig) {
		c.Identity = identityConfig{LDAPURL: dir.URL, LDAPBaseDN: dir.BaseDN, LDAPBindDN: dir.AdminDN, LDAPBindPassword: dir.AdminPass,
			LDAPUserFilter: "(&(objectClass=inetOrgPerson)(mail=%s)(!(employeeType=disabled)))", LDAPRefresh: 300 * time.Millisecond,
			SMTPAddr: box.addr, SMTPCAFile: box.caFile}
	})
	login := func(password string) reply {
		return ts.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "jana.mueller@polizei.example", "password": password})
	}
	login("not-the-password").want(t, 401, "invalid_credentials")
	r := login("directory-pass-1").want(t, 200)
	u := r.Body["user"].(map[string]any)
	if u["name"] != "Jana Müller" || u["source"] != "ldap" {
		t.Fatalf("directory account %v", u)
	}
	token := r.str("token")
	ts.call(t, "POST", "/api/v1/auth/register", "", map[string]any{"email": "x@polizei.example", "name": "X", "password": "long-enough-1"}).want(t, 403, "registration_off")
	ts.call(t, "POST", "/api/v1/me/password", token, map[string]any{"current": "directory-pass-1", "password": "another-pass-22"}).want(t, 409, "directory_password")
	sock := ts.dialWS(t, token, 0)
	sock.subscribe(ts.call(t, "POST", "/api/v1/rooms", token, map[string]any{"name": "Streife"}).want(t, 201).str("id"), 0)
	sock.untilSubscribed()
	dir.Set(dn, "employeeType", "disabled")
	disabledAt := time.Now()
	if fr := sock.nextOf("wipe"); fr.Type != "wipe" {
		t.Fatal("no wipe after the directory disabled the account")
	}
	if d := time.Since(disabledAt); d > 3*time.Second {
		t.Errorf("the device was logged out %v after the directory disabled the account (refresh 300 ms)", d)
	}
	ts.call(t, "GET", "/api/v1/me", token, nil).want(t, 401)
	login("directory-pass-1").want(t, 401, "invalid_credentials")
}
