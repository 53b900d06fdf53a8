package einsatzraum

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/geo"
)

// NewPOI is the input of CreatePOI.
type NewPOI struct {
	Name        string  `json:"name"`
	Category    string  `json:"category"`
	Lat         float64 `json:"lat"`
	Lon         float64 `json:"lon"`
	Description string  `json:"description"`
	// ClientID makes the request idempotent: a phone that sends a POI
	// again (its answer was lost) gets the POI made the first time.
	ClientID string `json:"client_id,omitempty"`
}

// CreatePOI puts a point of interest on the room's map (any member but
// observers) and emits poi.created. With a client_id it is idempotent: the
// POI's ID is derived from the user, the room and the client_id, and a
// repeat returns the POI made the first time (replayed true, no event).
// A repeat of a POI deleted since is 409 poi_deleted.
func (s *Service) CreatePOI(ctx context.Context, a *Actor, roomID string, in NewPOI) (*POI, error) {
	p, _, err := s.createPOI(ctx, a, roomID, in)
	return p, err
}

// CreatePOIOnce is CreatePOI that also says whether the POI existed
// already (a repeat of the same client_id).
func (s *Service) CreatePOIOnce(ctx context.Context, a *Actor, roomID string, in NewPOI) (*POI, bool, error) {
	return s.createPOI(ctx, a, roomID, in)
}

func (s *Service) createPOI(ctx context.Context, a *Actor, roomID string, in NewPOI) (*POI, bool, error) {
	if err := chat.ValidateName("name", in.Name); err != nil {
		return nil, false, err
	}
	if err := checkText("category", in.Category, 1, 40); err != nil {
		return nil, false, err
	}
	if err := checkText("description", in.Description, 0, MaxDescriptionLen); err != nil {
		return nil, false, err
	}
	if err := geo.ValidateLatLon(in.Lat, in.Lon); err != nil {
		return nil, false, err
	}
	if len(in.ClientID) > chat.MaxClientIDBytes {
		return nil, false, Errorf(KindInvalid, "invalid_client_id", "client_id must be at most %d bytes", chat.MaxClientIDBytes)
	}
	id := NewID("poi")
	if in.ClientID != "" {
		sum := sha256.Sum256([]byte(a.User.ID + "\x00" + roomID + "\x00" + in.ClientID))
		id = "poi_" + idEncoding.EncodeToString(sum[:10])
	}
	replayed := false
	p := &POI{ID: id, Room: roomID, Name: strings.TrimSpace(in.Name), Category: strings.TrimSpace(in.Category),
		Lat: in.Lat, Lon: in.Lon, Description: strings.TrimSpace(in.Description), CreatedBy: a.User.ID}
	err := s.update(ctx, "create_poi", func(w *write) error {
		if _, err := requireRoom(ctx, w, a, roomID, ActEditMap); err != nil {
			return err
		}
		if in.ClientID != "" {
			old, err := w.POIByID(ctx, id)
			if err == nil {
				p, replayed = old, true
				return nil
			}
			if !IsNotFound(err) {
				return err
			}
		}
		p.CreatedAt = w.now
		if err := w.CreatePOI(ctx, p); err != nil {
			if in.ClientID != "" && errors.Is(err, ErrConflict) { // the ID is taken by a deleted POI
				return Errorf(KindConflict, "poi_deleted", "a POI of this client_id was made and deleted since")
			}
			return err
		}
		_, err := w.emit(ctx, roomID, EventPOICreated, "", "", map[string]any{"poi": p})
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return p, replayed, nil
}

// POIs lists the room's POIs, those inside bbox when it is set.
func (s *Service) POIs(ctx context.Context, a *Actor, roomID string, bbox *geo.BBox) ([]POI, error) {
	var out []POI
	err := s.view(ctx, "pois", func(tx Tx) error {
		if _, err := requireRoom(ctx, tx, a, roomID, ActViewRoom); err != nil {
			return err
		}
		all, err := tx.POIs(ctx, roomID)
		if err != nil {
			return err
		}
		out = all[:0]
		cutoff := s.VisibleSince()
		for _, p := range all {
			if p.CreatedAt.Before(cutoff) {
				continue // past the visible retention
			}
			if bbox == nil || bbox.Contains([2]float64{p.Lon, p.Lat}) {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}

// DeletePOI removes a POI from the map (any member but observers) and
// emits poi.deleted.
func (s *Service) DeletePOI(ctx context.Context, a *Actor, roomID, poiID string) error {
	return s.update(ctx, "delete_poi", func(w *write) error {
		if _, err := requireRoom(ctx, w, a, roomID, ActEditMap); err != nil {
			return err
		}
		p, err := w.POIByID(ctx, poiID)
		if err != nil || p.Room != roomID {
			return Errorf(KindNotFound, "poi_not_found", "no such POI in this room")
		}
		if err := w.DeletePOI(ctx, poiID, w.now); err != nil {
			return err
		}
		_, err = w.emit(ctx, roomID, EventPOIDeleted, "", "", map[string]any{"poi": poiID})
		return err
	})
}
