// Package ldapdir checks logins against a directory: OpenLDAP or Active
// Directory over LDAP (ldaps:// or ldap:// with StartTLS when a TLS config
// is given). A service account binds and searches the user by a filter
// (the email in place of %s), then the user's own DN binds with the
// password. An account the filter does not find, or that Active Directory
// marks disabled (userAccountControl bit 2), does not exist for us.
package ldapdir

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// Config says where the directory is and how accounts are found.
type Config struct {
	URL          string // ldaps://dc.polizei.example:636 or ldap://...
	BaseDN       string // where users are searched (subtree)
	BindDN       string // the service account; "" binds anonymously for the search
	BindPassword string
	// UserFilter finds one user by email; %s is the escaped email.
	// Default "(&(objectClass=person)(mail=%s))".
	UserFilter string
	StartTLS   bool        // upgrade ldap:// with StartTLS
	TLS        *tls.Config // for ldaps:// and StartTLS; nil: the system's roots
	Timeout    time.Duration
}

// Directory is an einsatzraum.Directory over LDAP. Each call uses its own
// connection (logins are rare; a dead connection never lingers).
type Directory struct{ cfg Config }

// New checks cfg and returns the directory (it connects on use).
func New(cfg Config) (*Directory, error) {
	if cfg.URL == "" || cfg.BaseDN == "" {
		return nil, errors.New("ldap: the URL and the base DN are required")
	}
	if cfg.UserFilter == "" {
		cfg.UserFilter = "(&(objectClass=person)(mail=%s))"
	}
	if strings.Count(cfg.UserFilter, "%s") != 1 {
		return nil, fmt.Errorf("ldap: the user filter %q must hold %%s once (the email)", cfg.UserFilter)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Directory{cfg: cfg}, nil
}

// Authenticate implements einsatzraum.Directory.
func (d *Directory) Authenticate(ctx context.Context, email, password string) (*einsatzraum.DirectoryEntry, error) {
	if password == "" { // an empty password is an anonymous bind, which "succeeds"
		return nil, einsatzraum.ErrNotFound
	}
	conn, entry, err := d.lookup(ctx, email)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.Bind(entry.DN, password); err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			return nil, einsatzraum.ErrNotFound
		}
		return nil, fmt.Errorf("ldap: bind as the user: %w", err)
	}
	return toEntry(entry, email), nil
}

// Lookup implements einsatzraum.Directory.
func (d *Directory) Lookup(ctx context.Context, email string) (*einsatzraum.DirectoryEntry, error) {
	conn, entry, err := d.lookup(ctx, email)
	if err != nil {
		return nil, err
	}
	conn.Close()
	return toEntry(entry, email), nil
}

// lookup connects as the service account and finds email's entry; the
// caller closes the connection.
func (d *Directory) lookup(ctx context.Context, email string) (*ldap.Conn, *ldap.Entry, error) {
	conn, err := d.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	entry, err := d.find(conn, email)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, entry, nil
}

// connect dials the directory and binds as the service account.
func (d *Directory) connect(ctx context.Context) (*ldap.Conn, error) {
	opts := []ldap.DialOpt{ldap.DialWithDialer(dialer(ctx, d.cfg.Timeout))}
	if d.cfg.TLS != nil {
		opts = append(opts, ldap.DialWithTLSConfig(d.cfg.TLS))
	}
	conn, err := ldap.DialURL(d.cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("ldap: connect to %s: %w", d.cfg.URL, err)
	}
	conn.SetTimeout(d.cfg.Timeout)
	if d.cfg.StartTLS {
		cfg := d.cfg.TLS
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if err := conn.StartTLS(cfg); err != nil {
			conn.Close()
			return nil, fmt.Errorf("ldap: StartTLS: %w", err)
		}
	}
	if d.cfg.BindDN != "" {
		if err := conn.Bind(d.cfg.BindDN, d.cfg.BindPassword); err != nil {
			conn.Close()
			return nil, fmt.Errorf("ldap: bind as the service account: %w", err)
		}
	}
	return conn, nil
}

// find searches the one active entry of email; ErrNotFound for none, for
// more than one, and for an account Active Directory marks disabled.
func (d *Directory) find(conn *ldap.Conn, email string) (*ldap.Entry, error) {
	req := ldap.NewSearchRequest(d.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 2, int(d.cfg.Timeout.Seconds()), false,
		fmt.Sprintf(d.cfg.UserFilter, ldap.EscapeFilter(strings.ToLower(email))),
		[]string{"mail", "displayName", "cn", "userAccountControl"}, nil)
	res, err := conn.Search(req)
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		return nil, fmt.Errorf("ldap: search %s: %w", email, err)
	}
	if res == nil || len(res.Entries) != 1 {
		return nil, einsatzraum.ErrNotFound
	}
	e := res.Entries[0]
	if uac, err := strconv.ParseInt(e.GetAttributeValue("userAccountControl"), 10, 64); err == nil && uac&2 != 0 {
		return nil, einsatzraum.ErrNotFound // ACCOUNTDISABLE
	}
	return e, nil
}

// toEntry reads name and email of an entry (the login's email when the
// entry has none).
func toEntry(e *ldap.Entry, email string) *einsatzraum.DirectoryEntry {
	out := &einsatzraum.DirectoryEntry{Email: strings.ToLower(e.GetAttributeValue("mail")), Name: e.GetAttributeValue("displayName")}
	if out.Name == "" {
		out.Name = e.GetAttributeValue("cn")
	}
	if out.Email == "" {
		out.Email = strings.ToLower(email)
	}
	return out
}

// dialer bounds the connection by the timeout and by ctx.
func dialer(ctx context.Context, timeout time.Duration) *net.Dialer {
	d := &net.Dialer{Timeout: timeout}
	if dl, ok := ctx.Deadline(); ok {
		d.Deadline = dl
	}
	return d
}
