package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"

	"github.com/paulmach/orb"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// demoLogin is the login printed for the demo.
type demoLogin struct {
	Email, Password string
}

// The demo is a search for a missing person in the villages north of
// Bayreuth, where the shipped OpenStreetMap extract is complete (streets,
// water, buildings, names): the basemap, the routes the officers walk and
// the data layers all come from that extract (demodata/SOURCES.md).
const demoRoomName = "Demo: Vermisstensuche Neudrossenfeld"

// demoArea is the demo room's area (west, south, east, north): its POIs,
// routes and layers lie inside.
var demoArea = orb.Bound{Min: orb.Point{11.490, 49.990}, Max: orb.Point{11.600, 50.040}}

// demoOfficer is a seeded user; the first one leads the demo room.
type demoOfficer struct {
	local, name, callsign string
	role                  einsatzraum.RoomRole
}

var demoOfficers = []demoOfficer{
	{"einsatzleitung", "Petra Hansen", "Fuchs 1/1", einsatzraum.RoleLead},
	{"jan.petersen", "Jan Petersen", "Fuchs 14/21", einsatzraum.RoleMember},
	{"ayse.yilmaz", "Ayşe Yılmaz", "Fuchs 14/22", einsatzraum.RoleMember},
	{"lars.koch", "Lars Koch", "Fuchs 14/23", einsatzraum.RoleMember},
	{"mia.schulz", "Mia Schulz", "Fuchs 15/11", einsatzraum.RoleMember},
	{"tom.becker", "Tom Becker", "Fuchs 15/12", einsatzraum.RoleMember},
	{"lagezentrum", "Einsatzzentrale Oberfranken", "Fuchs 0", einsatzraum.RoleObserver},
}

// demoPatrols are the officers who walk or drive the demo routes, beyond
// the named ones above.
const demoPatrols = 33

var firstNames = []string{"Anna", "Ben", "Clara", "David", "Emma", "Finn", "Greta", "Hannes", "Ida", "Jonas", "Kira", "Lukas", "Mara", "Nils", "Ole", "Paula", "Rieke"}
var lastNames = []string{"Meyer", "Schmidt", "Hoffmann", "Wagner", "Krüger", "Lange", "Brandt", "Voss", "Jensen", "Möller", "Fischer", "Peters"}

// allDemoOfficers is the named officers plus the patrols.
func allDemoOfficers() []demoOfficer {
	out := append([]demoOfficer(nil), demoOfficers...)
	for i := range demoPatrols {
		first, last := firstNames[i%len(firstNames)], lastNames[(i*5)%len(lastNames)]
		local := fmt.Sprintf("streife%02d", i+1)
		out = append(out, demoOfficer{local, first + " " + last, fmt.Sprintf("Fuchs %d/%d", 21+i/4, 1+i%4), einsatzraum.RoleMember})
	}
	return out
}

// demoPOIs are put on the map when the demo room is created.
var demoPOIs = []einsatzraum.NewPOI{
	{Name: "Befehlsstelle", Category: "command_post", Lat: 50.01660, Lon: 11.50150, Description: "BefKw am Rathaus Neudrossenfeld"},
	{Name: "Sammelpunkt Feuerwehr Harsdorf", Category: "meeting_point", Lat: 50.02848, Lon: 11.56645, Description: "Bereitstellungsraum für Suchtrupps und Hundeführer"},
	{Name: "Sanitätsstation", Category: "medical", Lat: 50.00730, Lon: 11.58920, Description: "BRK am Feuerwehrhaus Ramsenthal"},
	{Name: "Zuletzt gesehen", Category: "info", Lat: 50.02640, Lon: 11.57620, Description: "Hettersreuth, Bushaltestelle, gestern 18:40 Uhr"},
	{Name: "Absperrung Waldweg", Category: "roadblock", Lat: 50.01410, Lon: 11.56900, Description: "Zufahrt Schaitz nur für Einsatzfahrzeuge"},
}

// demoAccounts are the demo room's users: the lead first, then the others.
type demoAccounts struct {
	login  demoLogin
	room   string
	actors []*einsatzraum.Actor
}

// seedDemo makes sure the demo users, room, chats, POIs and first messages
// exist, sets a fresh random password for the lead and returns that login.
// It is safe to run on every start: what exists is kept.
func seedDemo(ctx context.Context, svc *einsatzraum.Service, domain string, log *slog.Logger) (*demoAccounts, error) {
	officers := allDemoOfficers()
	users := make([]*einsatzraum.User, len(officers))
	acc := &demoAccounts{}
	login := &acc.login
	for i, o := range officers {
		email := o.local + "@" + domain
		password := randomPassword()
		u, err := svc.UserByEmail(ctx, email)
		if einsatzraum.IsNotFound(err) {
			u, err = svc.CreateUser(ctx, nil, einsatzraum.NewUser{Email: email, Name: o.name, Callsign: o.callsign, Password: password})
		} else if err == nil && i == 0 {
			err = svc.SetPassword(ctx, nil, u.ID, password)
		}
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", email, err)
		}
		users[i] = u
		acc.actors = append(acc.actors, &einsatzraum.Actor{User: u})
		if i == 0 {
			*login = demoLogin{Email: email, Password: password}
		}
	}
	lead := acc.actors[0]
	rooms, err := svc.Rooms(ctx, lead)
	if err != nil {
		return nil, err
	}
	for _, r := range rooms {
		if r.Name == demoRoomName {
			log.Info("demo room exists", "room", r.ID)
			acc.room = r.ID
			return acc, nil
		}
	}
	room, err := svc.CreateRoom(ctx, lead, demoRoomName, "Vermisste Person, 79 Jahre, orientierungslos: Suchabschnitte Neudrossenfeld, Harsdorf und Ramsenthal.")
	if err != nil {
		return nil, err
	}
	acc.room = room.ID
	var everyone, command []string
	for i, o := range officers[1:] {
		u := users[i+1]
		if _, err := svc.PutMember(ctx, lead, room.ID, u.ID, o.role); err != nil {
			return nil, err
		}
		everyone = append(everyone, u.ID)
		if i < 2 {
			command = append(command, u.ID)
		}
	}
	situation, err := svc.CreateChat(ctx, lead, room.ID, "Lage", everyone)
	if err != nil {
		return nil, err
	}
	if _, err := svc.CreateChat(ctx, lead, room.ID, "Führung", command); err != nil {
		return nil, err
	}
	var pois []*einsatzraum.POI
	for _, p := range demoPOIs {
		poi, err := svc.CreatePOI(ctx, lead, room.ID, p)
		if err != nil {
			return nil, err
		}
		pois = append(pois, poi)
	}
	posts := []struct {
		by    int
		draft chat.Draft
	}{
		{0, chat.Draft{Kind: chat.KindText, Text: "Lagebesprechung 14:00 am Befehlsstellenfahrzeug, Rathaus Neudrossenfeld."}},
		{1, chat.Draft{Kind: chat.KindText, Text: "Suchabschnitt Harsdorf Nord begonnen, Hundeführer ist vor Ort."}},
		{2, chat.Draft{Kind: chat.KindLocation, Text: "Jacke gefunden, passt zur Beschreibung", Location: &chat.Location{Lat: 50.0231, Lon: 11.5694}}},
		{0, chat.Draft{Kind: chat.KindText, Text: "Verstanden. Fuchs 14/23 unterstützt."}},
		{0, chat.Draft{Kind: chat.KindPOI, Text: "Befehlsstelle ist eingerichtet", POI: &chat.Ref{ID: pois[0].ID}}},
	}
	for _, p := range posts {
		if _, _, err := svc.PostMessage(ctx, acc.actors[p.by], situation.ID, p.draft); err != nil {
			return nil, err
		}
	}
	log.Info("demo seeded", "room", room.ID, "users", len(users))
	return acc, nil
}

func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
