package web

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// clientFrame builds a masked frame as a browser sends it.
func clientFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
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
	op      byte
	payload string
}

// feedSplit feeds stream to a fresh reader in pieces of size step.
func feedSplit(stream []byte, step, limit int) ([]gotFrame, error) {
	r := frameReader{limit: limit}
	var got []gotFrame
	stream = bytes.Clone(stream)
	for len(stream) > 0 {
		n := min(step, len(stream))
		err := r.feed(bytes.Clone(stream[:n]), func(op byte, p []byte) bool {
			got = append(got, gotFrame{op, string(p)})
			return true
		})
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
	stream = append(stream, clientFrame(true, opText, []byte(`{"type":"subscribe"}`))...)
	stream = append(stream, clientFrame(false, opText, []byte("frag-"))...)
	stream = append(stream, clientFrame(true, opPing, []byte("p"))...) // control inside a fragmented message
	stream = append(stream, clientFrame(false, opContinuation, []byte(long))...)
	stream = append(stream, clientFrame(true, opContinuation, []byte("-end"))...)
	stream = append(stream, clientFrame(true, opBinary, []byte{0, 1, 2})...)
	stream = append(stream, clientFrame(true, opText, []byte(huge))...)
	stream = append(stream, clientFrame(true, opText, nil)...)
	stream = append(stream, clientFrame(true, opClose, closePayload(1000, "bye"))...)
	want := []gotFrame{
		{opText, `{"type":"subscribe"}`},
		{opPing, "p"},
		{opText, "frag-" + long + "-end"},
		{opBinary, "\x00\x01\x02"},
		{opText, huge},
		{opText, ""},
		{opClose, "\x03\xe8bye"},
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
	unmasked := clientFrame(true, opText, []byte("hi"))
	unmasked[1] &^= 0x80
	unmasked = append(unmasked[:2], []byte("hi")...)
	rsv := clientFrame(true, opText, []byte("hi"))
	rsv[0] |= 0x40
	longPing := clientFrame(true, opPing, bytes.Repeat([]byte("p"), 126))
	fragmentedPing := clientFrame(false, opPing, nil)
	cases := []struct {
		name   string
		stream []byte
		code   int
	}{
		{"unmasked", unmasked, closeProtocolError},
		{"reserved bits", rsv, closeProtocolError},
		{"unknown opcode", clientFrame(true, 0x3, nil), closeProtocolError},
		{"long control frame", longPing, closeProtocolError},
		{"fragmented control frame", fragmentedPing, closeProtocolError},
		{"lone continuation", clientFrame(true, opContinuation, []byte("x")), closeProtocolError},
		{"message inside message", append(clientFrame(false, opText, []byte("a")), clientFrame(true, opText, []byte("b"))...), closeProtocolError},
		{"frame over the limit", clientFrame(true, opText, bytes.Repeat([]byte("a"), 1025)), 1009},
		{"fragments over the limit", append(clientFrame(false, opText, bytes.Repeat([]byte("a"), 600)), clientFrame(true, opContinuation, bytes.Repeat([]byte("a"), 600))...), 1009},
		{"text not UTF-8", clientFrame(true, opText, []byte{0xff, 0xfe}), closeInvalidText},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := feedSplit(tc.stream, 1, 1024)
			var pe *protocolError
			if !errors.As(err, &pe) || pe.code != tc.code {
				t.Fatalf("error %v, want close code %d", err, tc.code)
			}
		})
	}
}

// TestFrameReaderRefusesLargeFrameEarly: a header that announces more
// than the limit is refused before its payload is buffered.
func TestFrameReaderRefusesLargeFrameEarly(t *testing.T) {
	r := frameReader{limit: 1024}
	head := clientFrame(true, opText, bytes.Repeat([]byte("a"), 1<<20))[:14]
	err := r.feed(head, func(byte, []byte) bool { return true })
	var pe *protocolError
	if !errors.As(err, &pe) || pe.code != 1009 {
		t.Fatalf("error %v, want 1009", err)
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
		if got := appendFrameHeader(nil, opText, tc.size); !bytes.Equal(got, tc.want) {
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
	f.Add(clientFrame(true, opText, []byte(`{"type":"subscribe","room":"r"}`)), 3)
	f.Add(append(clientFrame(false, opText, []byte("a")), clientFrame(true, opContinuation, []byte("b"))...), 5)
	f.Add(clientFrame(true, opClose, closePayload(1000, "")), 1)
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		const limit = 256
		r := frameReader{limit: limit}
		cut = min(max(cut, 0), len(data))
		for _, part := range [][]byte{data[:cut], data[cut:]} {
			if err := r.feed(part, func(op byte, p []byte) bool {
				if len(p) > limit {
					t.Fatalf("message of %d bytes over the limit", len(p))
				}
				return true
			}); err != nil {
				return
			}
			if len(r.partial) > limit+14 || len(r.msg) > limit {
				t.Fatalf("kept %d + %d bytes", len(r.partial), len(r.msg))
			}
		}
	})
}
