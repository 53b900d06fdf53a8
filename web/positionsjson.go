package web

import (
	"bytes"
	"strconv"
)

// Position reports are the busiest request of the server, and decoding
// them with encoding/json (the body, then each item again) cost a fifth of
// a batch. decodePositionsFast reads the shape every client sends by hand:
//
//	{"items":[{"lat":53.5,"lon":9.9,"accuracy_m":5,"heading":null,"ts":"..."}, ...]}
//
// with exactly these key spellings (any order, each item's keys from lat,
// lon, accuracy_m, heading, speed_mps, ts), numbers or null for the
// numbers, plain strings for ts (no escapes, ASCII) and JSON whitespace
// anywhere. Anything else (another key, a spelling in other case, an
// escape, a nested value, trailing data) returns ok false and the caller
// decodes with encoding/json, which also words the errors; so what this
// accepts decodes exactly as encoding/json would decode it
// (FuzzPositionsFastPath checks that).

// decodePositionsFast returns the items of a positions body, or ok false
// when the body is not of the plain shape above.
func decodePositionsFast(body []byte) (items []positionIn, ok bool) {
	d := fastJSON{b: bytes.TrimSpace(body)}
	if !d.byte('{') || !d.key("items") || !d.byte('[') {
		return nil, false
	}
	items = make([]positionIn, 0, bytes.Count(d.b, []byte("{"))-1) // an object per item, as sent
	if !d.byte(']') {
		for {
			var in positionIn
			if !d.position(&in) {
				return nil, false
			}
			items = append(items, in)
			if d.byte(']') {
				break
			}
			if !d.byte(',') {
				return nil, false
			}
		}
	}
	if !d.byte('}') {
		return nil, false
	}
	d.space()
	return items, d.i == len(d.b)
}

// fastJSON is a cursor over JSON text for decodePositionsFast.
type fastJSON struct {
	b      []byte
	i      int
	floats []float64 // where number puts its values: one allocation for many
}

// space skips JSON whitespace.
func (d *fastJSON) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// byte consumes c (after whitespace) if it comes next.
func (d *fastJSON) byte(c byte) bool {
	d.space()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// str reads a plain string: no escapes, printable ASCII only.
func (d *fastJSON) str() (string, bool) {
	raw, ok := d.rawStr()
	return string(raw), ok
}

// rawStr reads a plain string as str does and returns its bytes, which
// stay those of the body.
func (d *fastJSON) rawStr() ([]byte, bool) {
	if !d.byte('"') {
		return nil, false
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == '"' {
			d.i++
			return d.b[start : d.i-1], true
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return nil, false
		}
		d.i++
	}
	return nil, false
}

// key reads "name" and the colon after it.
func (d *fastJSON) key(name string) bool {
	k, ok := d.rawStr()
	return ok && string(k) == name && d.byte(':')
}

// number reads a JSON number or null (nil).
func (d *fastJSON) number() (*float64, bool) {
	d.space()
	if bytes.HasPrefix(d.b[d.i:], []byte("null")) {
		d.i += 4
		return nil, true
	}
	start := d.i
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case d.i < len(d.b) && d.b[d.i] >= '1' && d.b[d.i] <= '9':
		d.digits()
	default:
		return nil, false
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if !d.digits() {
			return nil, false
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if !d.digits() {
			return nil, false
		}
	}
	f, err := strconv.ParseFloat(string(d.b[start:d.i]), 64)
	if err != nil {
		return nil, false // out of range: encoding/json words the error
	}
	if len(d.floats) == cap(d.floats) {
		d.floats = make([]float64, 0, 64) // the values before stay where they are
	}
	d.floats = append(d.floats, f)
	return &d.floats[len(d.floats)-1], true
}

// digits reads one or more decimal digits.
func (d *fastJSON) digits() bool {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}

// position reads one item object into in.
func (d *fastJSON) position(in *positionIn) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	for {
		k, ok := d.rawStr()
		if !ok || !d.byte(':') {
			return false
		}
		switch string(k) {
		case "lat":
			in.Lat, ok = d.number()
		case "lon":
			in.Lon, ok = d.number()
		case "accuracy_m":
			in.AccuracyM, ok = d.number()
		case "heading":
			in.Heading, ok = d.number()
		case "speed_mps":
			in.SpeedMps, ok = d.number()
		case "ts":
			in.TS, ok = d.str() // null: encoding/json keeps the string; not here
		default:
			return false
		}
		if !ok {
			return false
		}
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}
