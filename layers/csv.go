package layers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// CSVOptions names the coordinate columns of a CSV layer. Empty names are
// guessed from the header: lat/latitude/alat/breite and lon/lng/longitude/
// alon/laenge for WGS 84, x/rechtswert/easting and y/hochwert/northing for
// projected data. Sep 0 means: guess ',' or ';' from the header line.
type CSVOptions struct {
	LatCol, LonCol, XCol, YCol string
	Sep                        rune
}

var (
	latNames = []string{"lat", "latitude", "alat", "breite", "y_wgs84"}
	lonNames = []string{"lon", "lng", "long", "longitude", "alon", "laenge", "länge", "x_wgs84"}
	xNames   = []string{"x", "rechtswert", "easting", "ostwert"}
	yNames   = []string{"y", "hochwert", "northing", "nordwert"}
)

// ReadCSV reads a CSV layer of points, one per data row, UTF-8 with or
// without BOM. The other columns become properties (numbers as numbers).
// Errors are *ImportError naming the data row (0-based).
func ReadCSV(r io.Reader, crs CRS, opt CSVOptions, progress Progress) ([]Feature, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	if opt.Sep == 0 {
		head, err := br.Peek(4096)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, &ImportError{Feature: -1, Reason: "cannot read the file: " + err.Error()}
		}
		line, _, _ := strings.Cut(string(head), "\n")
		opt.Sep = ','
		if strings.Count(line, ";") > strings.Count(line, ",") {
			opt.Sep = ';'
		}
	}
	cr := csv.NewReader(br)
	cr.Comma = opt.Sep
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, &ImportError{Feature: -1, Reason: "no header line: " + describe(err)}
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	xi, yi, err := coordColumns(header, crs, opt)
	if err != nil {
		return nil, &ImportError{Feature: -1, Reason: err.Error()}
	}
	var fs []Feature
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &ImportError{Feature: len(fs), Reason: "malformed CSV: " + err.Error()}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		x, errX := parseNumber(rec[xi], opt.Sep)
		y, errY := parseNumber(rec[yi], opt.Sep)
		if errX != nil || errY != nil {
			return nil, &ImportError{Feature: len(fs), Reason: fmt.Sprintf("coordinates %q, %q are not numbers", rec[xi], rec[yi])}
		}
		p := orb.Point{x, y}
		if reason := checkGeometry(p); reason != "" {
			return nil, &ImportError{Feature: len(fs), Reason: reason}
		}
		props := make(map[string]any, len(header))
		for i, h := range header {
			if i == xi || i == yi || i >= len(rec) {
				continue
			}
			props[h] = rec[i] // typed per column below
		}
		fs = append(fs, Feature{ID: len(fs), Geometry: p, Properties: props})
		if progress != nil && len(fs)%1000 == 0 {
			progress(len(fs))
		}
	}
	if len(fs) == 0 {
		return nil, &ImportError{Feature: -1, Reason: "the layer has no rows"}
	}
	typeColumns(fs, header)
	if progress != nil {
		progress(len(fs))
	}
	if crs == crsEmpty {
		crs = WGS84
	}
	return fs, toWGS84(fs, crs)
}

// coordColumns finds the columns of x (lon) and y (lat).
func coordColumns(header []string, crs CRS, opt CSVOptions) (xi, yi int, err error) {
	find := func(given string, names []string) int {
		for i, h := range header {
			if given != "" && strings.EqualFold(h, given) {
				return i
			}
		}
		if given != "" {
			return -1
		}
		for _, n := range names {
			for i, h := range header {
				if strings.EqualFold(h, n) {
					return i
				}
			}
		}
		return -1
	}
	if crs == UTM32N || crs == UTM33N || opt.XCol != "" || opt.YCol != "" {
		xi, yi = find(opt.XCol, xNames), find(opt.YCol, yNames)
		if xi >= 0 && yi >= 0 {
			return xi, yi, nil
		}
	}
	xi, yi = find(opt.LonCol, lonNames), find(opt.LatCol, latNames)
	if xi < 0 || yi < 0 {
		return 0, 0, fmt.Errorf("no coordinate columns found in %v: name them with the lat/lon (or x/y) column options", header)
	}
	return xi, yi, nil
}

func parseNumber(s string, sep rune) (float64, error) {
	s = strings.TrimSpace(s)
	if sep == ';' { // German decimal comma
		s = strings.ReplaceAll(s, ",", ".")
	}
	return strconv.ParseFloat(s, 64)
}

// csvNumber reads a cell as a plain finite number; leading zeros (postal
// codes) and "NaN" are not numbers.
func csvNumber(s string) (float64, bool) {
	t := strings.TrimSpace(s)
	if t == "" || (strings.HasPrefix(t, "0") && t != "0" && !strings.HasPrefix(t, "0.")) {
		return 0, false
	}
	f, err := strconv.ParseFloat(t, 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// typeColumns gives each column one type: numbers when every non-empty
// cell is a number (empty cells are left out), else text throughout, so
// a column mixing numbers and "NaN" does not become mixed JSON types.
func typeColumns(fs []Feature, header []string) {
	for _, h := range header {
		numeric, any := true, false
		for _, f := range fs {
			v, ok := f.Properties[h].(string)
			if !ok || strings.TrimSpace(v) == "" {
				continue
			}
			any = true
			if _, ok := csvNumber(v); !ok {
				numeric = false
				break
			}
		}
		if !numeric || !any {
			continue
		}
		for _, f := range fs {
			v, ok := f.Properties[h].(string)
			if !ok {
				continue
			}
			if n, ok := csvNumber(v); ok {
				f.Properties[h] = n
			} else {
				delete(f.Properties, h) // an empty cell of a number column
			}
		}
	}
}
