package layers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/paulmach/orb/geojson"
)

// Progress is told how many features were read so far.
type Progress func(features int)

// ReadGeoJSON reads a GeoJSON FeatureCollection feature by feature, so a
// large file needs memory only for the features it keeps. crs overrides
// the file's legacy "crs" member; with neither the data is WGS 84. The
// features come back in WGS 84. Errors are *ImportError naming the feature.
func ReadGeoJSON(r io.Reader, crs CRS, progress Progress) ([]Feature, error) {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, &ImportError{Feature: -1, Reason: "not a GeoJSON object: " + describe(err)}
	}
	var fs []Feature
	var fileCRS CRS
	sawType := false
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return nil, &ImportError{Feature: len(fs), Reason: "malformed JSON: " + describe(err)}
		}
		key, _ := keyTok.(string)
		switch key {
		case "type":
			var t string
			if err := dec.Decode(&t); err != nil || t != "FeatureCollection" {
				return nil, &ImportError{Feature: -1, Reason: "type must be FeatureCollection"}
			}
			sawType = true
		case "crs":
			var c struct {
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			}
			if err := dec.Decode(&c); err != nil {
				return nil, &ImportError{Feature: -1, Reason: "malformed crs member"}
			}
			fc, err := ParseCRS(c.Properties.Name)
			if err != nil {
				return nil, &ImportError{Feature: -1, Reason: err.Error()}
			}
			fileCRS = fc
		case "features":
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return nil, &ImportError{Feature: -1, Reason: "features must be an array"}
			}
			for dec.More() {
				f, err := decodeFeature(dec, len(fs))
				if err != nil {
					return nil, err
				}
				fs = append(fs, f)
				if progress != nil && len(fs)%1000 == 0 {
					progress(len(fs))
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, &ImportError{Feature: len(fs), Reason: "the features array does not end: " + describe(err)}
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, &ImportError{Feature: len(fs), Reason: "malformed JSON: " + describe(err)}
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, &ImportError{Feature: len(fs), Reason: "the file does not end properly: " + describe(err)}
	}
	if !sawType {
		return nil, &ImportError{Feature: -1, Reason: "not a FeatureCollection (no type member)"}
	}
	if len(fs) == 0 {
		return nil, &ImportError{Feature: -1, Reason: "the layer has no features"}
	}
	if progress != nil {
		progress(len(fs))
	}
	if crs == crsEmpty {
		crs = fileCRS
	}
	if crs == crsEmpty {
		crs = WGS84
	}
	return fs, toWGS84(fs, crs)
}

func decodeFeature(dec *json.Decoder, i int) (Feature, error) {
	var raw struct {
		Type       string          `json:"type"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	if err := dec.Decode(&raw); err != nil {
		return Feature{}, &ImportError{Feature: i, Reason: "malformed JSON: " + describe(err)}
	}
	if raw.Type != "Feature" {
		return Feature{}, &ImportError{Feature: i, Reason: fmt.Sprintf("type must be Feature, not %q", raw.Type)}
	}
	if len(raw.Geometry) == 0 || string(raw.Geometry) == "null" {
		return Feature{}, &ImportError{Feature: i, Reason: "no geometry"}
	}
	g, err := geojson.UnmarshalGeometry(raw.Geometry)
	if err != nil {
		return Feature{}, &ImportError{Feature: i, Reason: "bad geometry: " + describe(err)}
	}
	if reason := checkGeometry(g.Geometry()); reason != "" {
		return Feature{}, &ImportError{Feature: i, Reason: reason}
	}
	if raw.Properties == nil {
		raw.Properties = map[string]any{}
	}
	return Feature{ID: i, Geometry: g.Geometry(), Properties: raw.Properties}, nil
}

func describe(err error) string {
	switch {
	case err == nil:
		return "unexpected content"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the file ends too early (truncated?)"
	}
	return err.Error()
}
