package einsatzraum

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
)

// Force is a room member as the list of forces shows them: who, in which
// role, and whether their position is live, stale or not on the map.
type Force struct {
	User     chat.UserRef `json:"user"`
	Role     RoomRole     `json:"role"`
	State    string       `json:"state"`               // live | stale | offline
	LastSeen *time.Time   `json:"last_seen,omitempty"` // time of their latest position, if the map has one
	Lat      *float64     `json:"lat,omitempty"`
	Lon      *float64     `json:"lon,omitempty"`
	Heading  *float64     `json:"heading,omitempty"`
	SpeedMps *float64     `json:"speed_mps,omitempty"`
}

// Forces lists every member of the room with the state of their position,
// sorted by call sign (then name); q keeps those whose name or call sign
// contains it (case-insensitive). Non-members get 404 room_not_found.
func (s *Service) Forces(ctx context.Context, a *Actor, roomID, q string) ([]Force, error) {
	var members []Member
	err := s.view(ctx, "forces", func(tx Tx) (err error) {
		if _, err := requireRoom(ctx, tx, a, roomID, ActViewRoom); err != nil {
			return err
		}
		members, err = tx.Members(ctx, roomID)
		return err
	})
	if err != nil {
		return nil, err
	}
	needle := strings.ToLower(strings.TrimSpace(q))
	out := make([]Force, 0, len(members))
	for _, m := range members {
		if needle != "" && !strings.Contains(strings.ToLower(m.User.Name), needle) && !strings.Contains(strings.ToLower(m.User.Callsign), needle) {
			continue
		}
		f := Force{User: m.User, Role: m.Role, State: "offline"}
		if p, ok := s.tracker.Latest(m.User.ID); ok && slices.Contains(s.tracker.Rooms(m.User.ID), roomID) {
			ts, lat, lon := p.TS, p.Lat, p.Lon
			f.LastSeen, f.Lat, f.Lon, f.Heading, f.SpeedMps = &ts, &lat, &lon, p.Heading, p.SpeedMps
			f.State = "live"
			if s.tracker.Stale(p) {
				f.State = "stale"
			}
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		ci, cj := strings.ToLower(out[i].User.Callsign), strings.ToLower(out[j].User.Callsign)
		if ci != cj {
			return ci < cj
		}
		return strings.ToLower(out[i].User.Name) < strings.ToLower(out[j].User.Name)
	})
	return out, nil
}
