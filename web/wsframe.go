package web

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// WebSocket opcodes (RFC 6455 section 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// WebSocket close codes the frame reader uses besides the hub's.
const (
	closeProtocolError = 1002 // a frame RFC 6455 forbids
	closeInvalidText   = 1007 // a text message that is not UTF-8
)

// protocolError is a client frame that ends the connection with code.
type protocolError struct {
	code   int
	reason string
}

func (e *protocolError) Error() string { return e.reason }

// frameReader decodes the frames a client sends (RFC 6455 section 5) from
// bytes as they arrive, however the network splits them. It keeps bytes
// only while a frame or a fragmented message is incomplete, so an idle
// connection holds no buffer.
type frameReader struct {
	limit   int    // largest message payload in bytes
	partial []byte // the start of an incomplete frame; nil when none
	msg     []byte // a fragmented message being assembled
	msgOp   byte   // its opcode; 0 when none
}

// feed decodes every complete frame in the bytes kept from earlier calls
// followed by data, and calls handle for each whole message (text or
// binary, fragments joined) and each control frame, in order. handle must
// not keep payload past its return; it returns false to stop reading.
// feed unmasks data in place. A frame RFC 6455 forbids, a message over the
// limit or a text that is not UTF-8 is a *protocolError, after which the
// connection must end.
func (r *frameReader) feed(data []byte, handle func(op byte, payload []byte) bool) error {
	buf := data
	if len(r.partial) > 0 {
		r.partial = append(r.partial, data...)
		buf = r.partial
	}
	for {
		n, fin, op, payload, err := parseFrame(buf, r.limit)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		buf = buf[n:]
		msgOp, msg, err := r.assemble(fin, op, payload)
		if err != nil {
			return err
		}
		if msgOp == 0 {
			continue
		}
		if msgOp == opText && !utf8.Valid(msg) {
			return &protocolError{closeInvalidText, "text frames must be UTF-8"}
		}
		if !handle(msgOp, msg) {
			r.partial = nil
			return nil
		}
	}
	if len(buf) == 0 {
		r.partial = nil
	} else {
		r.partial = append([]byte(nil), buf...)
	}
	return nil
}

// assemble joins fragmented messages. It returns the opcode and payload of
// a whole message or control frame, or opcode 0 while a message is
// still incomplete.
func (r *frameReader) assemble(fin bool, op byte, payload []byte) (byte, []byte, error) {
	switch op {
	case opClose, opPing, opPong:
		return op, payload, nil
	case opText, opBinary:
		if r.msgOp != 0 {
			return 0, nil, &protocolError{closeProtocolError, "a new message inside a fragmented one"}
		}
		if fin {
			return op, payload, nil
		}
		r.msgOp, r.msg = op, append([]byte(nil), payload...)
		return 0, nil, nil
	default: // continuation; parseFrame allows no other opcode
		if r.msgOp == 0 {
			return 0, nil, &protocolError{closeProtocolError, "a continuation frame without a message"}
		}
		if len(r.msg)+len(payload) > r.limit {
			return 0, nil, &protocolError{einsatzraum.CloseTooBig, "message too large"}
		}
		r.msg = append(r.msg, payload...)
		if !fin {
			return 0, nil, nil
		}
		op, msg := r.msgOp, r.msg
		r.msgOp, r.msg = 0, nil
		return op, msg, nil
	}
}

// parseFrame decodes one client frame at the start of b and unmasks its
// payload in place. n is 0 when b holds no complete frame yet; a header
// that announces more than limit bytes is an error at once, so an
// incomplete frame never grows past the limit.
func parseFrame(b []byte, limit int) (n int, fin bool, op byte, payload []byte, err error) {
	if len(b) < 2 {
		return 0, false, 0, nil, nil
	}
	fin, op = b[0]&0x80 != 0, b[0]&0x0F
	if b[0]&0x70 != 0 {
		return 0, false, 0, nil, &protocolError{closeProtocolError, "reserved bits set"}
	}
	switch op {
	case opContinuation, opText, opBinary:
	case opClose, opPing, opPong:
		if !fin || b[1]&0x7F > 125 {
			return 0, false, 0, nil, &protocolError{closeProtocolError, "control frames are short and whole"}
		}
	default:
		return 0, false, 0, nil, &protocolError{closeProtocolError, "unknown opcode"}
	}
	if b[1]&0x80 == 0 {
		return 0, false, 0, nil, &protocolError{closeProtocolError, "client frames must be masked"}
	}
	size, header := uint64(b[1]&0x7F), 2
	switch size {
	case 126:
		if len(b) < 4 {
			return 0, false, 0, nil, nil
		}
		size, header = uint64(binary.BigEndian.Uint16(b[2:4])), 4
	case 127:
		if len(b) < 10 {
			return 0, false, 0, nil, nil
		}
		size, header = binary.BigEndian.Uint64(b[2:10]), 10
	}
	if size > uint64(limit) {
		return 0, false, 0, nil, &protocolError{einsatzraum.CloseTooBig, "frame too large"}
	}
	total := header + 4 + int(size)
	if len(b) < total {
		return 0, false, 0, nil, nil
	}
	mask := b[header : header+4]
	payload = b[header+4 : total]
	for i := range payload {
		payload[i] ^= mask[i&3]
	}
	return total, fin, op, payload, nil
}

// appendFrameHeader appends the header of an unmasked server frame.
func appendFrameHeader(dst []byte, op byte, size int) []byte {
	dst = append(dst, 0x80|op)
	switch {
	case size <= 125:
		return append(dst, byte(size))
	case size <= 0xFFFF:
		return binary.BigEndian.AppendUint16(append(dst, 126), uint16(size))
	default:
		return binary.BigEndian.AppendUint64(append(dst, 127), uint64(size))
	}
}

// closePayload is a close frame's payload: the code, then the reason cut
// to fit a control frame.
func closePayload(code int, reason string) []byte {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}
