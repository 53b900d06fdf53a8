package chat

import (
	"bytes"
	"encoding/binary"
	"io"
)

// exifInfo is what a photo's EXIF tells us: orientation (1..8, 0 unknown)
// and the GPS position, if any.
type exifInfo struct {
	orientation int
	location    *Location
}

// readEXIF finds the EXIF block of a JPEG and reads the orientation and
// the GPS latitude/longitude. Anything malformed yields what was found.
func readEXIF(r io.Reader) exifInfo {
	head := make([]byte, 128<<10)
	n, _ := io.ReadFull(r, head)
	b := head[:n]
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return exifInfo{}
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return exifInfo{}
		}
		marker := b[i+1]
		// size counts the two length bytes themselves: anything under 2 is
		// a broken segment, and the segment must lie inside what we read.
		size := int(binary.BigEndian.Uint16(b[i+2:]))
		if size < 2 {
			return exifInfo{}
		}
		end := i + 2 + size
		if marker == 0xE1 && end <= len(b) {
			segment := b[i+4 : end]
			if payload, ok := bytes.CutPrefix(segment, []byte("Exif\x00\x00")); ok {
				return parseTIFF(payload)
			}
		}
		if marker == 0xDA { // start of scan: no EXIF before the image data
			return exifInfo{}
		}
		i += 2 + size
	}
	return exifInfo{}
}

func parseTIFF(t []byte) exifInfo {
	var info exifInfo
	if len(t) < 8 {
		return info
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return info
	}
	type entry struct {
		tag, typ uint16
		count    uint32
		value    []byte // the 4 value bytes
	}
	readIFD := func(off uint32) []entry {
		if int(off)+2 > len(t) {
			return nil
		}
		n := int(bo.Uint16(t[off:]))
		var es []entry
		for k := 0; k < n; k++ {
			p := int(off) + 2 + 12*k
			if p+12 > len(t) {
				break
			}
			es = append(es, entry{bo.Uint16(t[p:]), bo.Uint16(t[p+2:]), bo.Uint32(t[p+4:]), t[p+8 : p+12]})
		}
		return es
	}
	rational := func(off uint32, k int) float64 {
		p := int(off) + 8*k
		if p+8 > len(t) {
			return 0
		}
		num, den := bo.Uint32(t[p:]), bo.Uint32(t[p+4:])
		if den == 0 {
			return 0
		}
		return float64(num) / float64(den)
	}
	var gpsOff uint32
	for _, e := range readIFD(bo.Uint32(t[4:])) {
		switch e.tag {
		case 0x0112: // Orientation
			info.orientation = int(bo.Uint16(e.value))
		case 0x8825: // GPS IFD
			gpsOff = bo.Uint32(e.value)
		}
	}
	if gpsOff == 0 {
		return info
	}
	var latRef, lonRef byte
	var lat, lon float64
	var haveLat, haveLon bool
	for _, e := range readIFD(gpsOff) {
		switch e.tag {
		case 1:
			latRef = e.value[0]
		case 3:
			lonRef = e.value[0]
		case 2, 4:
			if e.typ != 5 || e.count != 3 {
				continue
			}
			off := bo.Uint32(e.value)
			v := rational(off, 0) + rational(off, 1)/60 + rational(off, 2)/3600
			if e.tag == 2 {
				lat, haveLat = v, true
			} else {
				lon, haveLon = v, true
			}
		}
	}
	if haveLat && haveLon {
		if latRef == 'S' {
			lat = -lat
		}
		if lonRef == 'W' {
			lon = -lon
		}
		if lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 {
			info.location = &Location{Lat: lat, Lon: lon}
		}
	}
	return info
}
