package web

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

// The JSON codec of the live endpoint (API.md, "Live events"): hub frames
// to JSON text, client JSON text to hub commands. Frames are encoded once
// per frame for every socket that sends them (einsatzraum.Encode).

// Wire forms of the hub's frames.
type (
	eventWire struct {
		Type  string          `json:"type"`
		Room  string          `json:"room"`
		Seq   int64           `json:"seq"`
		Event json.RawMessage `json:"event"`
	}
	positionsWire struct {
		Type    string         `json:"type"`
		Room    string         `json:"room"`
		Items   []positionWire `json:"items"`
		Removed []string       `json:"removed,omitempty"` // an extension of API.md
	}
	positionWire struct {
		User      string     `json:"user"`
		Name      string     `json:"name"`
		Callsign  string     `json:"callsign"`
		Lat       float64    `json:"lat"`
		Lon       float64    `json:"lon"`
		TS        time.Time  `json:"ts"`
		AccuracyM float64    `json:"accuracy_m"`
		Heading   *float64   `json:"heading,omitempty"`
		SpeedMps  *float64   `json:"speed_mps,omitempty"`
		Stale     bool       `json:"stale"`
		State     string     `json:"state"`     // live | stale (API.md, "Presence you can trust")
		LastSeen  time.Time  `json:"last_seen"` // the time of the position
		StaleAt   *time.Time `json:"stale_at,omitempty"`
	}
	subscribedWire struct {
		Type string `json:"type"`
		Room string `json:"room"`
		Seq  int64  `json:"seq"`
	}
	errorWire struct {
		Type  string      `json:"type"`
		Room  string      `json:"room,omitempty"`
		Error errorDetail `json:"error"`
	}
	wipeWire struct {
		Type string `json:"type"`
	}
)

// encodeFrame is the JSON text of a hub frame.
func encodeFrame(f einsatzraum.Frame) ([]byte, error) {
	var v any
	switch f := f.(type) {
	case *einsatzraum.EventFrame:
		data := f.Event.Data
		if !json.Valid(data) {
			data = json.RawMessage(`{}`)
		}
		v = eventWire{Type: "event", Room: f.Event.Room, Seq: f.Event.Seq, Event: data}
	case *einsatzraum.PositionsFrame:
		items := make([]positionWire, len(f.Items))
		for i, p := range f.Items {
			state := "live"
			if p.Stale {
				state = "stale"
			}
			items[i] = positionWire{User: p.User, Name: p.Name, Callsign: p.Callsign, Lat: p.Lat, Lon: p.Lon, TS: p.TS, AccuracyM: p.AccuracyM,
				Heading: p.Heading, SpeedMps: p.SpeedMps, Stale: p.Stale, State: state, LastSeen: p.TS, StaleAt: p.StaleAt}
		}
		v = positionsWire{Type: "positions", Room: f.Room, Items: items, Removed: f.Removed}
	case *einsatzraum.SubscribedFrame:
		v = subscribedWire{Type: "subscribed", Room: f.Room, Seq: f.Seq}
	case *einsatzraum.ErrorFrame:
		v = errorWire{Type: "error", Room: f.Room, Error: errorDetail{Code: f.Code, Message: f.Message}}
	case *einsatzraum.WipeFrame:
		v = wipeWire{Type: "wipe"}
	default:
		return nil, fmt.Errorf("live: no JSON form for frame %T", f)
	}
	return json.Marshal(v)
}

// clientCommand is every frame a client may send (API.md, "Live events").
type clientCommand struct {
	Type  string `json:"type"`
	Room  string `json:"room"`
	Since *int64 `json:"since"`
}

// handleClientText decodes one text message of a client and runs it as a
// hub command; anything malformed is answered by an error frame.
func handleClientText(c *einsatzraum.Client, data []byte) {
	var f clientCommand
	if err := json.Unmarshal(data, &f); err != nil {
		c.BadFrame("", "malformed_frame", "a frame must be a JSON object with a type")
		return
	}
	switch f.Type {
	case "subscribe":
		var since int64
		if f.Since != nil {
			since = *f.Since
		}
		_ = c.Subscribe(f.Room, since) // a failure is sent to the client as an error frame
	case "unsubscribe":
		c.Unsubscribe(f.Room)
	case "position":
		var p geo.Position
		if err := json.Unmarshal(data, &p); err != nil {
			c.BadFrame("", "malformed_position", "a position frame needs lat, lon and ts (RFC 3339) as numbers and a string")
			return
		}
		c.ReportPosition(p)
	case "":
		c.BadFrame(f.Room, "missing_type", "a frame needs a type")
	default:
		c.BadFrame(f.Room, "unknown_frame_type", fmt.Sprintf("unknown frame type %q (want subscribe, unsubscribe or position)", f.Type))
	}
}
