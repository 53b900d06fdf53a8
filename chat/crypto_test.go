package chat

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"
)

func TestSealOpen(t *testing.T) {
	k, _ := NewKeyring(bytes.Repeat([]byte{7}, 32))
	other, _ := NewKeyring(bytes.Repeat([]byte{8}, 32))
	s := k.Seal([]byte("Lage an Brücke 3"))
	if bytes.Contains(s, []byte("Lage")) {
		t.Fatal("plaintext in the sealed value")
	}
	p, err := k.Open(s)
	if err != nil || string(p) != "Lage an Brücke 3" {
		t.Fatalf("Open = %q, %v", p, err)
	}
	if _, err := other.Open(s); err == nil {
		t.Error("another master key opened it")
	}
	s[len(s)-1] ^= 1
	if _, err := k.Open(s); err == nil {
		t.Error("a tampered value opened")
	}
}

// TestSealMany: values sealed together open one by one, share one wrapped
// data key, and each has its own nonce (the same text twice is two
// different sealed values).
func TestSealMany(t *testing.T) {
	k, _ := NewKeyring(bytes.Repeat([]byte{7}, 32))
	texts := [][]byte{[]byte(`{"lat":53.5}`), []byte(`{"lat":53.5}`), {}, []byte("drei")}
	sealed := k.SealMany(texts)
	if len(sealed) != len(texts) {
		t.Fatalf("%d sealed values for %d", len(sealed), len(texts))
	}
	h := len(sealedMagic)
	for i, s := range sealed {
		p, err := k.Open(s)
		if err != nil || !bytes.Equal(p, texts[i]) {
			t.Fatalf("value %d opens to %q, %v", i, p, err)
		}
		if !bytes.Equal(s[h:h+wrappedKeySize], sealed[0][h:h+wrappedKeySize]) {
			t.Errorf("value %d has a data key of its own", i)
		}
	}
	if bytes.Equal(sealed[0], sealed[1]) || bytes.Equal(sealed[0][h+wrappedKeySize:h+wrappedKeySize+12], sealed[1][h+wrappedKeySize:h+wrappedKeySize+12]) {
		t.Error("two values sealed together share a nonce")
	}
	if bytes.Equal(k.Seal(texts[0])[h:h+wrappedKeySize], sealed[0][h:h+wrappedKeySize]) {
		t.Error("Seal reused the data key of SealMany")
	}
}

func TestEncryptedFileRandomAccess(t *testing.T) {
	k, _ := NewKeyring(bytes.Repeat([]byte{9}, 32))
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 123} {
		plain := make([]byte, size)
		_, _ = rand.Read(plain)
		var enc bytes.Buffer
		w, err := k.NewEncryptWriter(&enc)
		if err != nil {
			t.Fatal(err)
		}
		// odd write sizes
		for rest := plain; len(rest) > 0; {
			n := min(len(rest), 1000+len(rest)%7777)
			_, _ = w.Write(rest[:n])
			rest = rest[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if int64(enc.Len()) != EncryptedSize(int64(size)) {
			t.Errorf("size %d: encrypted %d bytes, EncryptedSize says %d", size, enc.Len(), EncryptedSize(int64(size)))
		}
		r, err := k.NewDecryptReader(bytes.NewReader(enc.Bytes()), int64(size))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(io.NewSectionReader(r, 0, int64(size)))
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: round trip failed: %v", size, err)
		}
		if size > 10 {
			part := make([]byte, size/3)
			if _, err := r.ReadAt(part, int64(size/2)); err != nil && err != io.EOF {
				t.Fatal(err)
			}
			if !bytes.Equal(part, plain[size/2:size/2+len(part)]) {
				t.Fatalf("size %d: range read differs", size)
			}
			// Truncating the file is detected.
			tr, _ := k.NewDecryptReader(bytes.NewReader(enc.Bytes()[:enc.Len()-20]), int64(size))
			if _, err := io.ReadAll(io.NewSectionReader(tr, 0, int64(size))); err == nil {
				t.Errorf("size %d: a truncated file decrypted", size)
			}
		}
	}
}
