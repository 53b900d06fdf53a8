package web

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/einsatzraum/bus"
	"github.com/einsatzraum/einsatzraum/einsatzraum/sqlstore"
)

// discardSocket encodes every frame as the live endpoint would and drops
// the bytes.
type discardSocket struct{ codec *einsatzraum.CodecKey }

func (s discardSocket) Write(f einsatzraum.Frame, _ time.Time) error {
	_, err := einsatzraum.Encode(f, s.codec, encodeFrame)
	return err
}
func (discardSocket) Ping(time.Time) error                           { return nil }
func (discardSocket) Close(einsatzraum.CloseReason, time.Time) error { return nil }

// FuzzClientText hands arbitrary text messages to a live connection of a
// room member (subscribe, unsubscribe, position and anything else): the
// hub answers with error frames or closes the connection, and never
// panics.
func FuzzClientText(f *testing.F) {
	for _, s := range []string{`{"type":"subscribe","room":"rm_fz","since":0}`, `{"type":"unsubscribe","room":"rm_fz"}`,
		`{"type":"position","lat":53.55,"lon":9.99,"accuracy_m":5,"ts":"2026-11-24T10:00:00Z"}`, `{"type":"position","lat":"x"}`,
		`{"type":"subscribe","room":"rm_fz","since":-5}`, `{"type":"nope"}`, `[1,2]`, `{`, ``} {
		f.Add([]byte(s))
	}
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(f.TempDir(), "fz.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	mb := bus.NewMemory()
	defer mb.Close()
	svc := einsatzraum.NewService(db, mb, einsatzraum.Config{})
	u := &einsatzraum.User{ID: "u_fz", Email: "fz@polizei.example", Name: "F", PasswordHash: "x"}
	err = db.Tx(ctx, func(tx einsatzraum.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.CreateRoom(ctx, &einsatzraum.Room{ID: "rm_fz", Name: "fz"}); err != nil {
			return err
		}
		return tx.PutMember(ctx, "rm_fz", u.ID, einsatzraum.RoleMember, time.Now())
	})
	if err != nil {
		f.Fatal(err)
	}
	hub, err := einsatzraum.NewHub(ctx, svc, mb, einsatzraum.HubConfig{}, nil)
	if err != nil {
		f.Fatal(err)
	}
	defer hub.Shutdown()
	codec := einsatzraum.NewCodecKey("json")
	f.Fuzz(func(t *testing.T, frame []byte) {
		c := hub.Connect(&einsatzraum.Actor{User: u, Device: &einsatzraum.Device{ID: "dev_fz", UserID: u.ID}}, discardSocket{codec: codec})
		handleClientText(c, frame)
		handleClientText(c, frame)
		c.Detach()
	})
}
