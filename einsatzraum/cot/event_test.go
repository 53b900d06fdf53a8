package cot

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// Shapes as ATAK writes them (TAK Server's and other open TAK servers'
// fixtures): a position report and a GeoChat, back to back on one stream.
const atakStream = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<event version="2.0" uid="ANDROID-589520ccfcd20f01" type="a-f-G-U-C" time="2026-10-03T18:21:00.000Z" start="2026-10-03T18:21:00.000Z" stale="2026-10-03T18:27:00.000Z" how="h-e"><point lat="38.8977" lon="-77.0365" hae="25.3" ce="4.9" le="9999999.0"/><detail><takv os="34" version="5.2.0.4" device="GOOGLE PIXEL 8" platform="ATAK-CIV"/><contact endpoint="*:-1:stcp" callsign="ALPHA"/><uid Droid="ALPHA"/><precisionlocation altsrc="GPS" geopointsrc="GPS"/><__group role="Team Lead" name="Cyan"/><status battery="88"/><track course="360.0" speed="1.5"/></detail></event><?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="GeoChat.ANDROID-589520ccfcd20f01.All Chat Rooms.5d1f2a3b" type="b-t-f" time="2026-10-03T18:22:00.000Z" start="2026-10-03T18:22:00.000Z" stale="2026-10-04T18:22:00.000Z" how="h-g-i-g-o"><point lat="38.8977" lon="-77.0365" hae="25.3" ce="9999999.0" le="9999999.0"/><detail><__chat parent="RootContactGroup" groupOwner="false" messageId="5d1f2a3b" chatroom="All Chat Rooms" id="All Chat Rooms" senderCallsign="ALPHA"><chatgrp uid0="ANDROID-589520ccfcd20f01" uid1="All Chat Rooms" id="All Chat Rooms"/></__chat><link uid="ANDROID-589520ccfcd20f01" type="a-f-G-U-C" relation="p-p"/><remarks source="BAO.F.ATAK.ANDROID-589520ccfcd20f01" to="All Chat Rooms" time="2026-10-03T18:22:00.000Z">Hello &amp; welcome</remarks><__serverdestination destinations="10.41.113.200:4242:tcp:ANDROID-589520ccfcd20f01"/><marti/></detail></event>
`

func TestReaderStreamAndPosition(t *testing.T) {
	rd := NewReader(strings.NewReader(atakStream), 4096)
	sa, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	p, err := ToPosition(sa)
	if err != nil {
		t.Fatal(err)
	}
	if p.Lat != 38.8977 || p.Lon != -77.0365 || p.AccuracyM != 4.9 || *p.Heading != 0 || *p.SpeedMps != 1.5 ||
		!p.TS.Equal(time.Date(2026, 10, 3, 18, 21, 0, 0, time.UTC)) || !p.StaleAt.Equal(time.Date(2026, 10, 3, 18, 27, 0, 0, time.UTC)) {
		t.Errorf("position %+v", p)
	}
	if sa.Detail.Contact.Callsign != "ALPHA" {
		t.Errorf("callsign %+v", sa.Detail.Contact)
	}
	chat, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	if chat.Type != "b-t-f" || chat.Detail.Remarks.Text != "Hello & welcome" || chat.Detail.Chat.ID != "All Chat Rooms" || chat.Detail.Chat.SenderCallsign != "ALPHA" {
		t.Errorf("GeoChat %+v", chat.Detail)
	}
	if _, err := rd.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("end of stream: %v", err)
	}
}

func TestReaderLimitsAndErrors(t *testing.T) {
	big := `<event version="2.0" uid="x" type="a-f-G"><detail><remarks>` + strings.Repeat("x", 5000) + `</remarks></detail></event>`
	for _, tc := range []struct {
		name, stream string
		tooLarge     bool
	}{
		{"oversized", big, true},
		{"endless whitespace", strings.Repeat(" ", 5000), true},
		{"broken", `<event uid="x"><point></event>`, false},
		{"other root", `<html/>`, false},
	} {
		_, err := NewReader(strings.NewReader(tc.stream), 1024).Next()
		if err == nil || errors.Is(err, ErrEventTooLarge) != tc.tooLarge {
			t.Errorf("%s: %v (too large: %v)", tc.name, err, tc.tooLarge)
		}
	}
	// The limit counts per event: many small events pass.
	stream := strings.Repeat(`<event version="2.0" uid="p" type="t-x-c-t" time="2026-10-03T18:21:00Z" start="2026-10-03T18:21:00Z" stale="2026-10-03T18:21:20Z"><point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/><detail/></event>`, 50)
	rd := NewReader(strings.NewReader(stream), 300)
	for i := range 50 {
		if _, err := rd.Next(); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
}

func TestToPositionRejects(t *testing.T) {
	ok := Event{Time: "2026-10-03T18:21:00Z", Stale: "2026-10-03T18:22:00Z", Point: Point{Lat: "53.5", Lon: "10", Ce: "9999999"}}
	for _, tc := range []struct {
		name string
		edit func(*Event)
	}{
		{"NaN lat", func(e *Event) { e.Point.Lat = "NaN" }},
		{"no lon", func(e *Event) { e.Point.Lon = "" }},
		{"infinite lon", func(e *Event) { e.Point.Lon = "+Inf" }},
		{"bad time", func(e *Event) { e.Time = "yesterday" }},
	} {
		ev := ok
		tc.edit(&ev)
		if _, err := ToPosition(&ev); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	p, err := ToPosition(&ok)
	if err != nil || p.AccuracyM != 0 || p.Heading != nil {
		t.Errorf("unknown ce and no track: %+v %v", p, err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	ev := &Event{UID: "einsatzraum.u1", Type: "a-f-G-U-C", How: "m-g", Time: "2026-10-03T18:21:00.000Z", Start: "2026-10-03T18:21:00.000Z", Stale: "2026-10-03T18:26:00.000Z",
		Point: Point{Lat: "53.5", Lon: "10", Hae: "9999999", Ce: "5", Le: "9999999"}, Detail: &Detail{Contact: &Contact{Callsign: "Müller <1>"}}}
	b, err := Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	back, err := NewReader(strings.NewReader(string(b)+string(b)), 4096).Next()
	if err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	if back.UID != ev.UID || back.Point != ev.Point || back.Detail.Contact.Callsign != "Müller <1>" || back.Version != "2.0" {
		t.Errorf("round trip %+v", back)
	}
}

// FuzzReader feeds arbitrary bytes: the reader never panics and never
// returns an event larger than its limit.
func FuzzReader(f *testing.F) {
	f.Add(atakStream)
	f.Add(`<event uid="x"><point lat="1" lon="2"/></event>`)
	f.Add(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><event>&a;</event>`)
	f.Fuzz(func(t *testing.T, s string) {
		rd := NewReader(strings.NewReader(s), 2048)
		for range 100 {
			ev, err := rd.Next()
			if err != nil {
				return
			}
			if ev.Detail != nil && ev.Detail.Remarks != nil && len(ev.Detail.Remarks.Text) > 2048 {
				t.Fatalf("remarks of %d bytes passed a 2048-byte limit", len(ev.Detail.Remarks.Text))
			}
			_, _ = ToPosition(ev)
		}
	})
}

// BenchmarkReadPosition decodes ATAK position events from a stream and
// turns them into positions: the gateway's cost per report before the
// tracker. One op is 1,000 events.
func BenchmarkReadPosition(b *testing.B) {
	one := atakStream[:strings.Index(atakStream, "</event>")+len("</event>")]
	stream := strings.Repeat(one, 1000)
	b.ReportAllocs()
	for b.Loop() {
		rd := NewReader(strings.NewReader(stream), 64<<10)
		for range 1000 {
			ev, err := rd.Next()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ToPosition(ev); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "events/s")
}
