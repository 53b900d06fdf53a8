package einsatzraum

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
)

// GlobalRole is a role a user holds across all rooms. Ordinary officers
// hold none.
type GlobalRole string

// The global roles of API.md.
const (
	RoleAdmin     GlobalRole = "admin"      // users, devices, layers; reads no chat content
	RoleDataAdmin GlobalRole = "data_admin" // injects files into any chat; reads no chat content
	RoleAuditor   GlobalRole = "auditor"    // reads retained content for audits
)

// ValidGlobalRole reports whether r is one of the global roles.
func ValidGlobalRole(r GlobalRole) bool {
	return r == RoleAdmin || r == RoleDataAdmin || r == RoleAuditor
}

// User is a person with a login. Email is stored lower-case.
type User struct {
	ID           string       `json:"id"`
	Email        string       `json:"email"`
	Name         string       `json:"name"`
	Callsign     string       `json:"callsign"`
	Roles        []GlobalRole `json:"roles"`
	PasswordHash string       `json:"-"`
	// State is UserActive, UserPending (registered, email not confirmed
	// yet) or UserDisabled; only active users log in.
	State string `json:"state"`
	// Source is where the password is checked: SourceLocal (its hash here)
	// or SourceLDAP (the directory).
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
}

// User states and sources.
const (
	UserActive   = "active"
	UserPending  = "pending"
	UserDisabled = "disabled"
	SourceLocal  = "local"
	SourceLDAP   = "ldap"
)

// HasRole reports whether u holds the global role r.
func (u *User) HasRole(r GlobalRole) bool { return slices.Contains(u.Roles, r) }

// Ref is how other users see u.
func (u *User) Ref() chat.UserRef {
	return chat.UserRef{ID: u.ID, Name: u.Name, Callsign: u.Callsign}
}

// Device is one login of a user: a phone, a browser. Its bearer token is
// known only to the device; the store keeps the token's SHA-256.
type Device struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user"`
	Name       string     `json:"name"`
	TokenHash  []byte     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastSeenAt time.Time  `json:"last_seen_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// ApprovedAt is when an administrator approved the device; nil while
	// it waits (only when device approval is required).
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
	// Scope limits what the token opens: "" everything, ScopeTOTPEnrol
	// only enrolling the second factor, ScopeTAK only the CoT gateway (an
	// app password, for Room).
	Scope string `json:"scope,omitempty"`
	Room  string `json:"room,omitempty"`
}

// Device scopes.
const (
	ScopeTOTPEnrol = "totp_enrol"
	ScopeTAK       = "tak"
)

// EmailToken is a single-use link token sent by email (confirm a
// registration, reset a password); the store keeps its SHA-256 only.
type EmailToken struct {
	Hash      []byte
	UserID    string
	Purpose   string // PurposeConfirm or PurposeReset
	CreatedAt time.Time
	ExpiresAt time.Time
	// PasswordHash is the password given with a registration: confirming
	// this token sets it (so that registering the same address again, by
	// someone else, cannot change the password a link confirms).
	PasswordHash string
}

// Email token purposes.
const (
	PurposeConfirm = "confirm"
	PurposeReset   = "reset"
)

// TOTP is a user's second factor: the RFC 6238 secret, the SHA-256 of
// the unused recovery codes, when it was confirmed (nil: enrolling), and
// the last time step used (a code counts once).
type TOTP struct {
	Secret      string     `json:"secret"`
	Recovery    [][]byte   `json:"recovery"`
	ConfirmedAt *time.Time `json:"-"`
	LastStep    int64      `json:"-"`
}

// RoomRole is a member's role in one room. The empty role means "not a member".
type RoomRole string

// The room roles of API.md.
const (
	RoleLead     RoomRole = "lead"     // manages members and roles
	RoleMember   RoomRole = "member"   // takes part
	RoleObserver RoomRole = "observer" // reads only
)

// ValidRoomRole reports whether r is lead, member or observer.
func ValidRoomRole(r RoomRole) bool {
	return r == RoleLead || r == RoleMember || r == RoleObserver
}

// Room is an operation room (Einsatzraum). Seq is the sequence number of
// its latest event. MyRole is the caller's role, filled by the service.
type Room struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Seq         int64     `json:"seq"`
	CreatedAt   time.Time `json:"created_at"`
	MyRole      RoomRole  `json:"my_role,omitempty"`
	// ArchivedAt is when the room was archived (read-only for everyone);
	// nil while it is active.
	ArchivedAt *time.Time `json:"archived_at,omitempty"`
}

// SeqRange is the room sequence numbers from From (exclusive) to To
// (inclusive); To 0 means open-ended.
type SeqRange struct {
	From, To int64
}

// Contains says whether seq lies in the range.
func (r SeqRange) Contains(seq int64) bool { return seq > r.From && (r.To == 0 || seq <= r.To) }

// Member is a user's membership in a room.
type Member struct {
	User chat.UserRef `json:"user"`
	Role RoomRole     `json:"role"`
	// JoinedAt is when the user joined the room: the room sees their
	// track from then on.
	JoinedAt time.Time `json:"joined_at"`
}

// Chat is a conversation inside a room. MyPermissions is the caller's
// rights, filled by the service.
type Chat struct {
	ID            string          `json:"id"`
	Room          string          `json:"room"`
	Name          string          `json:"name"`
	CreatedBy     string          `json:"created_by"`
	CreatedAt     time.Time       `json:"created_at"`
	MyPermissions chat.Permission `json:"my_permissions"`
	// Unread counts others' messages after the caller's read marker.
	Unread int `json:"unread"`
}

// ChatAccess is what a permission check of a chat reads: the chat, the
// user's rights in it, their role in its room and whether that room is
// archived (Tx.ChatAccess).
type ChatAccess struct {
	Chat       Chat
	Permission chat.Permission
	Role       RoomRole
	Archived   bool
}

// ChatMember is a user's membership in a chat with their rights.
type ChatMember struct {
	User        chat.UserRef    `json:"user"`
	Permissions chat.Permission `json:"permissions"`
}

// The event types of the room event log (API.md, "Live events").
const (
	EventMessageCreated    = "message.created"
	EventMessageDeleted    = "message.deleted"
	EventMemberUpdated     = "member.updated"
	EventMemberRemoved     = "member.removed"
	EventChatCreated       = "chat.created"
	EventChatMemberUpdated = "chat.member.updated"
	EventChatMemberRemoved = "chat.member.removed"
	EventPOICreated        = "poi.created"
	EventPOIDeleted        = "poi.deleted"
)

// Event is one entry of a room's event log. Seq is gap-free per room.
// Chat is set for events that only that chat's members may see; Subject is
// the user an event is about, who always sees it (for example the member
// removed from a chat). Data is the JSON object clients get as "event".
type Event struct {
	Room      string          `json:"room"`
	Seq       int64           `json:"seq"`
	Type      string          `json:"type"`
	Chat      string          `json:"chat,omitempty"`
	Subject   string          `json:"subject,omitempty"`
	Data      json.RawMessage `json:"event"`
	CreatedAt time.Time       `json:"created_at"`
}

// POI is a point of interest a member put on a room's map.
type POI struct {
	ID          string    `json:"id"`
	Room        string    `json:"room"`
	Name        string    `json:"name"`
	Category    string    `json:"category"`
	Lat         float64   `json:"lat"`
	Lon         float64   `json:"lon"`
	Description string    `json:"description"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// AuditEntry is one line of the append-only audit log: who did what to
// which object, when.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail"`
}
