package einsatzraum_test

import (
	"testing"

	"github.com/einsatzraum/einsatzraum/chat"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// TestChatKeepsAManager: leaving the room or being made an observer must
// not take manage from a chat's only manager while others are in it (the
// chat would be left without anyone who can add members or grant rights).
func TestChatKeepsAManager(t *testing.T) {
	f := newHubFixture(t, einsatzraum.HubConfig{})
	u, err := f.svc.CreateUser(f.ctx, nil, einsatzraum.NewUser{Email: "lead2@polizei.example", Name: "Lars", Password: "correct-horse-battery"})
	if err != nil {
		t.Fatal(err)
	}
	lead2 := &einsatzraum.Actor{User: u}
	if _, err := f.svc.PutMember(f.ctx, f.lead, f.room, u.ID, einsatzraum.RoleLead); err != nil {
		t.Fatal(err)
	}
	// f.lead made the chat "Funk" with f.member and is its only manager.
	if err := f.svc.RemoveMember(f.ctx, f.lead, f.room, f.lead.User.ID); codeOf(err) != "last_manager" {
		t.Fatalf("the only manager left the room: %v", err)
	}
	if _, err := f.svc.PutMember(f.ctx, lead2, f.room, f.lead.User.ID, einsatzraum.RoleObserver); codeOf(err) != "last_manager" {
		t.Fatalf("the only manager was made an observer: %v", err)
	}
	// With manage handed on, both work.
	if _, err := f.svc.PutChatMember(f.ctx, f.lead, f.chat, f.member.User.ID, chat.All); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RemoveMember(f.ctx, f.lead, f.room, f.lead.User.ID); err != nil {
		t.Fatalf("leaving after handing on manage: %v", err)
	}
}

func codeOf(err error) string {
	if e := einsatzraum.AsError(err); e != nil {
		return e.Code
	}
	return ""
}
