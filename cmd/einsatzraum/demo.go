package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// demoLogin is the login printed for the demo.
type demoLogin struct {
	Email, Password string
}

const demoRoomName = "Demo: Hafengeburtstag Hamburg"

// demoOfficer is a seeded user; the first one leads the demo room.
type demoOfficer struct {
	local, name, callsign string
	role                  einsatzraum.RoomRole
}

var demoOfficers = []demoOfficer{
	{"einsatzleitung", "Petra Hansen", "Michel 1/1", einsatzraum.RoleLead},
	{"jan.petersen", "Jan Petersen", "Peter 14/21", einsatzraum.RoleMember},
	{"ayse.yilmaz", "Ayşe Yılmaz", "Peter 14/22", einsatzraum.RoleMember},
	{"lars.koch", "Lars Koch", "Peter 14/23", einsatzraum.RoleMember},
	{"mia.schulz", "Mia Schulz", "Peter 15/11", einsatzraum.RoleMember},
	{"tom.becker", "Tom Becker", "Peter 15/12", einsatzraum.RoleMember},
	{"lagezentrum", "Lagezentrum Hamburg", "Michel 0", einsatzraum.RoleObserver},
}

// seedDemo makes sure the demo users, room, chats and first messages exist,
// sets a fresh random password for the lead and returns that login. It is
// safe to run on every start: what exists is kept.
func seedDemo(ctx context.Context, svc *einsatzraum.Service, domain string, log *slog.Logger) (demoLogin, error) {
	users := make([]*einsatzraum.User, len(demoOfficers))
	var login demoLogin
	for i, o := range demoOfficers {
		email := o.local + "@" + domain
		password := randomPassword()
		u, err := svc.UserByEmail(ctx, email)
		if einsatzraum.IsNotFound(err) {
			u, err = svc.CreateUser(ctx, nil, einsatzraum.NewUser{Email: email, Name: o.name, Callsign: o.callsign, Password: password})
		} else if err == nil && i == 0 {
			err = svc.SetPassword(ctx, nil, u.ID, password)
		}
		if err != nil {
			return login, fmt.Errorf("demo user %s: %w", email, err)
		}
		users[i] = u
		if i == 0 {
			login = demoLogin{Email: email, Password: password}
		}
	}
	lead := &einsatzraum.Actor{User: users[0]}
	rooms, err := svc.Rooms(ctx, lead)
	if err != nil {
		return login, err
	}
	for _, r := range rooms {
		if r.Name == demoRoomName {
			log.Info("demo room exists", "room", r.ID)
			return login, nil
		}
	}
	room, err := svc.CreateRoom(ctx, lead, demoRoomName, "Großlage Hafen: Absperrungen, Besucherlenkung, Einsatzabschnitte Landungsbrücken und Speicherstadt.")
	if err != nil {
		return login, err
	}
	var everyone, command []string
	for i, o := range demoOfficers[1:] {
		u := users[i+1]
		if _, err := svc.PutMember(ctx, lead, room.ID, u.ID, o.role); err != nil {
			return login, err
		}
		everyone = append(everyone, u.ID)
		if i < 2 {
			command = append(command, u.ID)
		}
	}
	situation, err := svc.CreateChat(ctx, lead, room.ID, "Lage", everyone)
	if err != nil {
		return login, err
	}
	if _, err := svc.CreateChat(ctx, lead, room.ID, "Führung", command); err != nil {
		return login, err
	}
	posts := []struct {
		by    int
		draft chat.Draft
	}{
		{0, chat.Draft{Kind: chat.KindText, Text: "Lagebesprechung 14:00 am Befehlsstellenfahrzeug, Landungsbrücken Brücke 3."}},
		{1, chat.Draft{Kind: chat.KindText, Text: "Absperrung St. Pauli Hafenstraße steht."}},
		{2, chat.Draft{Kind: chat.KindLocation, Text: "Verletzte Person, RTW angefordert", Location: &chat.Location{Lat: 53.5457, Lon: 9.9664}}},
		{0, chat.Draft{Kind: chat.KindText, Text: "Verstanden. Peter 14/23 unterstützt."}},
	}
	for _, p := range posts {
		if _, _, err := svc.PostMessage(ctx, &einsatzraum.Actor{User: users[p.by]}, situation.ID, p.draft); err != nil {
			return login, err
		}
	}
	log.Info("demo seeded", "room", room.ID, "users", len(users))
	return login, nil
}

func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
