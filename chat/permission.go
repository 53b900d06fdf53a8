package chat

import (
	"encoding/json"
	"fmt"
)

// Permission is a set of chat rights of one member, a bit mask.
type Permission uint8

// The chat rights. Write and Manage always come with Read.
const (
	Read   Permission = 1 << iota // sees the chat's messages and members
	Write                         // posts messages
	Manage                        // adds and removes members, grants and revokes rights

	// All is what a chat's creator gets.
	All = Read | Write | Manage
)

var permissionNames = []struct {
	p    Permission
	name string
}{{Read, "read"}, {Write, "write"}, {Manage, "manage"}}

// Has reports whether p includes every right in q.
func (p Permission) Has(q Permission) bool { return p&q == q }

// Strings lists the rights in the fixed order read, write, manage.
func (p Permission) Strings() []string {
	out := make([]string, 0, 3)
	for _, n := range permissionNames {
		if p.Has(n.p) {
			out = append(out, n.name)
		}
	}
	return out
}

// ParsePermissions turns names into a Permission. Unknown names and an
// empty list are errors; Read is added to Write and Manage because a member
// who may write or manage always reads.
func ParsePermissions(names []string) (Permission, error) {
	if len(names) == 0 {
		return 0, invalid("invalid_permissions", "permissions must name at least one of read, write, manage")
	}
	var p Permission
	for _, s := range names {
		found := false
		for _, n := range permissionNames {
			if s == n.name {
				p |= n.p
				found = true
			}
		}
		if !found {
			return 0, invalid("invalid_permissions", fmt.Sprintf("unknown permission %q (want read, write or manage)", s))
		}
	}
	return p | Read, nil
}

// MarshalJSON writes the permission as a list of names.
func (p Permission) MarshalJSON() ([]byte, error) { return json.Marshal(p.Strings()) }

// UnmarshalJSON reads a list of names.
func (p *Permission) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return invalid("invalid_permissions", "permissions must be a list of strings")
	}
	v, err := ParsePermissions(names)
	if err != nil {
		return err
	}
	*p = v
	return nil
}
