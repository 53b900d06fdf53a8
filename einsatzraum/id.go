package einsatzraum

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random opaque ID with a readable prefix, for example
// "rm_k3j5...". 80 random bits make collisions negligible.
func NewID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return prefix + "_" + idEncoding.EncodeToString(b[:])
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
