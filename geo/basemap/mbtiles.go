package basemap

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"

	_ "modernc.org/sqlite" // the SQLite driver ("sqlite")
)

// An MBTiles file (https://github.com/mapbox/mbtiles-spec, 1.3) is an
// SQLite database: a metadata table and a tiles table with rows in TMS
// order (y counted from the south). Ours adds a places table: the
// geocoding index built from the same extract.
const mbtilesSchema = `
CREATE TABLE metadata (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL,
	PRIMARY KEY (zoom_level, tile_column, tile_row)) WITHOUT ROWID;
CREATE TABLE places (name TEXT NOT NULL, kind TEXT NOT NULL, class TEXT NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL);
`

// Metadata is what an MBTiles file says about its tiles.
type Metadata struct {
	Name        string
	MinZoom     int
	MaxZoom     int
	Bounds      [4]float64 // west, south, east, north
	Attribution string
}

// mbtilesWriter writes tiles and the index into a new MBTiles file in one
// transaction: a build that fails leaves no half file behind.
type mbtilesWriter struct {
	path, tmp string
	db        *sql.DB
	tx        *sql.Tx
	putTile   *sql.Stmt
}

func createMBTiles(ctx context.Context, path string) (*mbtilesWriter, error) {
	tmp := path + ".building"
	_ = os.Remove(tmp)
	db, err := sql.Open("sqlite", sqliteURL(tmp)+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", tmp, err)
	}
	db.SetMaxOpenConns(1)
	w := &mbtilesWriter{path: path, tmp: tmp, db: db}
	if _, err := db.ExecContext(ctx, mbtilesSchema); err != nil {
		w.abort()
		return nil, fmt.Errorf("create mbtiles schema: %w", err)
	}
	if w.tx, err = db.BeginTx(ctx, nil); err != nil {
		w.abort()
		return nil, err
	}
	if w.putTile, err = w.tx.PrepareContext(ctx, `INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)`); err != nil {
		w.abort()
		return nil, err
	}
	return w, nil
}

// tile stores a gzipped tile under its XYZ address.
func (w *mbtilesWriter) tile(ctx context.Context, z, x, y uint32, gz []byte) error {
	tmsY := (uint32(1) << z) - 1 - y
	if _, err := w.putTile.ExecContext(ctx, z, x, tmsY, gz); err != nil {
		return fmt.Errorf("store tile %d/%d/%d: %w", z, x, y, err)
	}
	return nil
}

func (w *mbtilesWriter) places(ctx context.Context, places []Place) error {
	st, err := w.tx.PrepareContext(ctx, `INSERT INTO places (name, kind, class, lon, lat) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, p := range places {
		if _, err := st.ExecContext(ctx, p.Name, p.Kind, p.Class, p.Lon, p.Lat); err != nil {
			return fmt.Errorf("store place %q: %w", p.Name, err)
		}
	}
	return nil
}

// finish writes the metadata, commits and moves the file into place.
func (w *mbtilesWriter) finish(ctx context.Context, m Metadata) error {
	layers := []map[string]any{}
	for _, l := range []string{LayerWater, LayerLanduse, LayerRoads, LayerBuildings, LayerPlaces} {
		fields := map[string]string{"class": "String"}
		if l != LayerLanduse && l != LayerBuildings {
			fields["name"] = "String"
		}
		layers = append(layers, map[string]any{"id": l, "fields": fields, "minzoom": m.MinZoom, "maxzoom": m.MaxZoom})
	}
	vectorLayers, _ := json.Marshal(map[string]any{"vector_layers": layers})
	b := m.Bounds
	rows := [][2]string{
		{"name", m.Name}, {"format", "pbf"}, {"type", "baselayer"}, {"version", "1"},
		{"minzoom", strconv.Itoa(m.MinZoom)}, {"maxzoom", strconv.Itoa(m.MaxZoom)},
		{"bounds", fmt.Sprintf("%.6f,%.6f,%.6f,%.6f", b[0], b[1], b[2], b[3])},
		{"center", fmt.Sprintf("%.6f,%.6f,%d", (b[0]+b[2])/2, (b[1]+b[3])/2, min(m.MaxZoom, 13))},
		{"attribution", m.Attribution}, {"json", string(vectorLayers)},
	}
	for _, r := range rows {
		if _, err := w.tx.ExecContext(ctx, `INSERT INTO metadata (name, value) VALUES (?, ?)`, r[0], r[1]); err != nil {
			w.abort()
			return fmt.Errorf("store metadata: %w", err)
		}
	}
	if err := w.tx.Commit(); err != nil {
		w.abort()
		return fmt.Errorf("commit tiles: %w", err)
	}
	if err := w.db.Close(); err != nil {
		_ = os.Remove(w.tmp)
		return err
	}
	if err := os.Rename(w.tmp, w.path); err != nil {
		_ = os.Remove(w.tmp)
		return fmt.Errorf("move tiles into place: %w", err)
	}
	return nil
}

func (w *mbtilesWriter) abort() {
	if w.tx != nil {
		_ = w.tx.Rollback()
	}
	_ = w.db.Close()
	_ = os.Remove(w.tmp)
}

// MBTiles is an MBTiles file opened for serving.
type MBTiles struct {
	db       *sql.DB
	getTile  *sql.Stmt
	Metadata Metadata
}

// OpenMBTiles opens an MBTiles file read-only.
func OpenMBTiles(ctx context.Context, path string) (*MBTiles, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("basemap: %w", err)
	}
	db, err := sql.Open("sqlite", sqliteURL(path)+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("open basemap %s: %w", path, err)
	}
	m := &MBTiles{db: db}
	if m.getTile, err = db.PrepareContext(ctx, `SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?`); err != nil {
		db.Close()
		return nil, fmt.Errorf("open basemap %s: not an MBTiles file: %w", path, err)
	}
	if m.Metadata, err = readMetadata(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open basemap %s: %w", path, err)
	}
	return m, nil
}

func readMetadata(ctx context.Context, db *sql.DB) (Metadata, error) {
	md := Metadata{MaxZoom: 14}
	rows, err := db.QueryContext(ctx, `SELECT name, value FROM metadata`)
	if err != nil {
		return md, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return md, err
		}
		switch k {
		case "name":
			md.Name = v
		case "minzoom":
			md.MinZoom, _ = strconv.Atoi(v)
		case "maxzoom":
			md.MaxZoom, _ = strconv.Atoi(v)
		case "attribution":
			md.Attribution = v
		case "bounds":
			_, _ = fmt.Sscanf(v, "%g,%g,%g,%g", &md.Bounds[0], &md.Bounds[1], &md.Bounds[2], &md.Bounds[3])
		case "format":
			if v != "pbf" {
				return md, fmt.Errorf("tile format %q: only vector tiles (pbf) are served", v)
			}
		}
	}
	return md, rows.Err()
}

// Tile returns the gzipped vector tile at z/x/y (XYZ numbering), or nil
// when the file has none there.
func (m *MBTiles) Tile(ctx context.Context, z, x, y uint32) ([]byte, error) {
	if z > 30 || x >= 1<<z || y >= 1<<z {
		return nil, nil
	}
	var data []byte
	err := m.getTile.QueryRowContext(ctx, z, x, (uint32(1)<<z)-1-y).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read tile %d/%d/%d: %w", z, x, y, err)
	}
	return data, nil
}

// Places reads the geocoding index; an MBTiles file made by another
// builder has none and gives an empty list.
func (m *MBTiles) Places(ctx context.Context) ([]Place, error) {
	var tables int
	if err := m.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'places'`).Scan(&tables); err != nil {
		return nil, fmt.Errorf("read places: %w", err)
	}
	if tables == 0 {
		return nil, nil
	}
	rows, err := m.db.QueryContext(ctx, `SELECT name, kind, class, lon, lat FROM places`)
	if err != nil {
		return nil, fmt.Errorf("read places: %w", err)
	}
	defer rows.Close()
	var out []Place
	for rows.Next() {
		var p Place
		if err := rows.Scan(&p.Name, &p.Kind, &p.Class, &p.Lon, &p.Lat); err != nil {
			return nil, fmt.Errorf("read places: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// sqliteURL is the file: URL of a database path, as the driver takes it.
func sqliteURL(path string) string {
	return (&url.URL{Scheme: "file", Opaque: path}).String()
}

// Close closes the file.
func (m *MBTiles) Close() error { return m.db.Close() }
