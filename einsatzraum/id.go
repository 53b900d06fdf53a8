package einsatzraum

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"time"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random opaque ID with a readable prefix, for example
// "rm_k3j5...". 80 random bits make collisions negligible.
func NewID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// sortedIDEncoding is base32 over an alphabet in ASCII order, so that the
// encoded strings sort as the bytes do.
var sortedIDEncoding = base32.NewEncoding("234567abcdefghijklmnopqrstuvwxyz").WithPadding(base32.NoPadding)

// NewTimeOrderedID returns an opaque ID whose first part is at, in
// milliseconds, followed by 72 random bits: IDs made one after another
// sort one after another, so the rows they key are inserted next to each
// other in the store's index (a random key puts each insert on a page of
// its own, and the write-ahead log takes the whole page). For rows whose
// creation time is no secret from those who see the ID (messages).
func NewTimeOrderedID(prefix string, at time.Time) string {
	var b [15]byte
	binary.BigEndian.PutUint64(b[:8], uint64(at.UnixMilli())<<16) // the 48 low bits of the time, in b[0:6]
	_, _ = rand.Read(b[6:])                                       // crypto/rand.Read never fails on supported platforms
	return prefix + "_" + sortedIDEncoding.EncodeToString(b[:])
}

// validID reports whether s could be an ID we issued; used to reject junk
// early without a store round trip.
func validID(s string) bool {
	if len(s) < 4 || len(s) > 40 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	}) < 0
}
