package geo

import (
	"fmt"
	"math"
	"time"
)

// Position is one reported location of a user's device.
type Position struct {
	User      string    `json:"user"`
	Lat       float64   `json:"lat"`
	Lon       float64   `json:"lon"`
	AccuracyM float64   `json:"accuracy_m"`          // 0: unknown
	Heading   *float64  `json:"heading,omitempty"`   // degrees clockwise from north, [0, 360)
	SpeedMps  *float64  `json:"speed_mps,omitempty"` // metres per second
	TS        time.Time `json:"ts"`
	// StaleAt is when the reporter says the position goes stale (CoT's
	// stale); nil leaves it to the tracker's StaleAfter.
	StaleAt *time.Time `json:"stale_at,omitempty"`
}

// Limits for a plausible position report.
const (
	MaxAccuracyM = 100_000 // 100 km: anything worse is no position
	MaxSpeedMps  = 350     // a helicopter or a plane in approach; not a glitch
)

// Validate checks p as a report received at now: finite numbers, lat/lon in
// range, accuracy, heading and speed sane, a timestamp not later than now
// plus maxSkew and not older than maxAge. The error is an *InputError
// naming the field.
func (p *Position) Validate(now time.Time, maxSkew, maxAge time.Duration) error {
	if err := ValidateLatLon(p.Lat, p.Lon); err != nil {
		return err
	}
	if bad(p.AccuracyM) || p.AccuracyM < 0 || p.AccuracyM > MaxAccuracyM {
		return &InputError{Field: "accuracy_m", Code: "invalid_accuracy_m", Msg: fmt.Sprintf("accuracy_m must be in [0, %d] metres", MaxAccuracyM)}
	}
	if p.Heading != nil && (bad(*p.Heading) || *p.Heading < 0 || *p.Heading >= 360) {
		return &InputError{Field: "heading", Code: "invalid_heading", Msg: "heading must be in [0, 360) degrees"}
	}
	if p.SpeedMps != nil && (bad(*p.SpeedMps) || *p.SpeedMps < 0 || *p.SpeedMps > MaxSpeedMps) {
		return &InputError{Field: "speed_mps", Code: "invalid_speed_mps", Msg: fmt.Sprintf("speed_mps must be in [0, %d]", MaxSpeedMps)}
	}
	if p.TS.IsZero() {
		return &InputError{Field: "ts", Code: "missing_ts", Msg: "ts (RFC 3339) is required"}
	}
	if p.TS.After(now.Add(maxSkew)) {
		return &InputError{Field: "ts", Code: "ts_in_future", Msg: fmt.Sprintf("ts is more than %s ahead of the server's clock", maxSkew)}
	}
	if p.StaleAt != nil && p.StaleAt.Before(p.TS) {
		return &InputError{Field: "stale_at", Code: "invalid_stale_at", Msg: "stale_at must not be before ts"}
	}
	if maxAge > 0 && p.TS.Before(now.Add(-maxAge)) {
		return &InputError{Field: "ts", Code: "ts_too_old", Msg: fmt.Sprintf("ts is more than %s in the past", maxAge)}
	}
	return nil
}

func bad(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }
