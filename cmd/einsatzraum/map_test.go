package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum/testenv"
)

// TestMapEndToEnd reports positions over HTTP and the WebSocket, checks
// that they reach a subscribed socket as coalesced positions frames and
// that the map queries answer, then POIs, tracks and the KML export.
func TestMapEndToEnd(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t, func(c *serveConfig) { c.Hub.PositionInterval = 100 * time.Millisecond })
	ts, room := f.ts, f.room
	rp := "/api/v1/rooms/" + room
	// The member's points are stamped a little after they joined the room
	// (a room sees a member's track from joining on; the clock may run
	// 30 s ahead).
	now := time.Now().UTC().Add(5 * time.Second)

	dash := ts.dialWS(t, f.lead, 0)
	dash.subscribe(room, 0)
	if fr := dash.nextOf("positions"); len(fr.items()) != 0 {
		t.Fatalf("first snapshot should be empty: %+v", fr)
	}
	dash.untilSubscribed()

	// A batch with good and bad points: the good ones are kept.
	batch := map[string]any{"items": []any{
		map[string]any{"lat": 53.5457, "lon": 9.9695, "accuracy_m": 5, "heading": 90, "speed_mps": 1.4, "ts": now.Add(-2 * time.Second).Format(time.RFC3339Nano)},
		map[string]any{"lat": 95, "lon": 9.9, "ts": now.Format(time.RFC3339)},
		map[string]any{"lat": 53.5460, "lon": 9.9700, "accuracy_m": 4, "ts": now.Add(-time.Second).Format(time.RFC3339Nano)},
		map[string]any{"lat": 53.5, "lon": 9.9, "ts": now.Add(time.Hour).Format(time.RFC3339)},
		map[string]any{"lat": "x", "lon": 9.9, "ts": now.Format(time.RFC3339)},
		map[string]any{"lat": 53.5, "lon": 9.9, "ts": "yesterday"},
		map[string]any{"lat": 53.5, "lon": 9.9, "heading": 400, "ts": now.Format(time.RFC3339)},
	}}
	r := ts.call(t, "POST", "/api/v1/positions", f.member, batch).want(t, 400, "invalid_lat")
	if r.Body["accepted"].(float64) != 2 {
		t.Fatalf("accepted = %v, want 2: %s", r.Body["accepted"], r.Raw)
	}
	var codes []string
	for _, x := range r.Body["rejected"].([]any) {
		rj := x.(map[string]any)
		codes = append(codes, fmt.Sprintf("%v:%v", rj["index"], rj["code"]))
	}
	if got := strings.Join(codes, " "); got != "4:invalid_lat 5:invalid_ts 1:invalid_lat 3:ts_in_future 6:invalid_heading" {
		t.Errorf("rejected = %s", got)
	}
	ts.call(t, "POST", "/api/v1/positions", f.member, map[string]any{"items": []any{}}).want(t, 400, "no_positions")
	ts.call(t, "POST", "/api/v1/positions", f.member, `{"items": 5}`).want(t, 400, "invalid_field")
	ts.call(t, "POST", "/api/v1/positions", "", batch).want(t, 401)

	// The newest accepted point reaches the dashboard.
	fr := dash.nextOf("positions")
	if items := fr.items(); len(items) != 1 || items[0]["lat"] != 53.546 || items[0]["callsign"] != "CS Max" || items[0]["stale"] != false {
		t.Fatalf("positions frame = %+v", fr)
	}
	// An out-of-order point does not overwrite it.
	ts.call(t, "POST", "/api/v1/positions", f.member, map[string]any{"items": []any{
		map[string]any{"lat": 50, "lon": 8, "ts": now.Add(-time.Minute).Format(time.RFC3339)}}}).want(t, 202)

	// The lead reports over the WebSocket, many times: coalesced to one item.
	for i := range 20 {
		dash.send(map[string]any{"type": "position", "lat": 53.5413 + float64(i)*0.0001, "lon": 9.9841, "accuracy_m": 3, "ts": time.Now().UTC().Format(time.RFC3339Nano)})
	}
	dash.send(map[string]any{"type": "position", "lat": 53.5, "lon": 999, "ts": time.Now().UTC().Format(time.RFC3339Nano)})
	if e := dash.nextOf("error"); e.Error.Code != "invalid_lon" {
		t.Errorf("bad position frame: %q", e.Error.Code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		fr := dash.nextOf("positions")
		last := fr.items()
		if len(last) == 1 && last[0]["user"] == f.leadID && last[0]["lat"].(float64) > 53.5431 {
			break
		}
	}
	if time.Now().After(deadline) {
		t.Fatal("the lead's last WebSocket position did not arrive")
	}

	all := ts.call(t, "GET", rp+"/positions", f.observer, nil).want(t, 200)
	if feats := all.Body["features"].([]any); len(feats) != 2 {
		t.Fatalf("positions = %s", all.Raw)
	}
	in := ts.call(t, "GET", rp+"/positions?bbox=9.96,53.54,9.975,53.55", f.observer, nil).want(t, 200)
	if feats := in.Body["features"].([]any); len(feats) != 1 || feats[0].(map[string]any)["id"] != f.memberID {
		t.Errorf("bbox positions = %s", in.Raw)
	}
	ts.call(t, "GET", rp+"/positions?bbox=1,2,3", f.lead, nil).want(t, 400, "invalid_bbox")
	ts.call(t, "GET", rp+"/positions?bbox=0,10,1,5", f.lead, nil).want(t, 400, "invalid_bbox")
	chatOnly := ts.call(t, "GET", rp+"/positions?chat="+f.chat, f.lead, nil).want(t, 200)
	if feats := chatOnly.Body["features"].([]any); len(feats) != 2 {
		t.Errorf("chat positions = %s", chatOnly.Raw)
	}
	ts.call(t, "GET", rp+"/positions?chat="+f.chat, f.observer, nil).want(t, 404, "chat_not_found")

	ext := ts.call(t, "GET", rp+"/positions/extent", f.lead, nil).want(t, 200)
	bb := ext.Body["bbox"].([]any)
	if ext.Body["count"].(float64) != 2 || bb[0].(float64) != 9.97 || bb[2].(float64) != 9.9841 {
		t.Errorf("extent = %s", ext.Raw)
	}
	near := ts.call(t, "GET", rp+"/positions/nearby?lat=53.5457&lon=9.9695&radius_m=2000&limit=5", f.lead, nil).want(t, 200)
	feats := near.Body["features"].([]any)
	if len(feats) != 2 {
		t.Fatalf("nearby = %s", near.Raw)
	}
	p0 := feats[0].(map[string]any)["properties"].(map[string]any)
	p1 := feats[1].(map[string]any)["properties"].(map[string]any)
	if p0["user"] != f.memberID || p0["distance_m"].(float64) > 50 || p1["distance_m"].(float64) < 900 {
		t.Errorf("nearby order/distances: %v %v", p0, p1)
	}
	ts.call(t, "GET", rp+"/positions/nearby?lat=53.5&lon=9.9&radius_m=-1", f.lead, nil).want(t, 400, "invalid_radius_m")
	ts.call(t, "GET", rp+"/positions/nearby?lon=9.9", f.lead, nil).want(t, 400, "missing_lat")
	ts.call(t, "GET", rp+"/positions/nearby?lat=NaN&lon=9.9", f.lead, nil).want(t, 400, "invalid_lat")
	stranger := ts.addUser(t, "fremd@polizei.example", "Fremd")
	_ = stranger
	st := ts.login(t, "fremd@polizei.example")
	for _, p := range []string{"/positions", "/positions/extent", "/positions/nearby?lat=1&lon=1", "/pois", "/tracks", "/export.kml"} {
		ts.call(t, "GET", rp+p, st, nil).want(t, 404, "room_not_found")
	}

	// POIs: members add and delete, observers cannot; each is an event.
	poi := ts.call(t, "POST", rp+"/pois", f.member, map[string]any{"name": "Sammelpunkt", "category": "meeting_point", "lat": 53.544, "lon": 9.981}).want(t, 201)
	poiID := poi.str("id")
	if ev := dash.nextOf("event"); eventType(ev) != "poi.created" {
		t.Fatalf("event = %+v", ev)
	}
	ts.call(t, "POST", rp+"/pois", f.observer, map[string]any{"name": "x", "category": "c", "lat": 53, "lon": 9}).want(t, 403)
	ts.call(t, "POST", rp+"/pois", f.member, map[string]any{"name": "x", "category": "c", "lat": 53, "lon": 190}).want(t, 400, "invalid_lon")
	ts.call(t, "POST", rp+"/pois", f.member, map[string]any{"name": "", "category": "c", "lat": 53, "lon": 9}).want(t, 400, "missing_name")
	list := ts.call(t, "GET", rp+"/pois?bbox=9.9,53.5,10,53.6", f.observer, nil).want(t, 200)
	if feats := list.Body["features"].([]any); len(feats) != 1 {
		t.Errorf("pois = %s", list.Raw)
	}
	if feats := ts.call(t, "GET", rp+"/pois?bbox=0,0,1,1", f.observer, nil).want(t, 200).Body["features"].([]any); len(feats) != 0 {
		t.Errorf("pois outside bbox: %v", feats)
	}
	msg := ts.call(t, "POST", "/api/v1/chats/"+f.chat+"/messages", f.member, map[string]any{"kind": "poi", "poi": map[string]any{"id": poiID}}).want(t, 201)
	if msg.Body["poi"].(map[string]any)["id"] != poiID {
		t.Errorf("poi message = %s", msg.Raw)
	}
	ts.call(t, "POST", "/api/v1/chats/"+f.chat+"/messages", f.member, map[string]any{"kind": "poi", "poi": map[string]any{"id": "poi_nope"}}).want(t, 400, "unknown_poi")
	ts.call(t, "DELETE", rp+"/pois/"+poiID, f.observer, nil).want(t, 403)
	ts.call(t, "DELETE", rp+"/pois/"+poiID, f.lead, nil).want(t, 204)
	ts.call(t, "DELETE", rp+"/pois/"+poiID, f.lead, nil).want(t, 404, "poi_not_found")
	for {
		if ev := dash.nextOf("event"); eventType(ev) == "poi.deleted" {
			break
		}
	}

	// Tracks: every accepted point since the member joined (the
	// out-of-order one is from before), oldest first, per member.
	time.Sleep(400 * time.Millisecond) // the history writer flushes every 250 ms
	tr := ts.call(t, "GET", rp+"/tracks?user="+f.memberID+"&to="+now.Add(time.Minute).Format(time.RFC3339), f.observer, nil).want(t, 200)
	tf := tr.Body["features"].([]any)
	if len(tf) != 1 {
		t.Fatalf("tracks = %s", tr.Raw)
	}
	if g := tf[0].(map[string]any)["geometry"].(map[string]any); g["type"] != "LineString" || len(g["coordinates"].([]any)) != 2 {
		t.Errorf("member's track = %v", g)
	}
	ts.call(t, "GET", rp+"/tracks?from=garbage", f.lead, nil).want(t, 400, "invalid_from")
	ts.call(t, "GET", rp+"/tracks?user=u_nobody", f.lead, nil).want(t, 404, "member_not_found")
	ts.call(t, "GET", rp+"/tracks?user="+f.memberID+",u_nobody", f.lead, nil).want(t, 404, "member_not_found")
	ts.call(t, "POST", rp+"/drawings", f.lead, map[string]any{"geometry": map[string]any{"type": "Polygon",
		"coordinates": [][][]float64{{{9.99, 53.55}, {10.0, 53.55}, {10.0, 53.56}, {9.99, 53.55}}}}, "label": "Absperrung", "category": "cordon", "color": "#d50000"}).want(t, 201)
	ts.call(t, "POST", rp+"/drawings", f.lead, map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{9.99, 53.55}},
		"radius_m": 80, "label": "Sammelraum", "category": "area"}).want(t, 201)
	kml := ts.call(t, "GET", rp+"/export.kml?user="+f.memberID+"&to="+now.Add(time.Minute).Format(time.RFC3339), f.lead, nil).want(t, 200)
	for _, want := range []string{"<kml", "<LineString>", "CS Max", "<TimeSpan>", "<name>Absperrung</name>", "<color>ff0000d5</color>", "<name>Sammelraum</name>", "<Polygon>"} {
		if !strings.Contains(string(kml.Raw), want) {
			t.Errorf("KML lacks %q", want)
		}
	}
	testenv.ValidateXML(t, filepath.Join("..", "..", "geo", "testdata", "kml", "ogckml22.xsd"), kml.Raw)

	// Leaving the room removes the position there at once.
	ts.call(t, "DELETE", rp+"/members/"+f.memberID, f.lead, nil).want(t, 204)
	after := ts.call(t, "GET", rp+"/positions", f.lead, nil).want(t, 200)
	if feats := after.Body["features"].([]any); len(feats) != 1 {
		t.Errorf("positions after the member left: %s", after.Raw)
	}
	for {
		fr := dash.nextOf("positions")
		if len(fr.Removed) == 1 && fr.Removed[0] == f.memberID {
			break
		}
	}
}

// TestRestartKeepsTheLiveMap: a single node restarted puts the latest
// positions back on the map from the track history (it once came back
// with an empty map).
func TestRestartKeepsTheLiveMap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startServerIn(t, dir)
	ts.addUser(t, "lead@polizei.example", "Lea")
	lead := ts.login(t, "lead@polizei.example")
	room := ts.call(t, "POST", "/api/v1/rooms", lead, map[string]any{"name": "Lage"}).want(t, 201).str("id")
	ts.call(t, "POST", "/api/v1/positions", lead, map[string]any{"items": []any{
		map[string]any{"lat": 53.5457, "lon": 9.9695, "accuracy_m": 5, "ts": time.Now().UTC().Format(time.RFC3339Nano)}}}).want(t, 202)
	ts.stop(t) // the track writer flushes on the way down

	ts = startServerIn(t, dir)
	r := ts.call(t, "GET", "/api/v1/rooms/"+room+"/positions", ts.login(t, "lead@polizei.example"), nil).want(t, 200)
	feats, _ := r.Body["features"].([]any)
	if len(feats) != 1 {
		t.Fatalf("positions after the restart: %s", r.Raw)
	}
}

// TestForcesAndStopSharing: the list of forces shows every member with
// their state, searchable by call sign; a member who stops sharing leaves
// the map at once and shows offline; positions frames carry name, state
// and last_seen.
func TestForcesAndStopSharing(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t, func(c *serveConfig) { c.Hub.PositionInterval = 100 * time.Millisecond })
	ts, rp := f.ts, "/api/v1/rooms/"+f.room
	dash := ts.dialWS(t, f.lead, 0)
	dash.subscribe(f.room, 0)
	dash.untilSubscribed()
	ts.call(t, "POST", "/api/v1/positions", f.member, map[string]any{"items": []any{
		map[string]any{"lat": 53.5457, "lon": 9.9695, "accuracy_m": 5, "heading": 90, "speed_mps": 1.5, "ts": time.Now().UTC().Format(time.RFC3339Nano)}}}).want(t, 202)
	for {
		items := dash.nextOf("positions").items()
		if len(items) == 1 {
			if items[0]["name"] != "Max" || items[0]["state"] != "live" || items[0]["last_seen"] == nil || items[0]["heading"] != 90.0 {
				t.Fatalf("positions item %v", items[0])
			}
			break
		}
	}
	forces := ts.call(t, "GET", rp+"/forces", f.lead, nil).want(t, 200).items()
	states := map[string]string{}
	for _, fc := range forces {
		states[fc["user"].(map[string]any)["name"].(string)] = fc["state"].(string)
	}
	if len(forces) != 3 || states["Max"] != "live" || states["Lea"] != "offline" || states["Olga"] != "offline" {
		t.Fatalf("forces %v", forces)
	}
	if hits := ts.call(t, "GET", rp+"/forces?q=cs%20ma", f.lead, nil).want(t, 200).items(); len(hits) != 1 {
		t.Fatalf("search for the call sign: %v", hits)
	}
	ts.call(t, "DELETE", "/api/v1/positions/me", f.member, nil).want(t, 204)
	for {
		if fr := dash.nextOf("positions"); len(fr.Removed) == 1 && fr.Removed[0] == f.memberID {
			break
		}
	}
	for _, fc := range ts.call(t, "GET", rp+"/forces", f.lead, nil).want(t, 200).items() {
		if fc["state"] != "offline" {
			t.Fatalf("after stopping: %v", fc)
		}
	}
}
