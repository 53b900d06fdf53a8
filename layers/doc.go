// Package layers holds the shared data layers (schools, kindergartens, ...):
// import from GeoJSON and CSV, the spatial index and its queries, vector
// tiles and the OGC API Features model. It knows nothing of rooms or HTTP.
//
// The package is filled by the "Data layers" issue; until then it is empty.
package layers
