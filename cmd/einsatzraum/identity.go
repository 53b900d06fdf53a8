package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/ldapdir"
	"github.com/einsatzraum/einsatzraum/einsatzraum/mail"
)

// identityConfig is the identity part of "einsatzraum serve": the SMTP
// relay for registration and reset mails, the LDAP directory, and the
// roles that need a second factor.
type identityConfig struct {
	SMTPAddr, SMTPFrom, SMTPUser, SMTPPassword, SMTPCAFile string

	LDAPURL, LDAPBaseDN, LDAPBindDN, LDAPBindPassword, LDAPUserFilter, LDAPCAFile string
	LDAPStartTLS                                                                  bool
	LDAPRefresh                                                                   time.Duration

	RequireTOTP listFlag
}

func (c *identityConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.SMTPAddr, "smtp-addr", "", "SMTP relay (host:port) for registration and password reset mails (STARTTLS when offered); empty: self-registration and reset are off")
	fs.StringVar(&c.SMTPFrom, "smtp-from", "", "sender address of those mails (default einsatzraum@ the first email domain)")
	fs.StringVar(&c.SMTPUser, "smtp-username", "", "SMTP AUTH user (only over STARTTLS); empty: no AUTH")
	fs.StringVar(&c.SMTPPassword, "smtp-password", "", "SMTP AUTH password (better: EINSATZRAUM_SMTP_PASSWORD)")
	fs.StringVar(&c.SMTPCAFile, "smtp-ca-file", "", "CA certificate (PEM) the relay's STARTTLS certificate is checked against; empty: the system's")
	fs.StringVar(&c.LDAPURL, "ldap-url", "", "directory for logins, ldaps://host:636 or ldap://host:389; empty: local passwords")
	fs.StringVar(&c.LDAPBaseDN, "ldap-base-dn", "", "where users are searched (subtree), e.g. ou=people,dc=polizei,dc=example")
	fs.StringVar(&c.LDAPBindDN, "ldap-bind-dn", "", "the service account that searches users; empty: anonymous")
	fs.StringVar(&c.LDAPBindPassword, "ldap-bind-password", "", "its password (better: EINSATZRAUM_LDAP_BIND_PASSWORD)")
	fs.StringVar(&c.LDAPUserFilter, "ldap-user-filter", "(&(objectClass=person)(mail=%s))", "finds one active user by email (%s); Active Directory: (&(objectClass=user)(mail=%s)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))")
	fs.StringVar(&c.LDAPCAFile, "ldap-ca-file", "", "CA certificate (PEM) of the directory's TLS certificate; empty: the system's")
	fs.BoolVar(&c.LDAPStartTLS, "ldap-starttls", false, "upgrade an ldap:// connection with StartTLS")
	fs.DurationVar(&c.LDAPRefresh, "ldap-refresh", 15*time.Minute, "how often directory accounts are checked: one disabled or gone there loses its devices")
	fs.Var(&c.RequireTOTP, "require-totp-for", "global roles (admin, data_admin, auditor; comma separated) whose accounts must use a TOTP second factor")
}

// identity is what identityConfig opens.
type identity struct {
	mailer      einsatzraum.Mailer
	directory   einsatzraum.Directory
	requireTOTP []einsatzraum.GlobalRole
}

// open builds the mailer and the directory the flags ask for and says in
// the log what is on and off.
func (c *identityConfig) open(log *slog.Logger, domains []string) (identity, error) {
	var id identity
	for _, r := range c.RequireTOTP {
		role := einsatzraum.GlobalRole(r)
		if role != einsatzraum.RoleAdmin && role != einsatzraum.RoleDataAdmin && role != einsatzraum.RoleAuditor {
			return id, fmt.Errorf("--require-totp-for %q: one of admin, data_admin, auditor", r)
		}
		id.requireTOTP = append(id.requireTOTP, role)
	}
	if c.SMTPAddr != "" {
		from := c.SMTPFrom
		if from == "" {
			from = "einsatzraum@" + domains[0]
		}
		m := &mail.SMTP{Addr: c.SMTPAddr, From: from, Username: c.SMTPUser, Password: c.SMTPPassword}
		if c.SMTPCAFile != "" {
			pool, err := loadCA(c.SMTPCAFile)
			if err != nil {
				return id, fmt.Errorf("--smtp-ca-file: %w", err)
			}
			m.TLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		id.mailer = m
	}
	if c.LDAPURL != "" {
		cfg := ldapdir.Config{URL: c.LDAPURL, BaseDN: c.LDAPBaseDN, BindDN: c.LDAPBindDN, BindPassword: c.LDAPBindPassword,
			UserFilter: c.LDAPUserFilter, StartTLS: c.LDAPStartTLS}
		if c.LDAPCAFile != "" {
			pool, err := loadCA(c.LDAPCAFile)
			if err != nil {
				return id, fmt.Errorf("--ldap-ca-file: %w", err)
			}
			cfg.TLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		d, err := ldapdir.New(cfg)
		if err != nil {
			return id, fmt.Errorf("--ldap-url: %w", err)
		}
		if strings.HasPrefix(c.LDAPURL, "ldap://") && !c.LDAPStartTLS {
			log.Warn("the directory is reached without TLS: passwords cross the network in the clear; use ldaps:// or --ldap-starttls")
		}
		id.directory = d
	}
	switch {
	case id.directory != nil:
		log.Info("logins check the directory; self-registration is off", "ldap", c.LDAPURL, "refresh", c.LDAPRefresh)
	case id.mailer != nil:
		log.Info("self-registration and password reset by mail are on", "smtp", c.SMTPAddr)
	default:
		log.Info("self-registration and password reset are off: no --smtp-addr; administrators create accounts")
	}
	return id, nil
}

// loadCA reads a PEM file of CA certificates into a pool.
func loadCA(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificate in " + file)
	}
	return pool, nil
}
