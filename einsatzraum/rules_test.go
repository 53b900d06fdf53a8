package einsatzraum

import (
	"testing"

	"github.com/einsatzraum/einsatzraum/chat"
)

// TestAllowed checks every room role (and "not a member") against every
// action, with the chat rights each action depends on.
func TestAllowed(t *testing.T) {
	const (
		none = chat.Permission(0)
		r    = chat.Read
		rw   = chat.Read | chat.Write
		rwm  = chat.All
	)
	roles := []RoomRole{"", RoleLead, RoleMember, RoleObserver}
	tests := []struct {
		act  Action
		perm chat.Permission
		want map[RoomRole]bool // roles not listed: false
	}{
		{ActViewRoom, none, map[RoomRole]bool{RoleLead: true, RoleMember: true, RoleObserver: true}},
		{ActManageRoomMembers, none, map[RoomRole]bool{RoleLead: true}},
		{ActCreateChat, none, map[RoomRole]bool{RoleLead: true, RoleMember: true}},

		{ActReadChat, none, nil},
		{ActReadChat, r, map[RoomRole]bool{RoleLead: true, RoleMember: true, RoleObserver: true}},
		{ActReadChat, rwm, map[RoomRole]bool{RoleLead: true, RoleMember: true, RoleObserver: true}},

		{ActPostMessage, none, nil},
		{ActPostMessage, r, nil},
		{ActPostMessage, rw, map[RoomRole]bool{RoleLead: true, RoleMember: true}},
		{ActPostMessage, rwm, map[RoomRole]bool{RoleLead: true, RoleMember: true}},

		{ActManageChat, r, nil},
		{ActManageChat, rw, nil},
		{ActManageChat, rwm, map[RoomRole]bool{RoleLead: true, RoleMember: true}},

		{ActEditMap, none, map[RoomRole]bool{RoleLead: true, RoleMember: true}},
	}
	for _, tc := range tests {
		for _, role := range roles {
			got := Allowed(tc.act, role, tc.perm)
			if got != tc.want[role] {
				t.Errorf("Allowed(%s, role %q, perm %v) = %v, want %v", tc.act, role, tc.perm.Strings(), got, tc.want[role])
			}
		}
	}
	if Allowed(ActViewRoom, "admin", rwm) {
		t.Error("a global role name is not a room role and must grant nothing")
	}
}

func TestMaxChatPermission(t *testing.T) {
	tests := map[RoomRole]chat.Permission{RoleLead: chat.All, RoleMember: chat.All, RoleObserver: chat.Read, "": 0}
	for role, want := range tests {
		if got := MaxChatPermission(role); got != want {
			t.Errorf("MaxChatPermission(%q) = %v, want %v", role, got.Strings(), want.Strings())
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !CheckPassword(h, "correct horse battery") {
		t.Fatal("right password rejected")
	}
	for _, bad := range []string{"correct horse batter", "", "Correct horse battery"} {
		if CheckPassword(h, bad) {
			t.Errorf("wrong password %q accepted", bad)
		}
	}
	for _, junk := range []string{"", "$argon2id$", "$argon2id$v=19$m=1,t=1,p=0$AAAA$AAAA", "plain"} {
		if CheckPassword(junk, "x") {
			t.Errorf("malformed hash %q matched", junk)
		}
	}
	if h1, h2 := HashPassword("same"), HashPassword("same"); h1 == h2 {
		t.Error("two hashes of one password are equal: salt missing")
	}
}
