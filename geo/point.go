package geo

import (
	"fmt"
	"math"
)

// InputError reports a bad coordinate or field from a client. Field names
// the offending field so that callers can tell the user what to fix.
type InputError struct {
	Field string
	Code  string
	Msg   string
}

func (e *InputError) Error() string { return e.Code + ": " + e.Msg }

// InputError returns the stable code and human message; the domain maps
// every error with this method to a 400.
func (e *InputError) InputError() (code, message string) { return e.Code, e.Msg }

// ValidateLatLon checks that lat and lon are finite WGS 84 degrees in range.
// The error is an *InputError naming the field.
func ValidateLatLon(lat, lon float64) error {
	if math.IsNaN(lat) || math.IsInf(lat, 0) || lat < -90 || lat > 90 {
		return &InputError{Field: "lat", Code: "invalid_lat", Msg: fmt.Sprintf("lat must be a finite number in [-90, 90], got %v", lat)}
	}
	if math.IsNaN(lon) || math.IsInf(lon, 0) || lon < -180 || lon > 180 {
		return &InputError{Field: "lon", Code: "invalid_lon", Msg: fmt.Sprintf("lon must be a finite number in [-180, 180], got %v", lon)}
	}
	return nil
}
