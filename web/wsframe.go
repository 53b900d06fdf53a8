package web

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// The frames of RFC 6455 as the live endpoint reads them. Headers, their
// checks (reserved bits, opcodes, control frame rules, masking,
// fragmentation order), unmasking and close-frame validation are done by
// github.com/gobwas/ws; this file only feeds it bytes as they arrive, so
// that a socket can be read without a goroutine blocking on it.

// protocolError is a client frame that ends the connection.
type protocolError struct {
	reason einsatzraum.CloseReason
	text   string
}

func (e *protocolError) Error() string { return e.text }

// frameReader decodes the frames a client sends from bytes as they arrive,
// however the network splits them. It keeps bytes only while a frame or a
// fragmented message is incomplete, so an idle connection holds no buffer.
type frameReader struct {
	limit   int       // largest message payload in bytes
	partial []byte    // the start of an incomplete frame; nil when none
	skip    int64     // payload bytes still to drop (a frame refused for its size)
	msg     []byte    // a fragmented message being assembled
	msgOp   ws.OpCode // its opcode; 0 (continuation) when none
	lost    bool      // framing lost: every later byte is dropped
	hdr     [ws.MaxHeaderSize - 2]byte
}

// feed decodes every complete frame in the bytes kept from earlier calls
// followed by data, and calls handle for each whole message (text or
// binary, fragments joined) and each control frame, in order. handle must
// not keep payload past its return; it returns false to stop reading.
// feed unmasks data in place.
//
// A frame RFC 6455 forbids, a message over the limit or a text that is
// not UTF-8 is a *protocolError: refuse (if not nil) is called with it at
// once, the connection must then be closed, and feed returns the first
// one. Where the framing survived (a text that is not UTF-8, a frame over
// the limit, whose payload is skipped) the frames after it are decoded
// still, so the client's close answer is seen; where it did not, every
// later byte is dropped.
func (r *frameReader) feed(data []byte, handle func(op ws.OpCode, payload []byte) bool, refuse func(*protocolError)) error {
	if r.lost {
		return nil
	}
	if r.skip > 0 {
		n := min(r.skip, int64(len(data)))
		r.skip -= n
		data = data[n:]
	}
	buf := data
	if len(r.partial) > 0 {
		r.partial = append(r.partial, data...)
		buf = r.partial
	}
	var first error
	refused := func(err error) {
		var pe *protocolError
		if errors.As(err, &pe) && refuse != nil {
			refuse(pe)
		}
		if first == nil {
			first = err
		}
	}
	for !r.lost && len(buf) > 0 {
		n, h, payload, err := r.parseFrame(buf)
		if err != nil {
			refused(err)
			if r.lost {
				break
			}
			// A frame over the limit: its header was whole, so its payload
			// is dropped and decoding goes on after it.
			r.skip = h.Length - int64(len(buf)-n)
			if r.skip < 0 {
				n, r.skip = n+int(h.Length), 0
			} else {
				n = len(buf)
			}
			buf = buf[n:]
			continue
		}
		if n == 0 {
			break
		}
		buf = buf[n:]
		op, msg, err := r.assemble(h, payload)
		if err != nil {
			refused(err) // a text that is not UTF-8: the framing is intact
			continue
		}
		if msg == nil {
			continue
		}
		if !handle(op, msg) {
			buf = nil
			break
		}
	}
	if r.lost || len(buf) == 0 {
		r.partial = nil
	} else {
		r.partial = append([]byte(nil), buf...)
	}
	return first
}

// parseFrame decodes one frame at the start of b and unmasks its payload
// in place. n is 0 when b holds no complete frame yet. A header that
// announces more than the limit is refused at once (n is then the header's
// size), so an incomplete frame never grows past the limit.
func (r *frameReader) parseFrame(b []byte) (n int, h ws.Header, payload []byte, err error) {
	rd := bytes.NewReader(b)
	h, err = ws.ReadHeaderBuffer(rd, r.hdr[:])
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return 0, h, nil, nil
	}
	if err != nil { // a 64-bit length with its top bit set, or the like
		r.lost = true
		return 0, h, nil, &protocolError{einsatzraum.CloseProtocol, "invalid frame header"}
	}
	state := ws.StateServerSide
	if r.msgOp != 0 {
		state = state.Set(ws.StateFragmented)
	}
	if err := ws.CheckHeader(h, state); err != nil {
		r.lost = true
		return 0, h, nil, &protocolError{einsatzraum.CloseProtocol, err.Error()}
	}
	header := len(b) - rd.Len()
	if h.Length > int64(r.limit) || (h.OpCode == ws.OpContinuation && int64(len(r.msg))+h.Length > int64(r.limit)) {
		r.msgOp, r.msg = 0, nil
		return header, h, nil, &protocolError{einsatzraum.CloseTooBig, "message too large"}
	}
	total := header + int(h.Length)
	if len(b) < total {
		return 0, h, nil, nil
	}
	payload = b[header:total]
	ws.Cipher(payload, h.Mask, 0)
	return total, h, payload, nil
}

// assemble joins fragmented messages. It returns the opcode and payload of
// a whole message or control frame, or a nil payload while a message is
// still incomplete. CheckHeader has already refused continuations out of
// order.
func (r *frameReader) assemble(h ws.Header, payload []byte) (ws.OpCode, []byte, error) {
	if payload == nil {
		payload = []byte{}
	}
	op := h.OpCode
	switch {
	case op.IsControl():
		return op, payload, nil
	case op != ws.OpContinuation && h.Fin:
		return op, payload, checkText(op, payload)
	case op != ws.OpContinuation:
		r.msgOp, r.msg = op, append([]byte(nil), payload...)
		return op, nil, nil
	}
	r.msg = append(r.msg, payload...)
	if !h.Fin {
		return op, nil, nil
	}
	op, msg := r.msgOp, r.msg
	r.msgOp, r.msg = 0, nil
	return op, msg, checkText(op, msg)
}

// checkText refuses a text message that is not UTF-8 (RFC 6455 8.1).
func checkText(op ws.OpCode, msg []byte) error {
	if op == ws.OpText && !utf8.Valid(msg) {
		return &protocolError{einsatzraum.CloseInvalidData, "text frames must be UTF-8"}
	}
	return nil
}

// parseClientClose reads a client's close frame payload (RFC 6455 5.5.1,
// 7.4): empty, or a code a peer may send followed by a UTF-8 reason. It
// returns the code to echo (0: none was given) or the error to fail the
// connection with.
func parseClientClose(payload []byte) (ws.StatusCode, error) {
	switch len(payload) {
	case 0:
		return 0, nil
	case 1:
		return 0, &protocolError{einsatzraum.CloseProtocol, "a close payload of one byte"}
	}
	code, reason := ws.ParseCloseFrameData(payload)
	if err := ws.CheckCloseFrameData(code, reason); err != nil {
		if errors.Is(err, ws.ErrProtocolInvalidUTF8) {
			return 0, &protocolError{einsatzraum.CloseInvalidData, err.Error()}
		}
		return 0, &protocolError{einsatzraum.CloseProtocol, err.Error()}
	}
	if code > 4999 { // past the private range: no code a peer may send
		return 0, &protocolError{einsatzraum.CloseProtocol, "close code out of range"}
	}
	return code, nil
}

// closeCode is the WebSocket close code of a hub close reason. 4000-4999
// are ours: clients reconnect and resume from their last seq after any of
// them but 4003.
func closeCode(r einsatzraum.CloseReason) ws.StatusCode {
	switch r {
	case einsatzraum.CloseNormal:
		return ws.StatusNormalClosure // 1000
	case einsatzraum.CloseGoingAway:
		return ws.StatusGoingAway // 1001
	case einsatzraum.CloseProtocol:
		return ws.StatusProtocolError // 1002
	case einsatzraum.CloseInvalidData:
		return ws.StatusInvalidFramePayloadData // 1007
	case einsatzraum.ClosePolicy:
		return ws.StatusPolicyViolation // 1008
	case einsatzraum.CloseTooBig:
		return ws.StatusMessageTooBig // 1009
	case einsatzraum.CloseSlow:
		return 4001
	case einsatzraum.CloseRevoked:
		return 4003
	}
	return ws.StatusInternalServerError // 1011
}

// CloseCode is the WebSocket close code the live endpoint sends for r
// (API.md, "Live events").
func CloseCode(r einsatzraum.CloseReason) int { return int(closeCode(r)) }

// closePayload is a close frame's payload: the code, then the reason cut
// on a character boundary to fit a control frame (125 bytes).
func closePayload(code ws.StatusCode, reason string) []byte {
	const max = ws.MaxControlFramePayloadSize - 2
	if len(reason) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(reason[cut]) {
			cut--
		}
		reason = reason[:cut]
	}
	return ws.NewCloseFrameBody(code, reason)
}

// appendFrameHeader appends the header of an unmasked, final server frame.
func appendFrameHeader(dst []byte, op ws.OpCode, size int) []byte {
	w := appendWriter{dst}
	_ = ws.WriteHeader(&w, ws.Header{Fin: true, OpCode: op, Length: int64(size)})
	return w.b
}

// appendWriter is an io.Writer that appends to a slice.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}
