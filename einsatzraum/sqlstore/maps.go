package sqlstore

import (
	"context"
	"time"

	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

const poiColumns = `id, room_id, name, category, lat, lon, description, created_by, created_at, sealed`

// sealedPOI is what a POI row keeps sealed: all it says.
type sealedPOI struct {
	Name        string  `json:"name"`
	Category    string  `json:"category"`
	Description string  `json:"description"`
	Lat         float64 `json:"lat"`
	Lon         float64 `json:"lon"`
}

func (t *txn) scanPOI(row interface{ Scan(...any) error }) (*einsatzraum.POI, error) {
	var p einsatzraum.POI
	var created int64
	var sealed []byte
	if err := row.Scan(&p.ID, &p.Room, &p.Name, &p.Category, &p.Lat, &p.Lon, &p.Description, &p.CreatedBy, &created, &sealed); err != nil {
		return nil, one(err)
	}
	p.CreatedAt = fromMicros(created)
	if sealed != nil { // rows from before sealing keep their clear columns
		var sp sealedPOI
		if err := t.openJSON(sealed, &sp); err != nil {
			return nil, err
		}
		p.Name, p.Category, p.Description, p.Lat, p.Lon = sp.Name, sp.Category, sp.Description, sp.Lat, sp.Lon
	}
	return &p, nil
}

func (t *txn) CreatePOI(ctx context.Context, p *einsatzraum.POI) error {
	sealed, err := t.sealJSON(sealedPOI{Name: p.Name, Category: p.Category, Description: p.Description, Lat: p.Lat, Lon: p.Lon})
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO pois (`+poiColumns+`) VALUES (?, ?, '', '', 0, 0, '', ?, ?, ?)`,
		p.ID, p.Room, p.CreatedBy, micros(p.CreatedAt), sealed)
	return err
}

func (t *txn) POIByID(ctx context.Context, id string) (*einsatzraum.POI, error) {
	return t.scanPOI(t.queryRow(ctx, `SELECT `+poiColumns+` FROM pois WHERE id = ? AND deleted_at IS NULL`, id))
}

func (t *txn) POIs(ctx context.Context, roomID string) ([]einsatzraum.POI, error) {
	rows, err := t.query(ctx, `SELECT `+poiColumns+` FROM pois WHERE room_id = ? AND deleted_at IS NULL ORDER BY created_at, id`, roomID)
	if err != nil {
		return nil, err
	}
	out := []einsatzraum.POI{}
	for rows.Next() {
		p, err := t.scanPOI(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *p)
	}
	return out, closeRows(rows)
}

func (t *txn) DeletePOI(ctx context.Context, id string, at time.Time) error {
	return t.execOne(ctx, `UPDATE pois SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`, micros(at), id)
}
