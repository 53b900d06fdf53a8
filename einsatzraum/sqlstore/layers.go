package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb/encoding/wkb"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
	"github.com/einsatzraum/einsatzraum/layers"
)

var _ layers.Store = (*DB)(nil)

// SaveLayer replaces the layer called name (or creates it) in one
// transaction: readers of the store see the old or the new version.
func (db *DB) SaveLayer(ctx context.Context, name string, fs []layers.Feature, now time.Time) (layers.Meta, error) {
	l := layers.NewLayer(layers.Meta{Name: name, UpdatedAt: now.UTC().Truncate(time.Microsecond)}, fs)
	meta := l.Meta
	err := db.Tx(ctx, func(t einsatzraum.Tx) error {
		tx := t.(*txn)
		err := tx.queryRow(ctx, `SELECT id, version FROM layers WHERE name = ?`, name).Scan(&meta.ID, &meta.Version)
		switch {
		case errors.Is(one(err), einsatzraum.ErrNotFound):
			meta.ID, meta.Version = einsatzraum.NewID("ly"), 1
			_, err = tx.exec(ctx, `INSERT INTO layers (id, name, version, count, min_lon, min_lat, max_lon, max_lat, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				meta.ID, name, meta.Version, meta.Count, meta.BBox[0], meta.BBox[1], meta.BBox[2], meta.BBox[3], micros(meta.UpdatedAt))
			if err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			meta.Version++
			if _, err := tx.exec(ctx, `DELETE FROM layer_features WHERE layer_id = ?`, meta.ID); err != nil {
				return err
			}
			_, err = tx.exec(ctx, `UPDATE layers SET version = ?, count = ?, min_lon = ?, min_lat = ?, max_lon = ?, max_lat = ?, updated_at = ? WHERE id = ?`,
				meta.Version, meta.Count, meta.BBox[0], meta.BBox[1], meta.BBox[2], meta.BBox[3], micros(meta.UpdatedAt), meta.ID)
			if err != nil {
				return err
			}
		}
		const batch = 250
		for start := 0; start < len(fs); start += batch {
			end := min(start+batch, len(fs))
			q := `INSERT INTO layer_features (layer_id, idx, geometry, properties) VALUES `
			args := make([]any, 0, 4*(end-start))
			for i := start; i < end; i++ {
				g, err := wkb.Marshal(fs[i].Geometry)
				if err != nil {
					return fmt.Errorf("encode feature %d: %w", i, err)
				}
				p, err := json.Marshal(fs[i].Properties)
				if err != nil {
					return fmt.Errorf("encode properties of feature %d: %w", i, err)
				}
				if i > start {
					q += ","
				}
				q += "(?, ?, ?, ?)"
				args = append(args, meta.ID, i, g, p)
			}
			if _, err := tx.exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return layers.Meta{}, fmt.Errorf("save layer %s: %w", name, err)
	}
	return meta, nil
}

// LayerMetas lists every layer without its features.
func (db *DB) LayerMetas(ctx context.Context) ([]layers.Meta, error) {
	var out []layers.Meta
	err := db.View(ctx, func(t einsatzraum.Tx) error {
		rows, err := t.(*txn).query(ctx, `SELECT id, name, version, count, min_lon, min_lat, max_lon, max_lat, updated_at FROM layers ORDER BY name`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var m layers.Meta
			var updated int64
			if err := rows.Scan(&m.ID, &m.Name, &m.Version, &m.Count, &m.BBox[0], &m.BBox[1], &m.BBox[2], &m.BBox[3], &updated); err != nil {
				rows.Close()
				return err
			}
			m.UpdatedAt = fromMicros(updated)
			out = append(out, m)
		}
		return closeRows(rows)
	})
	return out, err
}

// LoadLayer reads one layer with its features, from one snapshot.
func (db *DB) LoadLayer(ctx context.Context, id string) (layers.Meta, []layers.Feature, error) {
	var m layers.Meta
	var fs []layers.Feature
	err := db.View(ctx, func(t einsatzraum.Tx) error {
		tx := t.(*txn)
		var updated int64
		err := tx.queryRow(ctx, `SELECT id, name, version, count, min_lon, min_lat, max_lon, max_lat, updated_at FROM layers WHERE id = ?`, id).
			Scan(&m.ID, &m.Name, &m.Version, &m.Count, &m.BBox[0], &m.BBox[1], &m.BBox[2], &m.BBox[3], &updated)
		if err != nil {
			return one(err)
		}
		m.UpdatedAt = fromMicros(updated)
		rows, err := tx.query(ctx, `SELECT idx, geometry, properties FROM layer_features WHERE layer_id = ? ORDER BY idx`, id)
		if err != nil {
			return err
		}
		fs = make([]layers.Feature, 0, m.Count)
		for rows.Next() {
			var idx int
			var g, p []byte
			if err := rows.Scan(&idx, &g, &p); err != nil {
				rows.Close()
				return err
			}
			geom, err := wkb.Unmarshal(g)
			if err != nil {
				rows.Close()
				return fmt.Errorf("decode feature %d of layer %s: %w", idx, id, err)
			}
			f := layers.Feature{ID: idx, Geometry: geom}
			if err := json.Unmarshal(p, &f.Properties); err != nil {
				rows.Close()
				return fmt.Errorf("decode properties of feature %d of layer %s: %w", idx, id, err)
			}
			fs = append(fs, f)
		}
		return closeRows(rows)
	})
	return m, fs, err
}
