package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Slapd is an OpenLDAP server of the test's own: Debian's slapd on a spare
// port, with a generated configuration (mdb database under the test's
// temporary directory, the core, cosine and inetOrgPerson schemas) and
// an organisational unit for people.
type Slapd struct {
	URL       string // ldap://127.0.0.1:PORT
	BaseDN    string // dc=polizei,dc=example
	AdminDN   string // cn=admin,dc=polizei,dc=example (also the service account)
	AdminPass string
	PeopleDN  string // ou=people,dc=polizei,dc=example
	t         testing.TB
	cmd       *exec.Cmd
}

// StartSlapd starts slapd and waits until it answers; it is stopped when
// the test ends. Where slapd is not installed the test is skipped, or
// fails in CI (make test installs it).
func StartSlapd(t testing.TB) *Slapd {
	t.Helper()
	bin := "/usr/sbin/slapd"
	if _, err := os.Stat(bin); err != nil {
		unavailable(t, "slapd (Debian package slapd)", err)
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Slapd{URL: fmt.Sprintf("ldap://127.0.0.1:%d", port), BaseDN: "dc=polizei,dc=example", AdminDN: "cn=admin,dc=polizei,dc=example",
		AdminPass: "admin-secret-" + Unique("p"), PeopleDN: "ou=people,dc=polizei,dc=example", t: t}
	db := filepath.Join(dir, "db")
	if err := os.Mkdir(db, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := strings.Join([]string{
		"include /etc/ldap/schema/core.schema",
		"include /etc/ldap/schema/cosine.schema",
		"include /etc/ldap/schema/inetorgperson.schema",
		"pidfile " + filepath.Join(dir, "slapd.pid"),
		"modulepath /usr/lib/ldap",
		"moduleload back_mdb",
		"database mdb",
		"maxsize 10485760",
		"suffix \"" + s.BaseDN + "\"",
		"rootdn \"" + s.AdminDN + "\"",
		"rootpw " + s.AdminPass,
		"directory " + db,
		"access to attrs=userPassword by self write by anonymous auth by * none",
		"access to * by * read",
		"",
	}, "\n")
	confFile := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// -d 0: stay in the foreground (killed at the end), log nothing.
	s.cmd = exec.Command(bin, "-f", confFile, "-h", s.URL+"/", "-d", "0")
	out := &strings.Builder{}
	s.cmd.Stdout, s.cmd.Stderr = out, out
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start slapd: %v", err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); _ = s.cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(30 * time.Millisecond) {
		if conn, err := s.Admin(); err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slapd did not start on %s:\n%s", s.URL, out.String())
		}
	}
	conn, err := s.Admin()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	base := ldap.NewAddRequest(s.BaseDN, nil)
	base.Attribute("objectClass", []string{"dcObject", "organization"})
	base.Attribute("dc", []string{"polizei"})
	base.Attribute("o", []string{"Polizei"})
	people := ldap.NewAddRequest(s.PeopleDN, nil)
	people.Attribute("objectClass", []string{"organizationalUnit"})
	people.Attribute("ou", []string{"people"})
	for _, r := range []*ldap.AddRequest{base, people} {
		if err := conn.Add(r); err != nil {
			t.Fatalf("slapd: add %s: %v", r.DN, err)
		}
	}
	return s
}

// Admin binds as the directory's administrator.
func (s *Slapd) Admin() (*ldap.Conn, error) {
	conn, err := ldap.DialURL(s.URL)
	if err != nil {
		return nil, err
	}
	if err := conn.Bind(s.AdminDN, s.AdminPass); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// AddPerson adds an inetOrgPerson under PeopleDN and returns its DN.
func (s *Slapd) AddPerson(uid, name, mail, password string) string {
	s.t.Helper()
	conn, err := s.Admin()
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()
	dn := "uid=" + uid + "," + s.PeopleDN
	r := ldap.NewAddRequest(dn, nil)
	r.Attribute("objectClass", []string{"inetOrgPerson"})
	r.Attribute("uid", []string{uid})
	r.Attribute("cn", []string{name})
	r.Attribute("sn", []string{name[strings.LastIndexByte(name, ' ')+1:]})
	r.Attribute("displayName", []string{name})
	r.Attribute("mail", []string{mail})
	r.Attribute("userPassword", []string{password})
	if err := conn.Add(r); err != nil {
		s.t.Fatalf("slapd: add %s: %v", dn, err)
	}
	return dn
}

// Set replaces one attribute of an entry (employeeType=disabled, say).
func (s *Slapd) Set(dn, attr, value string) {
	s.t.Helper()
	conn, err := s.Admin()
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()
	m := ldap.NewModifyRequest(dn, nil)
	m.Replace(attr, []string{value})
	if err := conn.Modify(m); err != nil {
		s.t.Fatalf("slapd: modify %s: %v", dn, err)
	}
}
