package sqlstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// checkWAL looks at the write-ahead log a crash left beside the database
// before SQLite recovers from it. SQLite replays the frames up to the
// first one whose checksum fails and silently drops every frame after it,
// committed transactions included. A torn last transaction (power lost
// while it was written) was never acknowledged, so losing it is right;
// but a whole committed transaction after a damaged frame was, and losing
// it silently is not. checkWAL refuses that case: it keeps a copy of the
// log and says what to do. The format is SQLite's (fileformat2, "WAL
// file format").
func checkWAL(dbPath string) error {
	walPath := dbPath + "-wal"
	f, err := os.Open(walPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", walPath, err)
	}
	defer f.Close()
	lost, at, err := lostCommits(f)
	if err != nil || lost == 0 {
		return err // a log SQLite cannot read at all is SQLite's to report
	}
	copyPath := fmt.Sprintf("%s.damaged-%d", walPath, time.Now().Unix())
	if err := copyFile(walPath, copyPath); err != nil {
		return fmt.Errorf("the write-ahead log %s is damaged at frame %d, with %d committed transactions after it, and could not be copied aside: %w", walPath, at, lost, err)
	}
	return fmt.Errorf("the write-ahead log %s is damaged at frame %d: %d committed transactions after it would be lost. A copy is kept at %s. Restore the database from a backup, or move %s away to start without those transactions",
		walPath, at, lost, copyPath, walPath)
}

// lostCommits reads a WAL and returns how many commit frames of its
// current generation (its salts) lie after the first frame that fails its
// checksum, and that frame's number (1-based).
func lostCommits(r io.Reader) (lost, firstBad int, err error) {
	var hdr [32]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, 0, nil // empty or shorter than a header: nothing committed in it
	}
	var order binary.ByteOrder
	switch binary.BigEndian.Uint32(hdr[0:4]) {
	case 0x377f0682:
		order = binary.LittleEndian
	case 0x377f0683:
		order = binary.BigEndian
	default:
		return 0, 0, nil
	}
	pageSize := int(binary.BigEndian.Uint32(hdr[8:12]))
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return 0, 0, nil
	}
	salt1, salt2 := binary.BigEndian.Uint32(hdr[16:20]), binary.BigEndian.Uint32(hdr[20:24])
	s0, s1 := walChecksum(order, 0, 0, hdr[:24])
	if s0 != binary.BigEndian.Uint32(hdr[24:28]) || s1 != binary.BigEndian.Uint32(hdr[28:32]) {
		return 0, 0, nil // an invalid header: SQLite ignores the whole log
	}
	frame := make([]byte, 24+pageSize)
	for n := 1; ; n++ {
		if _, err := io.ReadFull(r, frame); err != nil {
			return lost, firstBad, nil
		}
		sameGeneration := binary.BigEndian.Uint32(frame[8:12]) == salt1 && binary.BigEndian.Uint32(frame[12:16]) == salt2
		commit := binary.BigEndian.Uint32(frame[4:8]) != 0
		if firstBad == 0 {
			c0, c1 := walChecksum(order, s0, s1, frame[:8])
			c0, c1 = walChecksum(order, c0, c1, frame[24:])
			if sameGeneration && c0 == binary.BigEndian.Uint32(frame[16:20]) && c1 == binary.BigEndian.Uint32(frame[20:24]) {
				s0, s1 = c0, c1
				continue
			}
			firstBad = n
			continue
		}
		if sameGeneration && commit {
			lost++
		}
	}
}

// walChecksum continues SQLite's WAL checksum over b (a multiple of 8
// bytes) from s0, s1, reading words in order.
func walChecksum(order binary.ByteOrder, s0, s1 uint32, b []byte) (uint32, uint32) {
	for i := 0; i+8 <= len(b); i += 8 {
		s0 += order.Uint32(b[i:]) + s1
		s1 += order.Uint32(b[i+4:]) + s0
	}
	return s0, s1
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
