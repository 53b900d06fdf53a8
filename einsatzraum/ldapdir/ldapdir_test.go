package ldapdir_test

import (
	"context"
	"errors"
	"testing"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/ldapdir"
	"github.com/einsatzraum/einsatzraum/einsatzraum/testenv"
)

// TestDirectoryAgainstSlapd: a real OpenLDAP finds a user by email, binds
// as them, gives their name; a wrong or empty password, an unknown email
// and an account the filter marks disabled are "not found"; a filter
// injection in the email finds nobody.
func TestDirectoryAgainstSlapd(t *testing.T) {
	s := testenv.StartSlapd(t)
	s.AddPerson("jmueller", "Jana Müller", "jana.mueller@polizei.example", "ldap-password-1")
	other := s.AddPerson("kkrause", "Karl Krause", "karl.krause@polizei.example", "ldap-password-2")
	d, err := ldapdir.New(ldapdir.Config{URL: s.URL, BaseDN: s.BaseDN, BindDN: s.AdminDN, BindPassword: s.AdminPass,
		UserFilter: "(&(objectClass=inetOrgPerson)(mail=%s)(!(employeeType=disabled)))"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e, err := d.Authenticate(ctx, "Jana.Mueller@polizei.example", "ldap-password-1")
	if err != nil || e.Name != "Jana Müller" || e.Email != "jana.mueller@polizei.example" {
		t.Fatalf("login: %+v %v", e, err)
	}
	for name, try := range map[string][2]string{
		"wrong password": {"jana.mueller@polizei.example", "not-her-password"},
		"empty password": {"jana.mueller@polizei.example", ""},
		"unknown email":  {"nobody@polizei.example", "ldap-password-1"},
		"injection":      {"*)(mail=*", "ldap-password-1"},
	} {
		if _, err := d.Authenticate(ctx, try[0], try[1]); !errors.Is(err, einsatzraum.ErrNotFound) {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
	if e, err := d.Lookup(ctx, "karl.krause@polizei.example"); err != nil || e.Name != "Karl Krause" {
		t.Fatalf("lookup: %+v %v", e, err)
	}
	s.Set(other, "employeeType", "disabled")
	if _, err := d.Lookup(ctx, "karl.krause@polizei.example"); !errors.Is(err, einsatzraum.ErrNotFound) {
		t.Fatalf("a disabled account: %v, want not found", err)
	}
	if _, err := d.Authenticate(ctx, "karl.krause@polizei.example", "ldap-password-2"); !errors.Is(err, einsatzraum.ErrNotFound) {
		t.Fatalf("a disabled account logs in: %v", err)
	}
	bad, _ := ldapdir.New(ldapdir.Config{URL: "ldap://127.0.0.1:1", BaseDN: s.BaseDN})
	if _, err := bad.Lookup(ctx, "jana.mueller@polizei.example"); err == nil || errors.Is(err, einsatzraum.ErrNotFound) {
		t.Fatalf("an unreachable directory: %v, want an error that is not 'not found'", err)
	}
}
