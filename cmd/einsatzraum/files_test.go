package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/einsatzraum/einsatzraum/chat"
)

// exifJPEG makes a w×h JPEG with an EXIF block carrying orientation and a
// GPS position (degrees, minutes, seconds as rationals).
func exifJPEG(t *testing.T, w, h, orientation int, lat, lon float64) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 5), uint8(y * 9), 90, 255})
		}
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, img, nil); err != nil {
		t.Fatal(err)
	}
	// TIFF, little endian: IFD0 {Orientation, GPS IFD pointer}, GPS IFD {refs, lat, lon}.
	le := binary.LittleEndian
	var tf bytes.Buffer
	w16 := func(v uint16) { _ = binary.Write(&tf, le, v) }
	w32 := func(v uint32) { _ = binary.Write(&tf, le, v) }
	tf.WriteString("II")
	w16(42)
	w32(8)
	// IFD0 at 8: 2 entries
	w16(2)
	w16(0x0112)
	w16(3)
	w32(1)
	w16(uint16(orientation))
	w16(0)
	w16(0x8825)
	w16(4)
	w32(1)
	w32(8 + 2 + 24 + 4) // GPS IFD right after IFD0
	w32(0)              // next IFD
	gps := uint32(tf.Len())
	w16(4)
	dataOff := gps + 2 + 4*12 + 4
	entry := func(tag, typ uint16, count, value uint32) { w16(tag); w16(typ); w32(count); w32(value) }
	entry(1, 2, 2, uint32('N'))
	entry(2, 5, 3, dataOff)
	entry(3, 2, 2, uint32('E'))
	entry(4, 5, 3, dataOff+24)
	w32(0)
	dms := func(v float64) {
		d := uint32(v)
		m := uint32((v - float64(d)) * 60)
		s := (v - float64(d) - float64(m)/60) * 3600
		w32(d)
		w32(1)
		w32(m)
		w32(1)
		w32(uint32(s * 10000))
		w32(10000)
	}
	dms(lat)
	dms(lon)
	app1 := append([]byte("Exif\x00\x00"), tf.Bytes()...)
	var out bytes.Buffer
	out.Write([]byte{0xFF, 0xD8, 0xFF, 0xE1})
	_ = binary.Write(&out, binary.BigEndian, uint16(len(app1)+2))
	out.Write(app1)
	out.Write(jb.Bytes()[2:])
	return out.Bytes()
}

var (
	pdfFile = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% GEHEIM-DATEI-0815\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	elfFile = append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00"), bytes.Repeat([]byte{0x90}, 200)...)
)

func wavFile() []byte {
	var b bytes.Buffer
	samples := 8000
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+samples*2))
	b.WriteString("WAVEfmt ")
	_ = binary.Write(&b, binary.LittleEndian, []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)})
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(samples*2))
	for i := range samples {
		_ = binary.Write(&b, binary.LittleEndian, int16(i%200*100))
	}
	return b.Bytes()
}

func mp4File() []byte {
	var b bytes.Buffer
	box := func(typ string, payload []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(8+len(payload)))
		b.WriteString(typ)
		b.Write(payload)
	}
	box("ftyp", []byte("isom\x00\x00\x02\x00isomiso2avc1mp41"))
	box("free", nil)
	box("mdat", bytes.Repeat([]byte{0x42}, 100_000))
	return b.Bytes()
}

func (ts *testServer) uploadFile(t *testing.T, token, path, filename string, body []byte, fields map[string]string) reply {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", filename)
	_, _ = fw.Write(body)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", ts.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return ts.do(t, req)
}

func (ts *testServer) get(t *testing.T, path, token string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestAttachmentsEndToEnd(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t, func(c *serveConfig) {
		c.Limits = chat.Limits{Photo: 2 << 20, File: 1 << 20, Audio: 1 << 20, Video: 1 << 20}
	})
	ts := f.ts
	cp := "/api/v1/chats/" + f.chat
	obsID := ts.call(t, "GET", "/api/v1/me", f.observer, nil).want(t, 200).str("id")
	ts.call(t, "PUT", cp+"/members/"+obsID, f.lead, map[string]any{"permissions": []string{"read"}}).want(t, 200)
	sock := ts.dialWS(t, f.member, 0)
	sock.subscribe(f.room, 0)
	sock.untilSubscribed()

	photo := exifJPEG(t, 64, 32, 6, 53.5457, 9.9664)
	cases := []struct {
		name, filename string
		body           []byte
		kind, mime     string
	}{
		{"photo", "IMG_0001.jpg", photo, "photo", "image/jpeg"},
		{"pdf", "../../etc/lage.pdf", pdfFile, "file", "application/pdf"},
		{"wav", "funk.wav", wavFile(), "audio", "audio/wav"},
		{"mp4", "video.mp4", mp4File(), "video", "video/mp4"},
	}
	ids := map[string]string{}
	for _, c := range cases {
		r := ts.uploadFile(t, f.member, cp+"/attachments", c.filename, c.body, nil).want(t, 201)
		sum := sha256.Sum256(c.body)
		if r.str("kind") != c.kind || r.str("mime") != c.mime || r.str("sha256") != hex.EncodeToString(sum[:]) || r.Body["size"].(float64) != float64(len(c.body)) {
			t.Errorf("%s: upload reply %s", c.name, r.Raw)
		}
		id := r.str("id")
		ids[c.name] = id
		resp, got := ts.get(t, "/api/v1/attachments/"+id, f.observer, nil)
		if resp.StatusCode != 200 || !bytes.Equal(got, c.body) || resp.Header.Get("Content-Type") != c.mime || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: download %d, %d bytes, type %q, nosniff %q", c.name, resp.StatusCode, len(got), resp.Header.Get("Content-Type"), resp.Header.Get("X-Content-Type-Options"))
		}
		if cd := resp.Header.Get("Content-Disposition"); strings.Contains(cd, "/") || strings.Contains(cd, "..") {
			t.Errorf("%s: Content-Disposition leaks a path: %s", c.name, cd)
		}
		// Ranges, for video seeking.
		resp, part := ts.get(t, "/api/v1/attachments/"+id, f.observer, map[string]string{"Range": "bytes=10-29"})
		if resp.StatusCode != 206 || !bytes.Equal(part, c.body[10:30]) || resp.Header.Get("Content-Range") != "bytes 10-29/"+itoa(len(c.body)) {
			t.Errorf("%s: range: %d %q %v", c.name, resp.StatusCode, resp.Header.Get("Content-Range"), len(part))
		}
		resp, part = ts.get(t, "/api/v1/attachments/"+id, f.observer, map[string]string{"Range": "bytes=-7"})
		if resp.StatusCode != 206 || !bytes.Equal(part, c.body[len(c.body)-7:]) {
			t.Errorf("%s: suffix range: %d", c.name, resp.StatusCode)
		}
	}
	if resp, _ := ts.get(t, "/api/v1/attachments/"+ids["mp4"], f.observer, map[string]string{"Range": "bytes=999999999-"}); resp.StatusCode != 400 {
		t.Errorf("unsatisfiable range: %d", resp.StatusCode)
	}

	// The thumbnail is upright: the 64×32 photo with orientation 6 is turned to portrait.
	resp, thumb := ts.get(t, "/api/v1/attachments/"+ids["photo"]+"/thumbnail", f.member, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail: %d", resp.StatusCode)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumb))
	if err != nil || cfg.Width != 32 || cfg.Height != 64 {
		t.Errorf("thumbnail %dx%d (%v), want 32x64", cfg.Width, cfg.Height, err)
	}
	ts.call(t, "GET", "/api/v1/attachments/"+ids["pdf"]+"/thumbnail", f.member, nil).want(t, 404, "no_thumbnail")

	// A photo message takes the EXIF position.
	msg := ts.call(t, "POST", cp+"/messages", f.member, map[string]any{"kind": "photo", "text": "Lage", "attachment": map[string]any{"id": ids["photo"]}}).want(t, 201)
	loc, _ := msg.Body["location"].(map[string]any)
	if loc == nil || loc["lat"].(float64) < 53.545 || loc["lat"].(float64) > 53.546 || loc["lon"].(float64) < 9.966 || loc["lon"].(float64) > 9.967 {
		t.Errorf("photo message location = %v", msg.Body["location"])
	}
	ts.call(t, "POST", cp+"/messages", f.member, map[string]any{"kind": "photo", "attachment": map[string]any{"id": ids["pdf"]}}).want(t, 400, "attachment_kind_mismatch")
	ts.call(t, "POST", cp+"/messages", f.member, map[string]any{"kind": "file", "attachment": map[string]any{"id": "att_nope"}}).want(t, 400, "unknown_attachment")
	for _, kind := range []string{"file", "audio", "video"} {
		name := map[string]string{"file": "pdf", "audio": "wav", "video": "mp4"}[kind]
		ts.call(t, "POST", cp+"/messages", f.member, map[string]any{"kind": kind, "attachment": map[string]any{"id": ids[name]}}).want(t, 201)
	}

	// Sniffing, limits, strangers.
	ts.uploadFile(t, f.member, cp+"/attachments", "harmless.jpg", elfFile, nil).want(t, 415, "unsupported_media_type")
	ts.uploadFile(t, f.member, cp+"/attachments", "page.html", []byte("<html><script>alert(1)</script></html>"), nil).want(t, 415)
	big := append(append([]byte{}, pdfFile...), bytes.Repeat([]byte("x"), 1<<20)...)
	ts.uploadFile(t, f.member, cp+"/attachments", "big.pdf", big, nil).want(t, 413, "file_too_large")
	ts.uploadFile(t, f.observer, cp+"/attachments", "x.pdf", pdfFile, nil).want(t, 403)
	stranger := ts.addUser(t, "fremd@polizei.example", "Fremd")
	_ = stranger
	st := ts.login(t, "fremd@polizei.example")
	ts.uploadFile(t, st, cp+"/attachments", "x.pdf", pdfFile, nil).want(t, 404, "chat_not_found")
	ts.call(t, "GET", "/api/v1/attachments/"+ids["pdf"], st, nil).want(t, 404, "attachment_not_found")
	ts.call(t, "GET", "/api/v1/attachments/att_doesnotexist", f.member, nil).want(t, 404, "attachment_not_found")
	ts.call(t, "POST", cp+"/attachments", f.member, map[string]any{"a": 1}).want(t, 415, "multipart_required")

	// A data administrator injects into the chat without reading it; the
	// members see it live.
	ts.addUser(t, "daten@polizei.example", "Daten Admin", "data_admin")
	da := ts.login(t, "daten@polizei.example")
	inj := ts.uploadFile(t, da, "/api/v1/admin/chats/"+f.chat+"/inject", "lagebild.jpg", photo, map[string]string{"caption": "Lagebild 14:00"}).want(t, 201)
	if inj.str("kind") != "photo" || inj.str("text") != "Lagebild 14:00" {
		t.Errorf("inject reply = %s", inj.Raw)
	}
	for {
		ev := sock.nextOf("event")
		if m, _ := ev.Event["message"].(map[string]any); m != nil && m["id"] == inj.str("id") {
			break
		}
	}
	ts.call(t, "GET", cp+"/messages", da, nil).want(t, 404, "chat_not_found")
	att := inj.Body["attachment"].(map[string]any)["id"].(string)
	ts.call(t, "GET", "/api/v1/attachments/"+att, da, nil).want(t, 404, "attachment_not_found")
	ts.uploadFile(t, f.member, "/api/v1/admin/chats/"+f.chat+"/inject", "x.jpg", photo, nil).want(t, 403, "not_data_admin")
	ts.uploadFile(t, da, "/api/v1/admin/chats/ch_nope/inject", "x.jpg", photo, nil).want(t, 404, "chat_not_found")

	// The command line injects too.
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "bericht.pdf"), pdfFile, 0o600)
	var out, errOut bytes.Buffer
	env := func(k string) string {
		if k == "EINSATZRAUM_TOKEN" {
			return da
		}
		return ""
	}
	if err := run(context.Background(), []string{"inject", "--server", ts.URL, "--chat", f.chat, "--caption", "Bericht", filepath.Join(dir, "bericht.pdf")}, env, nil, &out, &errOut); err != nil {
		t.Fatalf("inject CLI: %v %s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "-> message msg_") {
		t.Errorf("inject CLI printed %q", out.String())
	}

	// Nothing readable at rest: a known message and a known file do not
	// appear in any file of the data directory (the database and its WAL included).
	ts.call(t, "POST", cp+"/messages", f.member, map[string]any{"kind": "text", "text": "GEHEIM-Lage-4711"}).want(t, 201)
	secrets := [][]byte{[]byte("GEHEIM-Lage-4711"), []byte("GEHEIM-DATEI-0815"), []byte("Lagebild 14:00"), []byte("IMG_0001")}
	err = filepath.WalkDir(ts.Data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(b, s) {
				t.Errorf("%s holds %q in plaintext", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestBroadcast: one photo to three chats in one call is stored once and
// downloadable in each chat by its members only; a data administrator
// broadcasts without reading; a target the caller may not write to sends
// nothing; the audit log names every target.
func TestBroadcast(t *testing.T) {
	t.Parallel()
	f := newLiveFixture(t)
	ts := f.ts
	rp := "/api/v1/rooms/" + f.room
	chats := []string{f.chat}
	for _, name := range []string{"Abschnitt Nord", "Abschnitt Süd"} {
		chats = append(chats, ts.call(t, "POST", rp+"/chats", f.lead, map[string]any{"name": name}).want(t, 201).str("id"))
	}
	photo := exifJPEG(t, 64, 32, 1, 53.55, 9.99)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("chats", strings.Join(chats, ","))
	_ = mw.WriteField("text", "Gesuchte Person, Foto anbei")
	_ = mw.WriteField("priority", "urgent")
	fw, _ := mw.CreateFormFile("file", "gesucht.jpg")
	_, _ = fw.Write(photo)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/broadcasts", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+f.lead)
	r := ts.do(t, req).want(t, 201)
	ms := r.items()
	if len(ms) != 3 {
		t.Fatalf("broadcast reply %s", r.Raw)
	}
	for i, m := range ms {
		att, _ := m["attachment"].(map[string]any)
		if m["chat"] != chats[i] || m["kind"] != "photo" || m["priority"] != "urgent" ||
			att["mime"] != "image/jpeg" || att["size"] != float64(len(photo)) || att["name"] != "gesucht.jpg" {
			t.Errorf("message %d: %v", i, m)
		}
	}
	// The member reads only the first chat: its file, not the others'.
	first := ms[0]["attachment"].(map[string]any)["id"].(string)
	second := ms[1]["attachment"].(map[string]any)["id"].(string)
	if resp, got := ts.get(t, "/api/v1/attachments/"+first, f.member, nil); resp.StatusCode != 200 || !bytes.Equal(got, photo) {
		t.Fatalf("the member's download: %d, %d bytes", resp.StatusCode, len(got))
	}
	if resp, _ := ts.get(t, "/api/v1/attachments/"+second, f.member, nil); resp.StatusCode != 404 {
		t.Fatalf("another chat's copy: %d, want 404", resp.StatusCode)
	}
	if resp, got := ts.get(t, "/api/v1/attachments/"+second, f.lead, nil); resp.StatusCode != 200 || !bytes.Equal(got, photo) {
		t.Fatalf("the lead's download of the second copy: %d", resp.StatusCode)
	}
	blobs := 0
	_ = filepath.Walk(filepath.Join(ts.Data, "blobs"), func(_ string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() {
			blobs++
		}
		return nil
	})
	if blobs != 2 { // the photo and its thumbnail, once
		t.Fatalf("%d blob files for one broadcast photo, want 2", blobs)
	}
	// A chat the member does not write to: nothing is sent.
	ts.call(t, "POST", "/api/v1/broadcasts", f.member, map[string]any{"chats": chats, "text": "x"}).want(t, 404)
	if n := len(ts.call(t, "GET", "/api/v1/chats/"+f.chat+"/messages", f.lead, nil).want(t, 200).items()); n != 1 {
		t.Fatalf("%d messages in the first chat after the refused broadcast, want 1", n)
	}
	// A data administrator broadcasts text without being a member.
	ts.addUser(t, "daten@polizei.example", "Dana", "data_admin")
	ts.call(t, "POST", "/api/v1/broadcasts", ts.login(t, "daten@polizei.example"), map[string]any{"chats": chats[1:], "text": "Lagebild 12 Uhr"}).want(t, 201)
	ts.addUser(t, "auditor@polizei.example", "Aude", "auditor")
	var targets []string
	for _, e := range ts.call(t, "GET", "/api/v1/audit/log?case=AZ-1&limit=500", ts.login(t, "auditor@polizei.example"), nil).want(t, 200).items() {
		if e["action"] == "broadcast" {
			targets = append(targets, e["target"].(string))
		}
	}
	if len(targets) != 2 || targets[0] != strings.Join(chats, ",") {
		t.Fatalf("broadcast audit entries: %v", targets)
	}
}
