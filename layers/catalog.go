package layers

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Store keeps layers durably. SaveLayer replaces the layer of the same
// name atomically (keeping its ID, raising its version) or creates one.
type Store interface {
	SaveLayer(ctx context.Context, name string, features []Feature, now time.Time) (Meta, error)
	// LayerMetas lists every layer without features.
	LayerMetas(ctx context.Context) ([]Meta, error)
	// LoadLayer returns a layer's meta and features in ID order.
	LoadLayer(ctx context.Context, id string) (Meta, []Feature, error)
}

// Catalog is the server's set of layers in memory, each indexed. It loads
// them from the store and follows changes made by other processes (the
// command line import) with Watch.
type Catalog struct {
	store Store
	log   *slog.Logger

	mu     sync.RWMutex
	layers map[string]*Layer
}

// NewCatalog returns an empty catalogue over store.
func NewCatalog(store Store, log *slog.Logger) *Catalog {
	return &Catalog{store: store, log: log, layers: map[string]*Layer{}}
}

// Refresh loads every layer that is new or has a new version in the store
// and drops the ones that are gone. Readers see a layer's old or new
// version, never a mix.
func (c *Catalog) Refresh(ctx context.Context) error {
	metas, err := c.store.LayerMetas(ctx)
	if err != nil {
		return fmt.Errorf("list layers: %w", err)
	}
	present := map[string]bool{}
	for _, m := range metas {
		present[m.ID] = true
		c.mu.RLock()
		cur := c.layers[m.ID]
		c.mu.RUnlock()
		if cur != nil && cur.Version == m.Version {
			continue
		}
		start := time.Now()
		meta, fs, err := c.store.LoadLayer(ctx, m.ID)
		if err != nil {
			return fmt.Errorf("load layer %s: %w", m.Name, err)
		}
		l := NewLayer(meta, fs)
		c.mu.Lock()
		c.layers[m.ID] = l
		c.mu.Unlock()
		c.log.Info("layer loaded", "layer", m.Name, "id", m.ID, "version", m.Version, "features", l.Count, "took", time.Since(start).Round(time.Millisecond))
	}
	c.mu.Lock()
	for id := range c.layers {
		if !present[id] {
			delete(c.layers, id)
		}
	}
	c.mu.Unlock()
	return nil
}

// Watch refreshes every interval until ctx ends.
func (c *Catalog) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.Refresh(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("refresh layers", "err", err)
			}
		}
	}
}

// Import stores features as the layer name (replacing an older version)
// and serves the new version at once.
func (c *Catalog) Import(ctx context.Context, name string, features []Feature) (Meta, error) {
	if err := ValidName(name); err != nil {
		return Meta{}, err
	}
	name = strings.TrimSpace(name)
	meta, err := c.store.SaveLayer(ctx, name, features, time.Now().UTC())
	if err != nil {
		return Meta{}, err
	}
	l := NewLayer(meta, features)
	c.mu.Lock()
	c.layers[meta.ID] = l
	c.mu.Unlock()
	return l.Meta, nil
}

// List returns every layer's meta, by name.
func (c *Catalog) List() []Meta {
	c.mu.RLock()
	out := make([]Meta, 0, len(c.layers))
	for _, l := range c.layers {
		out = append(out, l.Meta)
	}
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns the current version of a layer.
func (c *Catalog) Get(id string) (*Layer, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	l, ok := c.layers[id]
	return l, ok
}

// ValidName checks a layer name: 1 to 120 characters, not blank.
func ValidName(name string) error {
	n := len([]rune(strings.TrimSpace(name)))
	if n == 0 || n > 120 || !utf8.ValidString(name) {
		return &ImportError{Feature: -1, Reason: "the layer name must have 1 to 120 characters"}
	}
	return nil
}
