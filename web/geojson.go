package web

import (
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

// GeoJSON shapes written by the map endpoints (RFC 7946).
type featureCollection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

type feature struct {
	Type       string   `json:"type"`
	ID         string   `json:"id,omitempty"`
	Geometry   geometry `json:"geometry"`
	Properties any      `json:"properties"`
}

type geometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

func collection(fs []feature) featureCollection {
	if fs == nil {
		fs = []feature{}
	}
	return featureCollection{Type: "FeatureCollection", Features: fs}
}

func point(lon, lat float64) geometry {
	return geometry{Type: "Point", Coordinates: [2]float64{lon, lat}}
}

type positionProps struct {
	User      string    `json:"user"`
	Callsign  string    `json:"callsign"`
	Name      string    `json:"name"`
	TS        time.Time `json:"ts"`
	AccuracyM float64   `json:"accuracy_m"`
	Heading   *float64  `json:"heading,omitempty"`
	SpeedMps  *float64  `json:"speed_mps,omitempty"`
	Stale     bool      `json:"stale"`
	DistanceM *float64  `json:"distance_m,omitempty"`
}

func positionFeatures(ps []einsatzraum.LivePosition) featureCollection {
	fs := make([]feature, len(ps))
	for i, p := range ps {
		fs[i] = feature{Type: "Feature", ID: p.User, Geometry: point(p.Lon, p.Lat), Properties: positionProps{
			User: p.User, Callsign: p.Callsign, Name: p.Name, TS: p.TS, AccuracyM: p.AccuracyM,
			Heading: p.Heading, SpeedMps: p.SpeedMps, Stale: p.Stale, DistanceM: p.DistanceM,
		}}
	}
	return collection(fs)
}

func poiFeatures(ps []einsatzraum.POI) featureCollection {
	fs := make([]feature, len(ps))
	for i, p := range ps {
		fs[i] = feature{Type: "Feature", ID: p.ID, Geometry: point(p.Lon, p.Lat), Properties: p}
	}
	return collection(fs)
}

type trackProps struct {
	User     string      `json:"user"`
	Callsign string      `json:"callsign"`
	Name     string      `json:"name"`
	Count    int         `json:"count"`
	Times    []time.Time `json:"times"`
}

func trackFeatures(ts []einsatzraum.Track) featureCollection {
	fs := make([]feature, len(ts))
	for i, t := range ts {
		coords := make([][2]float64, len(t.Points))
		times := make([]time.Time, len(t.Points))
		for j, p := range t.Points {
			coords[j], times[j] = [2]float64{p.Lon, p.Lat}, p.TS
		}
		g := geometry{Type: "LineString", Coordinates: coords}
		if len(coords) == 1 {
			g = point(coords[0][0], coords[0][1])
		}
		fs[i] = feature{Type: "Feature", ID: t.User, Geometry: g, Properties: trackProps{User: t.User, Callsign: t.Callsign, Name: t.Name, Count: len(coords), Times: times}}
	}
	return collection(fs)
}
