// Package cot is the Cursor-on-Target gateway: TAK clients (ATAK, iTAK,
// WinTAK) connect over TLS (or plain TCP when asked for), stream CoT XML
// events back to back as they do with TAK Server, and take part in one
// operation room as live clients of the hub: their positions reach the
// room's map, their GeoChat the room's chat, and the room's members, POIs,
// chat messages and files come back to them as CoT events.
package cot

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// Event is one CoT event (MIL-STD-2525 type, point, detail) with the
// detail elements the gateway reads and writes; others are kept as raw
// XML on reading and ignored.
type Event struct {
	XMLName xml.Name `xml:"event"`
	Version string   `xml:"version,attr"`
	UID     string   `xml:"uid,attr"`
	Type    string   `xml:"type,attr"`
	How     string   `xml:"how,attr,omitempty"`
	Time    string   `xml:"time,attr"`
	Start   string   `xml:"start,attr"`
	Stale   string   `xml:"stale,attr"`
	Point   Point    `xml:"point"`
	Detail  *Detail  `xml:"detail,omitempty"`
}

// Point is a CoT point: WGS 84 degrees, height above the ellipsoid in
// metres, circular and linear error in metres (9999999 for unknown).
type Point struct {
	Lat string `xml:"lat,attr"`
	Lon string `xml:"lon,attr"`
	Hae string `xml:"hae,attr"`
	Ce  string `xml:"ce,attr"`
	Le  string `xml:"le,attr"`
}

// Detail holds the detail elements the gateway uses.
type Detail struct {
	Auth       *Auth       `xml:"__einsatzraum,omitempty"`
	Contact    *Contact    `xml:"contact,omitempty"`
	Track      *Track      `xml:"track,omitempty"`
	Chat       *Chat       `xml:"__chat,omitempty"`
	Links      []Link      `xml:"link"`
	Remarks    *Remarks    `xml:"remarks,omitempty"`
	FileShare  *FileShare  `xml:"fileshare,omitempty"`
	AckRequest *AckRequest `xml:"ackrequest,omitempty"`
	Usericon   *Usericon   `xml:"usericon,omitempty"`
	Color      *Color      `xml:"color,omitempty"`
	Emergency  *Emergency  `xml:"emergency,omitempty"`
	Group      *Group      `xml:"__group,omitempty"`
	// A drawn shape's look (u-d-f, u-d-r, u-d-c-c).
	Shape        *Shape `xml:"shape,omitempty"`
	StrokeColor  *Value `xml:"strokeColor,omitempty"`
	StrokeWeight *Value `xml:"strokeWeight,omitempty"`
	FillColor    *Value `xml:"fillColor,omitempty"`
	LabelsOn     *Value `xml:"labels_on,omitempty"`
}

// Group is ATAK's team of a contact: its colour name ("Cyan", ...) and
// role ("Team Member", "Team Lead", ...).
type Group struct {
	Name string `xml:"name,attr"`
	Role string `xml:"role,attr"`
}

// Shape holds a circle's ellipse (u-d-c-c): radii in metres.
type Shape struct {
	Ellipse *Ellipse `xml:"ellipse,omitempty"`
}

// Ellipse is a circle when Major = Minor (metres); Angle in degrees.
type Ellipse struct {
	Major string `xml:"major,attr"`
	Minor string `xml:"minor,attr"`
	Angle string `xml:"angle,attr"`
}

// Value is a detail element that holds one value attribute (strokeColor,
// fillColor, strokeWeight, labels_on).
type Value struct {
	Value string `xml:"value,attr"`
}

// Emergency is ATAK's emergency beacon detail: its type ("911 Alert",
// "Ring The Bell", "Troops In Contact", ...), cancel="true" on the event
// that ends it, and the sender's call sign as text.
type Emergency struct {
	Type   string `xml:"type,attr,omitempty"`
	Cancel string `xml:"cancel,attr,omitempty"`
	Text   string `xml:",chardata"`
}

// Auth is Einsatzraum's own detail element, which a TAK client sends in its
// first event: a device token (from a login) and the room it joins; chat
// names the room chat its GeoChat goes to (default: its first chat there).
type Auth struct {
	Token string `xml:"token,attr"`
	Room  string `xml:"room,attr"`
	Chat  string `xml:"chat,attr,omitempty"`
}

// Contact names a unit on the map.
type Contact struct {
	Callsign string `xml:"callsign,attr"`
	Endpoint string `xml:"endpoint,attr,omitempty"`
}

// Track is movement: course in degrees from north, speed in m/s.
type Track struct {
	Course string `xml:"course,attr"`
	Speed  string `xml:"speed,attr"`
}

// Chat is ATAK's GeoChat header (__chat). The gateway reads only id, the
// chat room's id; the rest is written for ATAK.
type Chat struct {
	Parent         string   `xml:"parent,attr,omitempty"`
	GroupOwner     string   `xml:"groupOwner,attr,omitempty"`
	MessageID      string   `xml:"messageId,attr,omitempty"`
	Chatroom       string   `xml:"chatroom,attr,omitempty"`
	ID             string   `xml:"id,attr"`
	SenderCallsign string   `xml:"senderCallsign,attr"`
	Group          *ChatGrp `xml:"chatgrp,omitempty"`
}

// ChatGrp lists a GeoChat's parties.
type ChatGrp struct {
	UID0 string `xml:"uid0,attr"`
	UID1 string `xml:"uid1,attr"`
	ID   string `xml:"id,attr"`
}

// Link points at a related event (a chat's sender, the shape a delete
// task means) or, with Point ("lat,lon"), is one vertex of a drawn shape.
type Link struct {
	UID      string `xml:"uid,attr,omitempty"`
	Type     string `xml:"type,attr,omitempty"`
	Relation string `xml:"relation,attr,omitempty"`
	Point    string `xml:"point,attr,omitempty"`
}

// Remarks is free text: a GeoChat's message, a marker's description.
type Remarks struct {
	Source string `xml:"source,attr,omitempty"`
	To     string `xml:"to,attr,omitempty"`
	Time   string `xml:"time,attr,omitempty"`
	Text   string `xml:",chardata"`
}

// FileShare offers a file for download (b-f-t-r).
type FileShare struct {
	Filename       string `xml:"filename,attr"`
	SenderURL      string `xml:"senderUrl,attr"`
	SizeInBytes    int64  `xml:"sizeInBytes,attr"`
	SHA256         string `xml:"sha256,attr"`
	SenderUID      string `xml:"senderUid,attr"`
	SenderCallsign string `xml:"senderCallsign,attr"`
	Name           string `xml:"name,attr"`
}

// AckRequest asks the receiver to confirm a file share.
type AckRequest struct {
	UID          string `xml:"uid,attr"`
	AckRequested bool   `xml:"ackrequested,attr"`
	Tag          string `xml:"tag,attr"`
}

// Usericon picks a marker's icon.
type Usericon struct {
	IconSetPath string `xml:"iconsetpath,attr"`
}

// Color is a marker's ARGB colour as a signed 32-bit integer.
type Color struct {
	ARGB int32 `xml:"argb,attr"`
}

// Unknown is CoT's "no value" for ce, le and hae.
const Unknown = 9999999.0

// FormatTime writes a CoT timestamp (UTC, milliseconds).
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// ParseTime reads a CoT timestamp (RFC 3339, with or without fractions).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not RFC 3339", s)
	}
	return t, nil
}

// ParseNumber reads a decimal attribute; NaN and infinities are refused.
func ParseNumber(name, s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s %q is not a number", name, s)
	}
	return v, nil
}

// FormatNumber writes a decimal attribute.
func FormatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// ErrEventTooLarge is an event longer than the reader's limit.
var ErrEventTooLarge = errors.New("cot: event over the size limit")

// Reader reads events streamed back to back (an XML declaration before
// each is allowed, as ATAK writes them). Each event may be at most
// maxBytes long, counted from the end of the previous one; a longer one is
// ErrEventTooLarge. A syntax error ends the stream (it cannot be
// resynchronised); an event that is well-formed XML but not a CoT event the
// gateway understands is the caller's to judge.
type Reader struct {
	src *countingReader
	dec *xml.Decoder
}

// NewReader reads events from r.
func NewReader(r io.Reader, maxBytes int64) *Reader {
	src := &countingReader{r: bufio.NewReaderSize(r, 4096), max: maxBytes}
	dec := xml.NewDecoder(src)
	dec.Strict = true
	return &Reader{src: src, dec: dec}
}

// TakAuth is how stock ATAK logs in to a TAK server ("Use
// Authentication"): <auth><cot username password uid/></auth> before its
// first event.
type TakAuth struct {
	XMLName xml.Name `xml:"auth"`
	Cot     struct {
		Username string `xml:"username,attr"`
		Password string `xml:"password,attr"`
		UID      string `xml:"uid,attr"`
	} `xml:"cot"`
}

// Next returns the next event.
func (r *Reader) Next() (*Event, error) {
	ev, _, err := r.next(false)
	return ev, err
}

// NextOrAuth is Next that also takes an <auth> element (the first thing
// stock ATAK sends): then it returns auth and no event.
func (r *Reader) NextOrAuth() (*Event, *TakAuth, error) { return r.next(true) }

func (r *Reader) next(allowAuth bool) (*Event, *TakAuth, error) {
	fail := func(err error) (*Event, *TakAuth, error) {
		if errors.Is(err, errOverLimit) {
			return nil, nil, ErrEventTooLarge
		}
		return nil, nil, err
	}
	for {
		tok, err := r.dec.Token()
		if err != nil {
			return fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if allowAuth && t.Name.Local == "auth" {
				var a TakAuth
				if err := r.dec.DecodeElement(&a, &t); err != nil {
					return fail(fmt.Errorf("cot: auth: %w", err))
				}
				r.src.start = r.src.n
				return nil, &a, nil
			}
			if t.Name.Local != "event" {
				return nil, nil, fmt.Errorf("cot: <%s> where an <event> belongs", t.Name.Local)
			}
			var ev Event
			if err := r.dec.DecodeElement(&ev, &t); err != nil {
				if errors.Is(err, errOverLimit) {
					return nil, nil, ErrEventTooLarge
				}
				return nil, nil, fmt.Errorf("cot: event: %w", err)
			}
			r.src.start = r.src.n
			return &ev, nil, nil
		case xml.ProcInst, xml.CharData, xml.Comment:
			// declarations and whitespace between events count towards
			// the next event's limit (countingReader)
		default:
			return nil, nil, fmt.Errorf("cot: unexpected %T between events", tok)
		}
	}
}

var errOverLimit = errors.New("over limit")

// countingReader counts the bytes the XML decoder takes and fails once
// more than max were taken since start (the end of the previous event).
// It is an io.ByteReader, so the decoder takes exactly what it parses and
// the count is exact.
type countingReader struct {
	r     *bufio.Reader
	n     int64 // bytes taken in all
	start int64 // n at the end of the previous event
	max   int64
}

func (c *countingReader) over() bool { return c.n-c.start > c.max }

func (c *countingReader) ReadByte() (byte, error) {
	if c.over() {
		return 0, errOverLimit
	}
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.over() {
		return 0, errOverLimit
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Marshal writes ev as one XML document (declaration and event).
func Marshal(ev *Event) ([]byte, error) {
	ev.Version = "2.0"
	b, err := xml.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("cot: marshal %s: %w", ev.Type, err)
	}
	return append([]byte(xml.Header[:len(xml.Header)-1]), b...), nil
}
