package chat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Keyring encrypts data at rest: every object (a message body, a file) gets
// its own random 256-bit data key, which is stored wrapped (AES-256-GCM)
// by the master key; small values written together may share one
// (SealMany). Rotating the master key re-wraps data keys only.
type Keyring struct {
	master cipher.AEAD
}

// MasterKeySize is the length of a master key in bytes.
const MasterKeySize = 32

// NewKeyring returns a keyring over a 32-byte master key.
func NewKeyring(master []byte) (*Keyring, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("master key must be %d bytes, got %d", MasterKeySize, len(master))
	}
	aead, err := newGCM(master)
	if err != nil {
		return nil, err
	}
	return &Keyring{master: aead}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// wrappedKeySize is a wrapped data key: nonce, key, tag.
const wrappedKeySize = 12 + 32 + 16

// newDataKey returns a fresh data key and its wrapped form.
func (k *Keyring) newDataKey() (key, wrapped []byte) {
	key = make([]byte, 32)
	_, _ = rand.Read(key)
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	return key, k.master.Seal(nonce, nonce, key, []byte("einsatzraum data key"))
}

func (k *Keyring) unwrap(wrapped []byte) ([]byte, error) {
	if len(wrapped) != wrappedKeySize {
		return nil, errors.New("malformed wrapped key")
	}
	key, err := k.master.Open(nil, wrapped[:12], wrapped[12:], []byte("einsatzraum data key"))
	if err != nil {
		return nil, errors.New("the data key does not open with this master key")
	}
	return key, nil
}

// sealedMagic starts every sealed value, so that a wrong input is told apart.
var sealedMagic = []byte("EZ1")

// Seal encrypts a small value (a message body) under a fresh data key:
// magic | wrapped key | nonce | ciphertext+tag.
func (k *Keyring) Seal(plaintext []byte) []byte {
	return k.SealMany([][]byte{plaintext})[0]
}

// SealMany seals each value as Seal does, but under one fresh data key
// for all of them (each with its own nonce): for many small values written
// together (the points of one track write), where a key of their own would
// cost more than the values. Each result opens with Open alone.
func (k *Keyring) SealMany(plaintexts [][]byte) [][]byte {
	key, wrapped := k.newDataKey()
	aead, _ := newGCM(key)
	nonces := make([]byte, 12*len(plaintexts))
	_, _ = rand.Read(nonces)
	out := make([][]byte, len(plaintexts))
	for i, p := range plaintexts {
		nonce := nonces[12*i : 12*i+12]
		b := make([]byte, 0, len(sealedMagic)+len(wrapped)+len(nonce)+len(p)+16)
		b = append(b, sealedMagic...)
		b = append(b, wrapped...)
		b = append(b, nonce...)
		out[i] = aead.Seal(b, nonce, p, sealedMagic)
	}
	return out
}

// Open decrypts a value made by Seal.
func (k *Keyring) Open(sealed []byte) ([]byte, error) {
	h := len(sealedMagic)
	if len(sealed) < h+wrappedKeySize+12+16 || string(sealed[:h]) != string(sealedMagic) {
		return nil, errors.New("not a sealed value")
	}
	key, err := k.unwrap(sealed[h : h+wrappedKeySize])
	if err != nil {
		return nil, err
	}
	aead, _ := newGCM(key)
	nonce := sealed[h+wrappedKeySize : h+wrappedKeySize+12]
	return aead.Open(nil, nonce, sealed[h+wrappedKeySize+12:], sealedMagic)
}

// Files are encrypted in chunks so that they stream and any byte range can
// be read (video seeking): header = magic | wrapped key; then chunks of up
// to chunkSize plaintext bytes, each sealed with the chunk index as nonce
// and a flag for the last chunk as additional data (no truncation or
// reordering goes unnoticed).
const (
	chunkSize   = 64 << 10
	chunkSealed = chunkSize + 16
)

var fileMagic = []byte("EZF1")

// FileHeaderSize is the size of an encrypted file's header.
var FileHeaderSize = int64(len(fileMagic) + wrappedKeySize)

// EncryptedSize is the size on disk of a file of plain bytes.
func EncryptedSize(plain int64) int64 {
	chunks := (plain + chunkSize - 1) / chunkSize
	if chunks == 0 {
		chunks = 1
	}
	return FileHeaderSize + plain + 16*chunks
}

// encryptWriter encrypts what is written to it into w, chunk by chunk.
type encryptWriter struct {
	w     io.Writer
	aead  cipher.AEAD
	buf   []byte
	index uint64
	err   error
}

// NewEncryptWriter starts an encrypted file on w. Close writes the last chunk.
func (k *Keyring) NewEncryptWriter(w io.Writer) (io.WriteCloser, error) {
	key, wrapped := k.newDataKey()
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(append(append([]byte{}, fileMagic...), wrapped...)); err != nil {
		return nil, err
	}
	return &encryptWriter{w: w, aead: aead, buf: make([]byte, 0, chunkSize)}, nil
}

func chunkNonce(i uint64) []byte {
	n := make([]byte, 12)
	binary.BigEndian.PutUint64(n[4:], i)
	return n
}

func chunkAAD(last bool) []byte {
	if last {
		return []byte{1}
	}
	return []byte{0}
}

func (e *encryptWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n := len(p)
	for len(p) > 0 {
		room := chunkSize - len(e.buf)
		take := min(room, len(p))
		e.buf = append(e.buf, p[:take]...)
		p = p[take:]
		if len(e.buf) == chunkSize && len(p) > 0 {
			if e.err = e.flush(false); e.err != nil {
				return 0, e.err
			}
		}
	}
	return n, nil
}

func (e *encryptWriter) flush(last bool) error {
	sealed := e.aead.Seal(nil, chunkNonce(e.index), e.buf, chunkAAD(last))
	e.index++
	e.buf = e.buf[:0]
	_, err := e.w.Write(sealed)
	return err
}

// Close seals the last chunk (which may be full or empty).
func (e *encryptWriter) Close() error {
	if e.err != nil {
		return e.err
	}
	e.err = e.flush(true)
	if e.err == nil {
		e.err = errors.New("closed")
		return nil
	}
	return e.err
}

// DecryptReader reads an encrypted file of plain size size at any offset.
type DecryptReader struct {
	r     io.ReaderAt
	aead  cipher.AEAD
	size  int64
	last  uint64
	cache []byte // the last decrypted chunk
	index uint64
	valid bool
}

// NewDecryptReader opens an encrypted file whose plaintext has size bytes.
func (k *Keyring) NewDecryptReader(r io.ReaderAt, size int64) (*DecryptReader, error) {
	head := make([]byte, FileHeaderSize)
	if _, err := r.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("read file header: %w", err)
	}
	if string(head[:len(fileMagic)]) != string(fileMagic) {
		return nil, errors.New("not an encrypted file")
	}
	key, err := k.unwrap(head[len(fileMagic):])
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	last := uint64(0)
	if size > 0 {
		last = uint64((size - 1) / chunkSize)
	}
	return &DecryptReader{r: r, aead: aead, size: size, last: last}, nil
}

// Size is the plaintext size.
func (d *DecryptReader) Size() int64 { return d.size }

func (d *DecryptReader) chunk(i uint64) ([]byte, error) {
	if d.valid && d.index == i {
		return d.cache, nil
	}
	plain := int64(chunkSize)
	if i == d.last {
		plain = d.size - int64(i)*chunkSize
	}
	sealed := make([]byte, plain+16)
	if _, err := d.r.ReadAt(sealed, FileHeaderSize+int64(i)*chunkSealed); err != nil && !(errors.Is(err, io.EOF) && i == d.last) {
		return nil, fmt.Errorf("read chunk %d: %w", i, err)
	}
	out, err := d.aead.Open(sealed[:0], chunkNonce(i), sealed, chunkAAD(i == d.last))
	if err != nil {
		return nil, fmt.Errorf("chunk %d does not decrypt: the file is damaged or was tampered with", i)
	}
	d.cache, d.index, d.valid = out, i, true
	return out, nil
}

// ReadAt reads plaintext at off.
func (d *DecryptReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= d.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off < d.size {
		c, err := d.chunk(uint64(off / chunkSize))
		if err != nil {
			return n, err
		}
		k := copy(p[n:], c[off%chunkSize:])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
