package web

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// clientFrame builds a masked frame as a browser sends it.
func clientFrame(fin bool, op ws.OpCode, payload []byte) []byte {
	b0 := byte(op)
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n <= 125:
		out = append(out, 0x80|byte(n))
	case n <= 0xFFFF:
		out = binary.BigEndian.AppendUint16(append(out, 0x80|126), uint16(n))
	default:
		out = binary.BigEndian.AppendUint64(append(out, 0x80|127), uint64(n))
	}
	mask := []byte{0x37, 0xfa, 0x21, 0x3d}
	out = append(out, mask...)
	for i, c := range payload {
		out = append(out, c^mask[i&3])
	}
	return out
}

type gotFrame struct {
	op      ws.OpCode
	payload string
}

// feedSplit feeds stream to a fresh reader in pieces of size step.
func feedSplit(stream []byte, step, limit int) ([]gotFrame, error) {
	r := frameReader{limit: limit}
	var got []gotFrame
	stream = bytes.Clone(stream)
	for len(stream) > 0 {
		n := min(step, len(stream))
		err := r.feed(bytes.Clone(stream[:n]), func(op ws.OpCode, p []byte) bool {
			got = append(got, gotFrame{op, string(p)})
			return true
		}, nil)
		if err != nil {
			return got, err
		}
		stream = stream[n:]
	}
	if len(r.partial) != 0 || r.msgOp != 0 {
		return got, fmt.Errorf("left over: %d bytes, message op %d", len(r.partial), r.msgOp)
	}
	return got, nil
}

func TestFrameReaderAnySplit(t *testing.T) {
	long := strings.Repeat("x", 300)
	huge := strings.Repeat("y", 70000)
	var stream []byte
	stream = append(stream, clientFrame(true, ws.OpText, []byte(`{"type":"subscribe"}`))...)
	stream = append(stream, clientFrame(false, ws.OpText, []byte("frag-"))...)
	stream = append(stream, clientFrame(true, ws.OpPing, []byte("p"))...) // control inside a fragmented message
	stream = append(stream, clientFrame(false, ws.OpContinuation, []byte(long))...)
	stream = append(stream, clientFrame(true, ws.OpContinuation, []byte("-end"))...)
	stream = append(stream, clientFrame(true, ws.OpBinary, []byte{0, 1, 2})...)
	stream = append(stream, clientFrame(true, ws.OpText, []byte(huge))...)
	stream = append(stream, clientFrame(true, ws.OpText, nil)...)
	stream = append(stream, clientFrame(true, ws.OpClose, closePayload(1000, "bye"))...)
	want := []gotFrame{
		{ws.OpText, `{"type":"subscribe"}`},
		{ws.OpPing, "p"},
		{ws.OpText, "frag-" + long + "-end"},
		{ws.OpBinary, "\x00\x01\x02"},
		{ws.OpText, huge},
		{ws.OpText, ""},
		{ws.OpClose, "\x03\xe8bye"},
	}
	for _, step := range []int{1, 2, 3, 7, 64, 1000, len(stream)} {
		got, err := feedSplit(stream, step, 1<<20)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if len(got) != len(want) {
			t.Fatalf("step %d: %d frames, want %d", step, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("step %d frame %d: op %d %.40q, want op %d %.40q", step, i, got[i].op, got[i].payload, want[i].op, want[i].payload)
			}
		}
	}
}

func TestFrameReaderRejects(t *testing.T) {
	unmasked := clientFrame(true, ws.OpText, []byte("hi"))
	unmasked[1] &^= 0x80
	unmasked = append(unmasked[:2], []byte("hi")...)
	rsv := clientFrame(true, ws.OpText, []byte("hi"))
	rsv[0] |= 0x40
	longPing := clientFrame(true, ws.OpPing, bytes.Repeat([]byte("p"), 126))
	fragmentedPing := clientFrame(false, ws.OpPing, nil)
	// A 64-bit length with the most significant bit set (RFC 6455 5.2).
	msb := []byte{0x81, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}
	cases := []struct {
		name   string
		stream []byte
		reason einsatzraum.CloseReason
	}{
		{"unmasked", unmasked, einsatzraum.CloseProtocol},
		{"reserved bits", rsv, einsatzraum.CloseProtocol},
		{"unknown opcode", clientFrame(true, 0x3, nil), einsatzraum.CloseProtocol},
		{"reserved control opcode", clientFrame(true, 0xB, nil), einsatzraum.CloseProtocol},
		{"long control frame", longPing, einsatzraum.CloseProtocol},
		{"fragmented control frame", fragmentedPing, einsatzraum.CloseProtocol},
		{"lone continuation", clientFrame(true, ws.OpContinuation, []byte("x")), einsatzraum.CloseProtocol},
		{"message inside message", append(clientFrame(false, ws.OpText, []byte("a")), clientFrame(true, ws.OpText, []byte("b"))...), einsatzraum.CloseProtocol},
		{"64-bit length with top bit", msb, einsatzraum.CloseProtocol},
		{"frame over the limit", clientFrame(true, ws.OpText, bytes.Repeat([]byte("a"), 1025)), einsatzraum.CloseTooBig},
		{"fragments over the limit", append(clientFrame(false, ws.OpText, bytes.Repeat([]byte("a"), 600)), clientFrame(true, ws.OpContinuation, bytes.Repeat([]byte("a"), 600))...), einsatzraum.CloseTooBig},
		{"text not UTF-8", clientFrame(true, ws.OpText, []byte{0xff, 0xfe}), einsatzraum.CloseInvalidData},
		{"fragmented text not UTF-8", append(clientFrame(false, ws.OpText, []byte{0xce}), clientFrame(true, ws.OpContinuation, []byte{0xff})...), einsatzraum.CloseInvalidData},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := feedSplit(tc.stream, 1, 1024)
			var pe *protocolError
			if !errors.As(err, &pe) || pe.reason != tc.reason {
				t.Fatalf("error %v, want %v (%d)", err, tc.reason, CloseCode(tc.reason))
			}
		})
	}
}

// TestFrameReaderAfterRefusal: where the framing survives a refusal (a
// frame over the limit, a text that is not UTF-8), the client's close
// answer that follows is still read, whole or split.
func TestFrameReaderAfterRefusal(t *testing.T) {
	for _, bad := range [][]byte{
		clientFrame(true, ws.OpText, bytes.Repeat([]byte("a"), 5000)),
		clientFrame(true, ws.OpText, []byte{0xff}),
	} {
		stream := append(bytes.Clone(bad), clientFrame(true, ws.OpClose, closePayload(1000, ""))...)
		for _, step := range []int{1, 13, 4096, len(stream)} {
			r := frameReader{limit: 1024}
			var got []ws.OpCode
			var errs int
			for rest := bytes.Clone(stream); len(rest) > 0; {
				n := min(step, len(rest))
				if err := r.feed(rest[:n], func(op ws.OpCode, p []byte) bool { got = append(got, op); return true }, nil); err != nil {
					errs++
				}
				rest = rest[n:]
			}
			if len(r.partial) > 0 { // what followed the refused frame in its read
				_ = r.feed(nil, func(op ws.OpCode, p []byte) bool { got = append(got, op); return true }, nil)
			}
			if errs != 1 || len(got) != 1 || got[0] != ws.OpClose {
				t.Errorf("step %d: %d errors, frames %v; want 1 error then the close", step, errs, got)
			}
		}
	}
}

// TestFrameReaderRefusesLargeFrameEarly: a header that announces more
// than the limit is refused before its payload is buffered.
func TestFrameReaderRefusesLargeFrameEarly(t *testing.T) {
	r := frameReader{limit: 1024}
	head := clientFrame(true, ws.OpText, bytes.Repeat([]byte("a"), 1<<20))[:14]
	err := r.feed(head, func(ws.OpCode, []byte) bool { return true }, nil)
	var pe *protocolError
	if !errors.As(err, &pe) || pe.reason != einsatzraum.CloseTooBig || len(r.partial) != 0 {
		t.Fatalf("error %v, kept %d bytes; want 1009 and nothing kept", err, len(r.partial))
	}
}

// TestClientCloseFrames is RFC 6455 7.4 for close frames a client sends
// (Autobahn|Testsuite section 7): valid codes are echoed, anything else
// fails the connection with 1002 (1007 for a reason that is not UTF-8).
func TestClientCloseFrames(t *testing.T) {
	body := func(code uint16, reason string) []byte {
		return append(binary.BigEndian.AppendUint16(nil, code), reason...)
	}
	cases := []struct {
		name    string
		payload []byte
		echo    ws.StatusCode
		reason  einsatzraum.CloseReason // 0: valid
	}{
		{"empty", nil, 0, 0},
		{"one byte", []byte{0x03}, 0, einsatzraum.CloseProtocol},
		{"1000 with reason", body(1000, "tschüss"), 1000, 0},
		{"1001", body(1001, ""), 1001, 0},
		{"1002", body(1002, ""), 1002, 0},
		{"1003", body(1003, ""), 1003, 0},
		{"1007", body(1007, ""), 1007, 0},
		{"1008", body(1008, ""), 1008, 0},
		{"1009", body(1009, ""), 1009, 0},
		{"1010", body(1010, ""), 1010, 0},
		{"1011", body(1011, ""), 1011, 0},
		{"3000", body(3000, ""), 3000, 0},
		{"3999", body(3999, ""), 3999, 0},
		{"4000", body(4000, ""), 4000, 0},
		{"4999", body(4999, ""), 4999, 0},
		{"0", body(0, ""), 0, einsatzraum.CloseProtocol},
		{"999", body(999, ""), 0, einsatzraum.CloseProtocol},
		{"1004", body(1004, ""), 0, einsatzraum.CloseProtocol},
		{"1005", body(1005, ""), 0, einsatzraum.CloseProtocol},
		{"1006", body(1006, ""), 0, einsatzraum.CloseProtocol},
		{"1012", body(1012, ""), 0, einsatzraum.CloseProtocol},
		{"1013", body(1013, ""), 0, einsatzraum.CloseProtocol},
		{"1014", body(1014, ""), 0, einsatzraum.CloseProtocol},
		{"1015", body(1015, ""), 0, einsatzraum.CloseProtocol},
		{"1016", body(1016, ""), 0, einsatzraum.CloseProtocol},
		{"1100", body(1100, ""), 0, einsatzraum.CloseProtocol},
		{"2000", body(2000, ""), 0, einsatzraum.CloseProtocol},
		{"2999", body(2999, ""), 0, einsatzraum.CloseProtocol},
		{"5000", body(5000, ""), 0, einsatzraum.CloseProtocol},
		{"65535", body(65535, ""), 0, einsatzraum.CloseProtocol},
		{"reason not UTF-8", body(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"), 0, einsatzraum.CloseInvalidData},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			echo, err := parseClientClose(tc.payload)
			var pe *protocolError
			switch {
			case tc.reason == 0 && (err != nil || echo != tc.echo):
				t.Fatalf("got echo %d, err %v; want echo %d", echo, err, tc.echo)
			case tc.reason != 0 && (!errors.As(err, &pe) || pe.reason != tc.reason):
				t.Fatalf("got echo %d, err %v; want %v", echo, err, tc.reason)
			}
		})
	}
}

// TestClosePayload: the server's own reason is cut to fit a control frame
// on a character boundary, never inside one.
func TestClosePayload(t *testing.T) {
	reason := strings.Repeat("ä", 100) // 200 bytes
	p := closePayload(4001, reason)
	if len(p) > 125 || !utf8.Valid(p[2:]) || binary.BigEndian.Uint16(p) != 4001 {
		t.Fatalf("close payload of %d bytes, valid UTF-8 %v, code %d", len(p), utf8.Valid(p[2:]), binary.BigEndian.Uint16(p))
	}
	if _, err := parseClientClose(p); err != nil {
		t.Fatalf("our own close payload is not one a peer accepts: %v", err)
	}
	for r := einsatzraum.CloseNormal; r <= einsatzraum.CloseFailed; r++ {
		if _, err := parseClientClose(closePayload(closeCode(r), r.String())); err != nil {
			t.Errorf("%v: close code %d is not one a peer may receive: %v", r, closeCode(r), err)
		}
	}
}

func TestAppendFrameHeader(t *testing.T) {
	for _, tc := range []struct {
		size int
		want []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xff, 0xff}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		if got := appendFrameHeader(nil, ws.OpText, tc.size); !bytes.Equal(got, tc.want) {
			t.Errorf("size %d: % x, want % x", tc.size, got, tc.want)
		}
	}
	if got := acceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" { // RFC 6455 section 1.3
		t.Errorf("accept key %q", got)
	}
}

// FuzzFrameReader feeds arbitrary client bytes in two pieces: the reader
// never panics, and what it keeps never exceeds a frame at the limit.
func FuzzFrameReader(f *testing.F) {
	f.Add(clientFrame(true, ws.OpText, []byte(`{"type":"subscribe","room":"r"}`)), 3)
	f.Add(append(clientFrame(false, ws.OpText, []byte("a")), clientFrame(true, ws.OpContinuation, []byte("b"))...), 5)
	f.Add(clientFrame(true, ws.OpClose, closePayload(1000, "")), 1)
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		const limit = 256
		r := frameReader{limit: limit}
		cut = min(max(cut, 0), len(data))
		for _, part := range [][]byte{data[:cut], data[cut:]} {
			err := r.feed(part, func(op ws.OpCode, p []byte) bool {
				if len(p) > limit {
					t.Fatalf("message of %d bytes over the limit", len(p))
				}
				if op == ws.OpClose {
					_, _ = parseClientClose(p)
				}
				return true
			}, nil)
			if err != nil {
				// After a refusal the rest of this read is kept for the
				// client's close answer: bounded by a frame and the read.
				if len(r.partial) > limit+14+len(part) {
					t.Fatalf("kept %d bytes of a %d-byte read after a refusal", len(r.partial), len(part))
				}
				return
			}
			if len(r.partial) > limit+14 || len(r.msg) > limit {
				t.Fatalf("kept %d + %d bytes", len(r.partial), len(r.msg))
			}
		}
	})
}
