package einsatzraum

import (
	"context"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/geo"
)

// Store keeps everything durable. Implementations live in their own
// packages (sqlstore) and pass the conformance suite in storetest.
//
// Every method of Tx returns ErrNotFound (KindNotFound) for a missing row
// and ErrConflict (KindConflict) for a violated uniqueness rule; other
// errors are internal.
type Store interface {
	// Tx runs fn in one read-write transaction and commits when fn returns
	// nil. Writers that touch the same room are serialised, so room
	// sequence numbers stay gap-free and unique.
	Tx(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Latest runs fn, which only reads, with each read a statement of its
	// own outside any transaction, seeing the latest commit (PostgreSQL:
	// one round trip per read, none to begin or end). ok is false, and fn
	// did not run, when the store has no such mode worth taking (SQLite:
	// its readers find their cache cold after every commit, and reads are
	// cheapest in the writer's transaction).
	Latest(ctx context.Context, fn func(Tx) error) (ok bool, err error)
	// ConcurrentWriters reports whether write transactions run at once
	// (PostgreSQL: each on its own connection, waiting only for the rows
	// they share) rather than one after another (SQLite's single writer).
	ConcurrentWriters() bool
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Tx is the store as seen inside a transaction.
type Tx interface {
	// CreateUser inserts u; ErrConflict when the email is taken.
	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByEmail looks a user up by lower-case email.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UsersByIDs returns the users that exist among ids, in any order.
	UsersByIDs(ctx context.Context, ids []string) ([]User, error)
	UpdatePassword(ctx context.Context, userID, hash string) error
	// SetUserState sets a user's state (UserActive, ...); ErrNotFound for none.
	SetUserState(ctx context.Context, userID, state string) error
	// UpdateUserProfile sets a user's name (the directory's, at a login).
	UpdateUserProfile(ctx context.Context, userID, name string) error
	// UsersBySource lists the active users of a source (SourceLDAP).
	UsersBySource(ctx context.Context, source string) ([]User, error)

	// CreateEmailToken stores a new email token.
	CreateEmailToken(ctx context.Context, t *EmailToken) error
	// UseEmailToken marks the unused, unexpired token of purpose whose
	// hash is hash as used at now and returns it; ErrNotFound otherwise.
	UseEmailToken(ctx context.Context, hash []byte, purpose string, now time.Time) (*EmailToken, error)

	// PutTOTP stores (or replaces) a user's second factor.
	PutTOTP(ctx context.Context, userID string, t *TOTP) error
	// TOTPOf returns a user's second factor; ErrNotFound for none.
	TOTPOf(ctx context.Context, userID string) (*TOTP, error)
	// DeleteTOTP removes a user's second factor.
	DeleteTOTP(ctx context.Context, userID string) error

	// SetDeviceScope changes what a device's token opens.
	SetDeviceScope(ctx context.Context, id, scope string) error
	// SearchUsers finds users whose name, call sign or email contains q
	// (case-insensitive for ASCII letters), ordered by name, at most limit.
	SearchUsers(ctx context.Context, q string, limit int) ([]User, error)

	CreateDevice(ctx context.Context, d *Device) error
	DeviceByID(ctx context.Context, id string) (*Device, error)
	// DeviceByTokenHash finds the device whose token hashes to hash,
	// revoked or not.
	DeviceByTokenHash(ctx context.Context, hash []byte) (*Device, error)
	DevicesOfUser(ctx context.Context, userID string) ([]Device, error)
	RevokeDevice(ctx context.Context, id string, at time.Time) error
	// DevicesRevokedSince lists the IDs of devices revoked at or after
	// since, for the hub's check of open connections.
	DevicesRevokedSince(ctx context.Context, since time.Time) ([]string, error)
	// ApproveDevice approves a device; ErrNotFound for none.
	ApproveDevice(ctx context.Context, id string, at time.Time) error
	// PendingDevices lists devices waiting for approval, not revoked.
	PendingDevices(ctx context.Context) ([]Device, error)
	TouchDevice(ctx context.Context, id string, at time.Time) error

	CreateRoom(ctx context.Context, r *Room) error
	RoomByID(ctx context.Context, id string) (*Room, error)
	// UpdateRoom stores r's name, description and archived time.
	UpdateRoom(ctx context.Context, r *Room) error
	// RoomsOfUser lists the rooms userID is a member of, MyRole filled,
	// ordered by name.
	RoomsOfUser(ctx context.Context, userID string) ([]Room, error)
	// NextSeq increments the room's sequence number and returns the new
	// value. It locks the room until the transaction ends.
	NextSeq(ctx context.Context, roomID string) (int64, error)
	// ReserveSeqs adds counts[room] to each room's sequence number, as
	// that many NextSeq calls would, taking the rooms in ID order, and
	// returns each room's first new seq.
	ReserveSeqs(ctx context.Context, counts map[string]int) (map[string]int64, error)
	// RoomRole returns userID's role in roomID, ErrNotFound for none.
	RoomRole(ctx context.Context, roomID, userID string) (RoomRole, error)
	Members(ctx context.Context, roomID string) ([]Member, error)
	// PutMember adds userID to the room with role, joined at at, or
	// changes the role of a member (who keeps their joined time).
	PutMember(ctx context.Context, roomID, userID string, role RoomRole, at time.Time) error
	DeleteMember(ctx context.Context, roomID, userID string) error
	CountLeads(ctx context.Context, roomID string) (int, error)

	CreateChat(ctx context.Context, c *Chat) error
	ChatByID(ctx context.Context, id string) (*Chat, error)
	// ChatsOfUser lists the chats of roomID that userID belongs to,
	// MyPermissions filled, oldest first.
	ChatsOfUser(ctx context.Context, roomID, userID string) ([]Chat, error)
	// ChatPermission returns userID's rights in chatID, ErrNotFound for none.
	ChatPermission(ctx context.Context, chatID, userID string) (chat.Permission, error)
	// ChatAccess returns chatID with userID's rights in it, their role in
	// its room and whether the room is archived, in one read; ErrNotFound
	// when there is no such chat or userID is not in it or in its room.
	ChatAccess(ctx context.Context, chatID, userID string) (*ChatAccess, error)
	// ChatAccesses is ChatAccess for many (chatIDs[i], userIDs[i]) at once
	// (on PostgreSQL one round trip): out[i] is nil where ChatAccess would
	// return ErrNotFound.
	ChatAccesses(ctx context.Context, chatIDs, userIDs []string) ([]*ChatAccess, error)
	ChatMembers(ctx context.Context, chatID string) ([]ChatMember, error)
	PutChatMember(ctx context.Context, chatID, userID string, p chat.Permission) error
	DeleteChatMember(ctx context.Context, chatID, userID string) error
	CountChatManagers(ctx context.Context, chatID string) (int, error)
	RenameChat(ctx context.Context, chatID, name string) error
	// OpenChatGap records that userID left chatID after seq; CloseChatGap
	// ends the open gap at seq (they are back); ChatGaps lists the gaps.
	OpenChatGap(ctx context.Context, chatID, userID string, seq int64) error
	CloseChatGap(ctx context.Context, chatID, userID string, seq int64) error
	ChatGaps(ctx context.Context, chatID, userID string) ([]SeqRange, error)

	// InsertMessage stores m; ErrConflict when (sender, client_id) exists.
	InsertMessage(ctx context.Context, m *chat.Message) error
	MessageByClientID(ctx context.Context, senderID, clientID string) (*chat.Message, error)
	// MessagesByClientID is MessageByClientID for many (senderIDs[i],
	// clientIDs[i]) at once: out[i] is nil where there is none.
	MessagesByClientID(ctx context.Context, senderIDs, clientIDs []string) ([]*chat.Message, error)
	MessageByID(ctx context.Context, id string) (*chat.Message, error)
	// PutReadMarker moves userID's read marker of a chat forward to seq; it
	// reports false when the marker was already there or further.
	PutReadMarker(ctx context.Context, chatID, userID string, seq int64, at time.Time) (bool, error)
	ReadMarkers(ctx context.Context, chatID string) ([]ReadMarker, error)
	// UnreadCount counts the chat's messages after userID's marker that
	// others sent at or after since.
	UnreadCount(ctx context.Context, chatID, userID string, since time.Time) (int, error)
	// UpdateMessage rewrites a message's content (edit, delete).
	UpdateMessage(ctx context.Context, m *chat.Message) error
	// MessagesBefore lists a chat's messages with seq < beforeSeq (0: all)
	// created at or after since, newest first.
	MessagesBefore(ctx context.Context, chatID string, beforeSeq int64, since time.Time, limit int) ([]chat.Message, error)
	// PutMessageAck records that userID took note of a message; it reports
	// false when they had already.
	PutMessageAck(ctx context.Context, messageID, userID string, at time.Time) (bool, error)
	// MessageAcks lists who took note of a message, in order.
	MessageAcks(ctx context.Context, messageID string) ([]MessageAck, error)
	// Messages lists chatID's messages with seq > afterSeq created at or
	// after since, oldest first.
	Messages(ctx context.Context, chatID string, afterSeq int64, since time.Time, limit int) ([]chat.Message, error)

	CreatePOI(ctx context.Context, p *POI) error
	// POIByID returns a POI that is not deleted.
	POIByID(ctx context.Context, id string) (*POI, error)
	// POIs lists the room's POIs that are not deleted, oldest first.
	POIs(ctx context.Context, roomID string) ([]POI, error)
	DeletePOI(ctx context.Context, id string, at time.Time) error

	CreateDrawing(ctx context.Context, d *Drawing) error
	// UpdateDrawing stores what d says now (geometry, label, ...) and its
	// UpdatedAt; ErrNotFound for a deleted drawing.
	UpdateDrawing(ctx context.Context, d *Drawing) error
	// DrawingByID returns a drawing that is not deleted.
	DrawingByID(ctx context.Context, id string) (*Drawing, error)
	// Drawings lists the room's drawings that are not deleted, oldest first.
	Drawings(ctx context.Context, roomID string) ([]Drawing, error)
	// AllDrawings lists every room's drawings that are not deleted, by room
	// (for the geofence index at start).
	AllDrawings(ctx context.Context) ([]Drawing, error)
	DeleteDrawing(ctx context.Context, id string, at time.Time) error

	// InsertPositions appends positions to the track history.
	InsertPositions(ctx context.Context, ps []geo.Position, receivedAt time.Time) error
	// Track lists the positions of users with from <= ts <= to, ordered by
	// user and ts, at most limit per call.
	Track(ctx context.Context, users []string, from, to time.Time, limit int) ([]geo.Position, error)
	// PutAlarm inserts an alarm or replaces its state and content.
	PutAlarm(ctx context.Context, a *Alarm) error
	AlarmByID(ctx context.Context, id string) (*Alarm, error)
	// Alarms lists a room's alarms created at or after since, newest
	// first; state "" for all.
	Alarms(ctx context.Context, roomID, state string, since time.Time) ([]Alarm, error)
	// LatestPositions returns each user's newest track point at or after
	// since: the live map after a restart.
	LatestPositions(ctx context.Context, since time.Time) ([]geo.Position, error)

	CreateAttachment(ctx context.Context, a *chat.Attachment) error
	AttachmentByID(ctx context.Context, id string) (*chat.Attachment, error)

	// AppendAudit adds an entry to the append-only audit log.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// AuditLog lists audit entries with id > afterID, oldest first.
	AuditLog(ctx context.Context, afterID int64, limit int) ([]AuditEntry, error)
	// RoomMessages lists roomID's messages created in [from, to) with
	// seq > afterSeq, in seq order (for auditors).
	RoomMessages(ctx context.Context, roomID string, from, to time.Time, afterSeq int64, limit int) ([]chat.Message, error)
	// PurgeBefore deletes up to limit rows of each kind of content created
	// before cutoff (attachments, messages, events, POIs, track points) and
	// returns what it deleted; the caller deletes the attachments' blobs.
	// The track history goes in chunks of up to ten minutes of one user
	// (Purged.Positions counts their points), each once its newest point
	// is before cutoff.
	PurgeBefore(ctx context.Context, cutoff time.Time, limit int) (Purged, error)

	// AppendEvent stores e; e.Seq must come from NextSeq in the same transaction.
	AppendEvent(ctx context.Context, e *Event) error
	// InsertMessagesWithEvents stores ms as InsertMessage does each and es
	// as AppendEvent does each (a group of posts), in one round trip where
	// the store has them; on ErrConflict the transaction must roll back
	// (some may be stored).
	InsertMessagesWithEvents(ctx context.Context, ms []*chat.Message, es []Event) error
	// EventsAfter lists roomID's events with seq > afterSeq in seq order.
	EventsAfter(ctx context.Context, roomID string, afterSeq int64, limit int) ([]Event, error)
	// RecentEvents lists up to limit of roomID's events of type typ made at
	// or after since, newest first.
	RecentEvents(ctx context.Context, roomID, typ string, since time.Time, limit int) ([]Event, error)
}
