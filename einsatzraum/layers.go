package einsatzraum

import (
	"context"
	"fmt"

	"github.com/einsatzraum/einsatzraum/layers"
)

// Data layers (schools, kindergartens, ...) as use cases: one permission
// rule and one audit entry, whether the import comes over HTTP or from the
// command line. Every signed-in user reads every layer (they hold official
// open data, no operation's content); only administrators and the
// operator at the command line (a nil actor) import.

// ImportLayer stores features as the layer name, replacing an older layer
// of that name, serves the new version at once and writes the audit entry.
// Errors: 403 not_admin; 400 for a name the catalogue refuses;
// 503 without a layer catalogue.
func (s *Service) ImportLayer(ctx context.Context, a *Actor, name string, features []layers.Feature) (layers.Meta, error) {
	if err := s.RequireRole(a, RoleAdmin); err != nil {
		return layers.Meta{}, err
	}
	if s.cfg.Layers == nil {
		return layers.Meta{}, Errorf(KindUnavailable, "no_layers", "this server keeps no data layers")
	}
	meta, err := s.cfg.Layers.Import(ctx, name, features)
	if err != nil {
		return layers.Meta{}, fmt.Errorf("import layer %q: %w", name, err)
	}
	s.audit(ctx, actorID(a), "import_layer", meta.ID, fmt.Sprintf("%q, version %d, %d features", meta.Name, meta.Version, meta.Count))
	return meta, nil
}

// Layers lists every layer's description, by name. Every actor may (the
// web layer lets only signed-in users call it).
func (s *Service) Layers(a *Actor) ([]layers.Meta, error) {
	if s.cfg.Layers == nil {
		return []layers.Meta{}, nil
	}
	return s.cfg.Layers.List(), nil
}

// Layer returns the current version of a layer, for its features, tiles
// and nearby queries. Errors: 404 layer_not_found.
func (s *Service) Layer(a *Actor, id string) (*layers.Layer, error) {
	if s.cfg.Layers != nil {
		if l, ok := s.cfg.Layers.Get(id); ok {
			return l, nil
		}
	}
	return nil, Errorf(KindNotFound, "layer_not_found", "no such layer")
}
