package cot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/geo"
)

// allChatRooms is ATAK's broadcast chat; a room-bound client's GeoChat
// there goes to its bound chat, and the bound chat's messages come back
// there.
const allChatRooms = "All Chat Rooms"

// session is one authenticated TAK client bound to a room and a chat. It
// is the hub's Socket: the hub's JSON frames become CoT events.
type session struct {
	g       *Gateway
	conn    net.Conn
	actor   *einsatzraum.Actor
	uid     string // the TAK device's own uid
	room    string
	roomSeq int64             // the room's seq when the client joined: live from here
	chat    *einsatzraum.Chat // the chat GeoChat maps to; nil: the user has none in the room
	client  *einsatzraum.Client

	wmu       sync.Mutex       // one write at a time: the hub's writer, pongs, the POI list
	lastPoint map[string]Point // the last point sent per uid, for stale-now updates
}

// start subscribes the client to its room (from now on, with the room's
// current positions first) and sends the room's POIs.
func (s *session) start(ctx context.Context) {
	if err := s.client.Subscribe(s.room, s.roomSeq); err != nil {
		s.g.log.Warn("cot: subscribe", "room", s.room, "err", err)
		s.client.Close(einsatzraum.CloseFailed)
		return
	}
	pois, err := s.g.cfg.Service.POIs(ctx, s.actor, s.room, nil)
	if err != nil {
		s.g.log.Warn("cot: list POIs", "room", s.room, "err", err)
		return
	}
	evs := make([]*Event, 0, len(pois))
	for i := range pois {
		evs = append(evs, poiMarker(&pois[i], time.Now()))
	}
	drawings, err := s.g.cfg.Service.Drawings(ctx, s.actor, s.room)
	if err != nil {
		s.g.log.Warn("cot: list drawings", "room", s.room, "err", err)
		return
	}
	for i := range drawings {
		ev, err := s.g.shapeEvent(&drawings[i], time.Now())
		if err != nil {
			s.g.log.Warn("cot: a drawing as a shape", "err", err)
			continue
		}
		evs = append(evs, ev)
	}
	if err := s.write(evs, time.Now().Add(s.g.cfg.WriteTimeout)); err != nil {
		s.client.Close(einsatzraum.CloseFailed)
	}
}

// handle acts on one event from the client: its position, its GeoChat,
// its pings, its emergency beacon, its drawn shapes and their deletion.
// Other events (markers, routes, ...) are not taken.
func (s *session) handle(ctx context.Context, ev *Event) {
	m := s.g.metrics.received
	switch {
	case ev.Type == "t-x-c-t":
		m.WithLabelValues("ping").Inc()
		now := time.Now()
		pong := &Event{UID: ev.UID, Type: "t-x-c-t-r", How: "h-g-i-g-o", Time: FormatTime(now), Start: FormatTime(now),
			Stale: FormatTime(now.Add(20 * time.Second)), Point: unknownPoint()}
		if err := s.write([]*Event{pong}, now.Add(s.g.cfg.WriteTimeout)); err != nil {
			s.client.Close(einsatzraum.CloseFailed)
		}
	case strings.HasPrefix(ev.Type, "a-") && ev.UID == s.uid:
		m.WithLabelValues("position").Inc()
		s.report(ctx, ev)
	case ev.Type == "b-t-f":
		m.WithLabelValues("chat").Inc()
		s.geoChat(ctx, ev)
	case strings.HasPrefix(ev.Type, "b-a-o-"):
		m.WithLabelValues("emergency").Inc()
		s.emergency(ctx, ev)
	case ev.Type == shapeFreehand || ev.Type == shapeRectangle || ev.Type == shapeCircle:
		m.WithLabelValues("shape").Inc()
		s.shape(ctx, ev)
	case ev.Type == deleteTask:
		m.WithLabelValues("delete").Inc()
		s.deleteShape(ctx, ev)
	default:
		m.WithLabelValues("ignored").Inc()
		s.g.log.Debug("cot: event not taken", "uid", s.uid, "event_uid", ev.UID, "type", ev.Type)
	}
}

// emergency turns ATAK's emergency beacon into an alarm of the room: any
// b-a-o-* raises one at the event's point (911, ring the bell, troops in
// contact, ...), b-a-o-can (or cancel="true") cancels the user's open
// alarms there.
func (s *session) emergency(ctx context.Context, ev *Event) {
	svc := s.g.cfg.Service
	if ev.Type == "b-a-o-can" || (ev.Detail != nil && ev.Detail.Emergency != nil && ev.Detail.Emergency.Cancel == "true") {
		open, err := svc.Alarms(ctx, s.actor, s.room, einsatzraum.AlarmOpen)
		if err != nil {
			s.g.log.Warn("cot: list alarms to cancel", "uid", s.uid, "err", err)
			return
		}
		for _, al := range open {
			if al.User == s.actor.User.ID {
				if _, err := svc.CancelAlarm(ctx, s.actor, al.ID); err != nil {
					s.g.log.Warn("cot: cancel alarm", "uid", s.uid, "alarm", al.ID, "err", err)
				}
			}
		}
		return
	}
	in := einsatzraum.NewAlarm{Kind: einsatzraum.AlarmEmergency}
	if lat, err := ParseNumber("lat", ev.Point.Lat); err == nil {
		if lon, err := ParseNumber("lon", ev.Point.Lon); err == nil && !(lat == 0 && lon == 0) {
			in.Lat, in.Lon = &lat, &lon
		}
	}
	if ev.Detail != nil && ev.Detail.Emergency != nil {
		in.Text = strings.TrimSpace(ev.Detail.Emergency.Type)
	}
	if _, _, err := svc.RaiseAlarm(ctx, s.actor, s.room, in); err != nil {
		s.g.log.Warn("cot: raise alarm", "uid", s.uid, "err", err)
	}
}

// report turns the client's own position event into a position of its
// user, through the same validation and tracker as every other report.
func (s *session) report(ctx context.Context, ev *Event) {
	p, err := ToPosition(ev)
	if err == nil {
		var rejected []einsatzraum.Rejected
		_, rejected, err = s.g.cfg.Service.ReportPositions(ctx, s.actor, []geo.Position{p})
		if err == nil && len(rejected) > 0 {
			err = fmt.Errorf("%s: %s", rejected[0].Code, rejected[0].Message)
		}
	}
	if err != nil { // a metric, and a debug line: a flooding client must not flood the log
		s.g.metrics.received.WithLabelValues("position_rejected").Inc()
		s.g.log.Debug("cot: position not taken", "uid", s.uid, "err", err)
	}
}

// ToPosition reads a position event: point (lat, lon, ce as accuracy),
// track (course as heading, speed), time and stale.
func ToPosition(ev *Event) (geo.Position, error) {
	var p geo.Position
	var err error
	if p.Lat, err = ParseNumber("lat", ev.Point.Lat); err != nil {
		return p, err
	}
	if p.Lon, err = ParseNumber("lon", ev.Point.Lon); err != nil {
		return p, err
	}
	if ce, err := ParseNumber("ce", ev.Point.Ce); err == nil && ce >= 0 && ce < Unknown {
		p.AccuracyM = ce
	}
	if p.TS, err = ParseTime(ev.Time); err != nil {
		return p, err
	}
	if stale, err := ParseTime(ev.Stale); err == nil {
		p.StaleAt = &stale
	}
	if ev.Detail != nil && ev.Detail.Track != nil {
		if c, err := ParseNumber("course", ev.Detail.Track.Course); err == nil && c >= 0 && c <= 360 {
			if c == 360 { // north too
				c = 0
			}
			p.Heading = &c
		}
		if v, err := ParseNumber("speed", ev.Detail.Track.Speed); err == nil && v >= 0 {
			p.SpeedMps = &v
		}
	}
	return p, nil
}

// geoChat posts a GeoChat to the bound chat. Chats to other rooms, teams
// or single users are not mapped and not taken.
func (s *session) geoChat(ctx context.Context, ev *Event) {
	d := ev.Detail
	if d == nil || d.Remarks == nil || strings.TrimSpace(d.Remarks.Text) == "" {
		return
	}
	if s.chat == nil {
		s.g.log.Info("cot: GeoChat not taken: the user is in no chat of the room", "uid", s.uid)
		return
	}
	if d.Chat != nil {
		if id := d.Chat.ID; id != allChatRooms && id != s.chat.ID && id != s.chat.Name {
			s.g.log.Info("cot: GeoChat to an unmapped chat not taken", "uid", s.uid, "chat", id)
			return
		}
	}
	svc := s.g.cfg.Service
	err := svc.AllowWrite(ctx, s.actor)
	if err == nil {
		_, _, err = svc.PostMessage(ctx, s.actor, s.chat.ID, chat.Draft{Kind: chat.KindText, Text: d.Remarks.Text, ClientID: clientID(ev.UID)})
	}
	if err != nil {
		s.g.metrics.received.WithLabelValues("chat_rejected").Inc()
		s.g.log.Info("cot: GeoChat not posted", "uid", s.uid, "err", err)
	}
}

// chatID is the bound chat's ID, "" without one.
func (s *session) chatID() string {
	if s.chat == nil {
		return ""
	}
	return s.chat.ID
}

// clientID makes a GeoChat's uid a message's idempotency key: a resent
// GeoChat is stored once.
func clientID(uid string) string {
	if len(uid) <= chat.MaxClientIDBytes {
		return uid
	}
	h := sha256.Sum256([]byte(uid))
	return "cot-" + hex.EncodeToString(h[:20])
}

// Write implements einsatzraum.Socket: a hub frame becomes CoT events.
// The parts every TAK client gets alike are encoded once per frame
// (Gateway.encodeFrame); this client's own parts (its own position left
// out, its bound chat, file links for its device, stale-now updates at
// the last point it was sent) are added here.
func (s *session) Write(f einsatzraum.Frame, deadline time.Time) error {
	cf, err := einsatzraum.Encode(f, s.g.codec, s.g.encodeFrame)
	if err != nil {
		s.g.log.Warn("cot: frame not translated", "uid", s.uid, "err", err)
		return nil
	}
	now := time.Now()
	var out []cotItem
	for _, it := range cf.items {
		if it.user != "" && it.user == s.actor.User.ID {
			continue // the client knows where it is
		}
		out = append(out, it)
	}
	for _, uid := range cf.gone {
		out = append(out, s.staleNow(uid, cf.goneType, now))
	}
	if m := cf.message; m != nil && m.Chat == s.chatID() && m.Sender.ID != s.actor.User.ID {
		if cf.geoChat != nil {
			out = append(out, *cf.geoChat)
		}
		if m.Attachment != nil {
			fe, err := s.fileShare(m)
			if err != nil {
				s.g.log.Warn("cot: file share not offered", "uid", s.uid, "err", err)
			} else if it, err := encodeItem(fe, ""); err == nil {
				out = append(out, it)
			}
		}
	}
	if cf.leftUser != "" && cf.leftUser == s.actor.User.ID { // the user left the room: so does the client
		s.conn.Close()
		return nil
	}
	return s.writeItems(out, deadline)
}

// Ping implements einsatzraum.Socket. TAK has no server ping: the client
// pings, and its silence ends the connection (ReadTimeout).
func (s *session) Ping(time.Time) error { return nil }

// Close implements einsatzraum.Socket: the TCP connection closes, which
// ends the reader (wipes, slow clients, shutdown). TAK has no close
// message to say why.
func (s *session) Close(einsatzraum.CloseReason, time.Time) error { return s.conn.Close() }

// write sends events as one write.
func (s *session) write(evs []*Event, deadline time.Time) error {
	items := make([]cotItem, 0, len(evs))
	for _, ev := range evs {
		it, err := encodeItem(ev, "")
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	return s.writeItems(items, deadline)
}

// writeItems sends encoded events as one write and remembers where each
// uid was last placed.
func (s *session) writeItems(items []cotItem, deadline time.Time) error {
	if len(items) == 0 {
		return nil
	}
	var buf []byte
	for _, it := range items {
		buf = append(buf, it.xml...)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for _, it := range items {
		s.lastPoint[it.uid] = it.point
	}
	if err := s.conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	if _, err := s.conn.Write(buf); err != nil {
		return err
	}
	s.g.metrics.sent.Add(float64(len(items)))
	return nil
}

// cotItem is one encoded CoT event.
type cotItem struct {
	uid   string
	user  string // the member whose position it is; "" for other events
	point Point
	xml   []byte
}

func encodeItem(ev *Event, user string) (cotItem, error) {
	b, err := Marshal(ev)
	return cotItem{uid: ev.UID, user: user, point: ev.Point, xml: b}, err
}

// cotFrame is a hub frame in CoT terms, made once per frame for every TAK
// client of this gateway.
type cotFrame struct {
	items    []cotItem     // events every client gets (but its own position)
	gone     []string      // uids to send stale at once, at each client's last point
	goneType string        // their CoT type
	message  *chat.Message // a new message: GeoChat and file share for the clients bound to its chat
	geoChat  *cotItem      // the message's text as GeoChat, if it has text
	leftUser string        // a member who left the room
}

// roomEvent is the part of a room event's data the gateway reads.
type roomEvent struct {
	Alarm   *einsatzraum.Alarm `json:"alarm"`
	Message *chat.Message      `json:"message"`
	POI     json.RawMessage    `json:"poi"`
	Drawing json.RawMessage    `json:"drawing"`
	User    string             `json:"user"`
}

// encodeFrame translates a hub frame into its shared CoT form. Frames TAK
// has no use for (subscribed, error, wipe: the close follows) become an
// empty cotFrame.
func (g *Gateway) encodeFrame(f einsatzraum.Frame) (*cotFrame, error) {
	now := time.Now()
	cf := &cotFrame{}
	switch f := f.(type) {
	case *einsatzraum.PositionsFrame:
		for i := range f.Items {
			it, err := encodeItem(g.memberEvent(&f.Items[i], now), f.Items[i].User)
			if err != nil {
				return nil, err
			}
			cf.items = append(cf.items, it)
		}
		for _, u := range f.Removed {
			cf.gone = append(cf.gone, userUID(u))
		}
		cf.goneType = memberType
	case *einsatzraum.EventFrame:
		var ev roomEvent
		if err := json.Unmarshal(f.Event.Data, &ev); err != nil {
			return nil, fmt.Errorf("event %s seq %d: %w", f.Event.Type, f.Event.Seq, err)
		}
		switch f.Event.Type {
		case einsatzraum.EventMessageCreated:
			cf.message = ev.Message
			if m := ev.Message; m != nil && m.Text != "" {
				it, err := encodeItem(geoChatEvent(m), "")
				if err != nil {
					return nil, err
				}
				cf.geoChat = &it
			}
		case einsatzraum.EventPOICreated:
			var p einsatzraum.POI
			if err := json.Unmarshal(ev.POI, &p); err != nil {
				return nil, err
			}
			it, err := encodeItem(poiMarker(&p, now), "")
			if err != nil {
				return nil, err
			}
			cf.items = append(cf.items, it)
		case einsatzraum.EventPOIDeleted:
			var id string
			if err := json.Unmarshal(ev.POI, &id); err != nil {
				return nil, err
			}
			cf.gone, cf.goneType = []string{poiUID(id)}, poiType
		case einsatzraum.EventDrawingCreated, einsatzraum.EventDrawingUpdated:
			var d einsatzraum.Drawing
			if err := json.Unmarshal(ev.Drawing, &d); err != nil {
				return nil, err
			}
			sev, err := g.shapeEvent(&d, now)
			if err != nil {
				return nil, err
			}
			it, err := encodeItem(sev, "")
			if err != nil {
				return nil, err
			}
			cf.items = append(cf.items, it)
		case einsatzraum.EventDrawingDeleted:
			var id string
			if err := json.Unmarshal(ev.Drawing, &id); err != nil {
				return nil, err
			}
			uid, ok := g.shapeUIDs.LoadAndDelete(id)
			if !ok {
				uid = drawingUIDPrefix + id
			}
			cf.gone, cf.goneType = []string{uid.(string)}, shapeFreehand
		case einsatzraum.EventMemberRemoved:
			cf.leftUser = ev.User
		case einsatzraum.EventAlarmRaised, einsatzraum.EventAlarmCancelled:
			if ev.Alarm == nil {
				return cf, nil
			}
			it, err := encodeItem(alarmEvent(ev.Alarm, f.Event.Type == einsatzraum.EventAlarmCancelled, now), "")
			if err != nil {
				return nil, err
			}
			cf.items = append(cf.items, it)
		}
	}
	return cf, nil
}

// userUID and poiUID are the room's stable CoT uids.
func userUID(user string) string { return "einsatzraum." + user }
func poiUID(poi string) string   { return "einsatzraum.poi." + poi }

// poiType is a spot map marker: ATAK draws it as a coloured dot.
const poiType = "b-m-p-s-m"

// mapPoint is a point at lat, lon with circular error ce (Unknown when
// not known); height and linear error are unknown.
func mapPoint(lat, lon, ce float64) Point {
	u := FormatNumber(Unknown)
	return Point{Lat: FormatNumber(lat), Lon: FormatNumber(lon), Hae: u, Ce: FormatNumber(ce), Le: u}
}

// unknownPoint is the point of events that have no place (pings, chats).
func unknownPoint() Point { return mapPoint(0, 0, Unknown) }

// memberType is a room member on the map: a friendly ground unit.
const memberType = "a-f-G-U-C"

// memberEvent is a room member's position as a friendly ground unit.
func (g *Gateway) memberEvent(p *einsatzraum.PositionItem, now time.Time) *Event {
	stale := p.TS.Add(g.cfg.StaleAfter)
	if p.StaleAt != nil {
		stale = *p.StaleAt
	}
	if p.Stale {
		stale = now
	}
	ce := Unknown
	if p.AccuracyM > 0 {
		ce = p.AccuracyM
	}
	ev := &Event{UID: userUID(p.User), Type: memberType, How: "m-g", Time: FormatTime(p.TS), Start: FormatTime(p.TS), Stale: FormatTime(stale),
		Point: mapPoint(p.Lat, p.Lon, ce), Detail: &Detail{Contact: &Contact{Callsign: p.Callsign, Endpoint: "*:-1:stcp"},
			Group: &Group{Name: g.cfg.TeamColor, Role: "Team Member"}}}
	if p.Heading != nil || p.SpeedMps != nil {
		t := &Track{Course: "0", Speed: "0"}
		if p.Heading != nil {
			t.Course = FormatNumber(*p.Heading)
		}
		if p.SpeedMps != nil {
			t.Speed = FormatNumber(*p.SpeedMps)
		}
		ev.Detail.Track = t
	}
	return ev
}

// staleNow tells the client a uid is gone: the same uid, stale at once,
// at its last point sent.
func (s *session) staleNow(uid, typ string, now time.Time) cotItem {
	s.wmu.Lock()
	pt, ok := s.lastPoint[uid]
	s.wmu.Unlock()
	if !ok {
		pt = unknownPoint()
	}
	ev := &Event{UID: uid, Type: typ, How: "h-g-i-g-o", Time: FormatTime(now), Start: FormatTime(now), Stale: FormatTime(now), Point: pt}
	it, _ := encodeItem(ev, "") // a stale-now event has nothing that fails to encode
	return it
}

// alarmEvent is an alarm as ATAK's emergency beacon (b-a-o-tbl, 911) at
// the alarm's position, or its cancellation (b-a-o-can, stale at once).
func alarmEvent(al *einsatzraum.Alarm, cancelled bool, now time.Time) *Event {
	pt := unknownPoint()
	if al.Lat != nil && al.Lon != nil {
		pt = mapPoint(*al.Lat, *al.Lon, Unknown)
	}
	typ, stale, em := "b-a-o-tbl", now.Add(time.Hour), &Emergency{Type: "911 Alert", Text: al.Text}
	if cancelled {
		typ, stale, em = "b-a-o-can", now, &Emergency{Cancel: "true", Text: al.Text}
	}
	at := FormatTime(now)
	return &Event{UID: "einsatzraum.alarm." + al.ID, Type: typ, How: "h-e", Time: at, Start: at, Stale: FormatTime(stale), Point: pt,
		Detail: &Detail{Links: []Link{{UID: userUID(al.User), Type: memberType, Relation: "p-p"}}, Contact: &Contact{Callsign: "Alarm"}, Emergency: em}}
}

// poiMarker is a POI as a red spot marker that stays for a year.
func poiMarker(p *einsatzraum.POI, now time.Time) *Event {
	ev := &Event{UID: poiUID(p.ID), Type: poiType, How: "h-g-i-g-o", Time: FormatTime(p.CreatedAt), Start: FormatTime(p.CreatedAt),
		Stale:  FormatTime(now.Add(365 * 24 * time.Hour)),
		Point:  mapPoint(p.Lat, p.Lon, Unknown),
		Detail: &Detail{Contact: &Contact{Callsign: p.Name}, Color: &Color{ARGB: -65536}, Usericon: &Usericon{IconSetPath: "COT_MAPPING_SPOTMAP/b-m-p-s-m/-65536"}}}
	if p.Description != "" {
		ev.Detail.Remarks = &Remarks{Text: p.Description}
	}
	return ev
}

// geoChatEvent is a chat message as ATAK's GeoChat in "All Chat Rooms".
func geoChatEvent(m *chat.Message) *Event {
	sender := userUID(m.Sender.ID)
	at := FormatTime(m.CreatedAt)
	return &Event{UID: "GeoChat." + sender + "." + allChatRooms + "." + m.ID, Type: "b-t-f", How: "h-g-i-g-o",
		Time: at, Start: at, Stale: FormatTime(m.CreatedAt.Add(24 * time.Hour)), Point: unknownPoint(),
		Detail: &Detail{
			Chat: &Chat{Parent: "RootContactGroup", GroupOwner: "false", MessageID: m.ID, Chatroom: allChatRooms, ID: allChatRooms, SenderCallsign: senderCallsign(m),
				Group: &ChatGrp{UID0: sender, UID1: allChatRooms, ID: allChatRooms}},
			Links:   []Link{{UID: sender, Type: "a-f-G-U-C", Relation: "p-p"}},
			Remarks: &Remarks{Source: "BAO.F.ATAK." + sender, To: allChatRooms, Time: at, Text: m.Text},
		}}
}

// fileShare offers a message's attachment as a b-f-t-r file share whose
// URL carries a file link made for this client's device.
func (s *session) fileShare(m *chat.Message) (*Event, error) {
	if s.g.cfg.FileURL == nil {
		return nil, errors.New("no file URL configured")
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.g.cfg.WriteTimeout)
	defer cancel()
	att, link, err := s.g.cfg.Service.FileLink(ctx, s.actor, m.Attachment.ID, s.g.cfg.LinkTTL)
	if err != nil {
		return nil, err
	}
	at := FormatTime(m.CreatedAt)
	name := strings.TrimSuffix(att.Name, fileExt(att.Name))
	return &Event{UID: "einsatzraum.file." + att.ID, Type: "b-f-t-r", How: "h-e", Time: at, Start: at,
		Stale: FormatTime(m.CreatedAt.Add(s.g.cfg.LinkTTL)), Point: unknownPoint(),
		Detail: &Detail{
			FileShare: &FileShare{Filename: att.Name, SenderURL: s.g.cfg.FileURL(att.ID, link), SizeInBytes: att.Size, SHA256: att.SHA256,
				SenderUID: userUID(m.Sender.ID), SenderCallsign: senderCallsign(m), Name: name},
			AckRequest: &AckRequest{UID: "einsatzraum.file." + att.ID, AckRequested: false, Tag: name},
		}}, nil
}

// senderCallsign is how TAK clients name a message's sender: the call
// sign, else the name.
func senderCallsign(m *chat.Message) string {
	if m.Sender.Callsign != "" {
		return m.Sender.Callsign
	}
	return m.Sender.Name
}

func fileExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[i:]
	}
	return ""
}

var _ einsatzraum.Socket = (*session)(nil)
