package einsatzraum

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/einsatzraum/einsatzraum/geo/geocode"
)

// Geocoding as a use case: one search over the basemap's places, streets,
// addresses and points of interest (Config.Places), the POIs of the rooms
// the actor belongs to (past the visible retention: hidden) and the named
// features of the data layers.

// Places kinds and sources a geocoding hit can have.
const (
	GeocodeSourceOSM = "osm"
	GeocodeSourcePOI = "poi"
)

// GeocodeQuery is one search: the text, where the searcher looks (the
// map's centre; nil: anywhere) and how many hits at most.
type GeocodeQuery struct {
	Text  string
	Near  *geocode.Near
	Limit int
}

// GeocodeHit is one hit; Room is set for a POI, Layer for a layer feature.
type GeocodeHit struct {
	geocode.Hit
	Room  string
	Layer string
}

// Geocode finds places by name, best first. Errors: 400 invalid_query
// for an empty text or one over 100 characters.
func (s *Service) Geocode(ctx context.Context, a *Actor, q GeocodeQuery) ([]GeocodeHit, error) {
	text := strings.TrimSpace(q.Text)
	if utf8.RuneCountInString(text) > 100 {
		return nil, Errorf(KindInvalid, "invalid_query", "the search text is longer than 100 characters")
	}
	query, ok := geocode.NewQuery(text)
	if !ok {
		return nil, Errorf(KindInvalid, "invalid_query", "q: give a name to search for")
	}
	limit := q.Limit
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	var hits []geocode.Hit
	if s.cfg.Places != nil {
		hits = append(hits, s.cfg.Places.Search(query, nil, 4*limit)...)
	}
	// The POIs of every room of the caller, in one read.
	roomOf := map[string]string{}
	cutoff := s.VisibleSince()
	err := s.view(ctx, "geocode_pois", func(tx Tx) error {
		rooms, err := tx.RoomsOfUser(ctx, a.User.ID)
		if err != nil {
			return err
		}
		for _, r := range rooms {
			pois, err := tx.POIs(ctx, r.ID)
			if err != nil {
				return err
			}
			for _, p := range pois {
				if p.CreatedAt.Before(cutoff) {
					continue // past the visible retention
				}
				if score := query.Score(p.Name); score > 0 {
					hits = append(hits, geocode.Hit{Entry: geocode.Entry{Name: p.Name, Kind: "poi", Source: GeocodeSourcePOI, Lon: p.Lon, Lat: p.Lat, Ref: p.ID}, Score: score})
					roomOf[p.ID] = r.ID
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	metas, err := s.Layers(a)
	if err != nil {
		return nil, err
	}
	for _, m := range metas {
		if l, err := s.Layer(a, m.ID); err == nil {
			hits = append(hits, l.Names().Search(query, nil, 4*limit)...)
		}
	}
	ranked := geocode.Rank(hits, q.Near, limit)
	out := make([]GeocodeHit, len(ranked))
	for i, h := range ranked {
		out[i] = GeocodeHit{Hit: h}
		switch h.Source {
		case GeocodeSourceOSM:
		case GeocodeSourcePOI:
			out[i].Room = roomOf[h.Ref]
		default:
			out[i].Layer = h.Source
		}
	}
	return out, nil
}
