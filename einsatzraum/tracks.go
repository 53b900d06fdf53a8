package einsatzraum

import (
	"context"
	"slices"
	"time"

	"github.com/einsatzraum/einsatzraum/geo"
)

// Limits of a track query.
const (
	MaxTrackWindow = 7 * 24 * time.Hour
	MaxTrackPoints = 100_000
)

// Track is one member's movement in a time window.
type Track struct {
	User     string         `json:"user"`
	Callsign string         `json:"callsign"`
	Name     string         `json:"name"`
	Points   []geo.Position `json:"points"`
}

// Tracks returns the movements of the room's members (or of the members
// users names) between from and to, for replay; each member's only from
// when they joined the room. The window defaults to the last 24 hours and
// may span at most MaxTrackWindow.
func (s *Service) Tracks(ctx context.Context, a *Actor, roomID string, users []string, from, to time.Time) ([]Track, error) {
	now := s.Now()
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	if !from.Before(to) || to.Sub(from) > MaxTrackWindow {
		return nil, Errorf(KindInvalid, "invalid_time_range", "from must be before to, at most %s apart", MaxTrackWindow)
	}
	from = later(from, s.VisibleSince()) // older points are past the visible retention
	var out []Track
	err := s.view(ctx, "tracks", func(tx Tx) error {
		if _, err := requireRoom(ctx, tx, a, roomID, ActViewRoom); err != nil {
			return err
		}
		members, err := tx.Members(ctx, roomID)
		if err != nil {
			return err
		}
		var ids []string
		byID := map[string]int{}
		joined := map[string]time.Time{}
		for _, m := range members {
			if len(users) == 0 || slices.Contains(users, m.User.ID) {
				byID[m.User.ID] = len(out)
				joined[m.User.ID] = m.JoinedAt
				out = append(out, Track{User: m.User.ID, Callsign: m.User.Callsign, Name: m.User.Name})
				ids = append(ids, m.User.ID)
			}
		}
		if len(users) > 0 && len(ids) < len(slices.Compact(slices.Sorted(slices.Values(users)))) {
			return Errorf(KindNotFound, "member_not_found", "no such member in this room")
		}
		for start := 0; start < len(ids); start += 500 {
			ps, err := tx.Track(ctx, ids[start:min(start+500, len(ids))], from, to, MaxTrackPoints)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if p.TS.Before(joined[p.User]) {
					continue // where they were before they joined is not the room's business
				}
				t := &out[byID[p.User]]
				t.Points = append(t.Points, p)
			}
		}
		kept := out[:0]
		for _, t := range out {
			if len(t.Points) > 0 {
				kept = append(kept, t)
			}
		}
		out = kept
		return nil
	})
	return out, err
}
