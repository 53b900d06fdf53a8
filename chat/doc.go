// Package chat holds chats, messages and their kinds, and chat permissions.
// It validates what a client sends; the einsatzraum service decides who may
// do what and stores it. It knows nothing of HTTP or the map.
package chat
