// Package layers holds the shared data layers (schools, kindergartens, ...):
// import from GeoJSON and CSV (with ETRS89 / UTM reprojection), the
// in-memory catalogue with an R-tree per layer, bbox and nearby queries,
// and vector tiles. It knows nothing of rooms or HTTP.
package layers
