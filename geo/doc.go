// Package geo holds coordinates and their validation, bounds, great-circle
// distances, the R-tree index and the live position tracker per room.
// It knows nothing of chats or HTTP.
package geo
