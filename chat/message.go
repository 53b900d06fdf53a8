package chat

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/einsatzraum/einsatzraum/geo"
)

// Kind is the kind of a message; it says which fields it carries.
type Kind string

// The message kinds of API.md.
const (
	KindText     Kind = "text"
	KindLocation Kind = "location"
	KindPOI      Kind = "poi"
	KindPhoto    Kind = "photo"
	KindFile     Kind = "file"
	KindAudio    Kind = "audio"
	KindVideo    Kind = "video"
)

// Limits on what a message may hold.
const (
	MaxTextBytes     = 8 << 10 // 8 KiB of UTF-8 text
	MaxClientIDBytes = 64
	MaxRefBytes      = 64
	MaxNameRunes     = 120
)

// Location is a point on the map a message refers to.
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Ref points at another object (a POI or an attachment) by ID.
type Ref struct {
	ID string `json:"id"`
	// What a message tells of its attachment, so that a phone can warn
	// before it downloads a 500 MB video (filled by the server).
	MIME string `json:"mime,omitempty"`
	Size int64  `json:"size,omitempty"`
	Name string `json:"name,omitempty"`
}

// Version is an earlier state of an edited or deleted message.
type Version struct {
	Text       string    `json:"text,omitempty"`
	Attachment *Ref      `json:"attachment,omitempty"`
	Location   *Location `json:"location,omitempty"`
	Until      time.Time `json:"until"` // when it was replaced
}

// Quote is what a reply shows of the message it answers.
type Quote struct {
	ID     string  `json:"id"`
	Sender UserRef `json:"sender"`
	Text   string  `json:"text,omitempty"` // the start of its text
	Kind   Kind    `json:"kind"`
}

// MaxMentions bounds the users one message mentions.
const MaxMentions = 50

// UserRef names a user the way clients show them.
type UserRef struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Callsign string `json:"callsign"`
}

// Draft is a message as a client sends it, before it is stored.
type Draft struct {
	Kind       Kind      `json:"kind"`
	Text       string    `json:"text,omitempty"`
	Location   *Location `json:"location,omitempty"`
	POI        *Ref      `json:"poi,omitempty"`
	Attachment *Ref      `json:"attachment,omitempty"`
	ClientID   string    `json:"client_id,omitempty"`
	// Priority is normal (""), urgent or flash; AckRequired asks every
	// member to take note (an order).
	Priority    string `json:"priority,omitempty"`
	AckRequired bool   `json:"ack_required,omitempty"`
	// ReplyTo is the ID of the message of the same chat this one answers;
	// Mentions are users of the chat it names.
	ReplyTo  string   `json:"reply_to,omitempty"`
	Mentions []string `json:"mentions,omitempty"`
}

// Message priorities.
const (
	PriorityNormal = "normal"
	PriorityUrgent = "urgent"
	PriorityFlash  = "flash"
)

// Message is a stored message. Seq is the room event sequence number of its
// message.created event, so messages of a chat sort by Seq.
type Message struct {
	ID         string    `json:"id"`
	Room       string    `json:"room"`
	Chat       string    `json:"chat"`
	Seq        int64     `json:"seq"`
	Sender     UserRef   `json:"sender"`
	Kind       Kind      `json:"kind"`
	Text       string    `json:"text,omitempty"`
	Location   *Location `json:"location,omitempty"`
	POI        *Ref      `json:"poi,omitempty"`
	Attachment *Ref      `json:"attachment,omitempty"`
	ClientID   string    `json:"client_id,omitempty"`
	// Priority is normal, urgent or flash; AckRequired: members are asked
	// to take note.
	Priority    string     `json:"priority,omitempty"`
	AckRequired bool       `json:"ack_required,omitempty"`
	ReplyTo     *Quote     `json:"reply_to,omitempty"`
	Mentions    []string   `json:"mentions,omitempty"`
	EditedAt    *time.Time `json:"edited_at,omitempty"`
	Deleted     bool       `json:"deleted,omitempty"`
	// Versions are the earlier texts of an edited or deleted message, for
	// auditors only (members never get them).
	Versions  []Version `json:"versions,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks a draft against the rules of its kind: a text message has
// non-blank text; a location message a valid location; poi, photo, file,
// audio and video messages a reference; text is a caption on the others.
// Errors are *InputError with a code naming the problem.
func (d *Draft) Validate() error {
	if !utf8.ValidString(d.Text) {
		return invalid("invalid_text", "text must be valid UTF-8")
	}
	if len(d.Text) > MaxTextBytes {
		return invalid("text_too_long", fmt.Sprintf("text must be at most %d bytes", MaxTextBytes))
	}
	if len(d.ClientID) > MaxClientIDBytes {
		return invalid("invalid_client_id", fmt.Sprintf("client_id must be at most %d bytes", MaxClientIDBytes))
	}
	switch d.Priority {
	case "", PriorityNormal, PriorityUrgent, PriorityFlash:
	default:
		return invalid("invalid_priority", "priority must be normal, urgent or flash")
	}
	if len(d.Mentions) > MaxMentions {
		return invalid("too_many_mentions", fmt.Sprintf("at most %d mentions", MaxMentions))
	}
	switch d.Kind {
	case KindText:
		if strings.TrimSpace(d.Text) == "" {
			return invalid("empty_text", "a text message needs non-blank text")
		}
	case KindLocation:
		if d.Location == nil {
			return invalid("missing_location", "a location message needs location {lat, lon}")
		}
		if err := geo.ValidateLatLon(d.Location.Lat, d.Location.Lon); err != nil {
			return err
		}
	case KindPOI:
		if err := validRef("poi", d.POI); err != nil {
			return err
		}
	case KindPhoto, KindFile, KindAudio, KindVideo:
		if err := validRef("attachment", d.Attachment); err != nil {
			return err
		}
	case "":
		return invalid("missing_kind", "kind is required")
	default:
		return invalid("invalid_kind", fmt.Sprintf("unknown kind %q (want text, location, poi, photo, file, audio or video)", d.Kind))
	}
	if d.Location != nil && d.Kind != KindLocation {
		if err := geo.ValidateLatLon(d.Location.Lat, d.Location.Lon); err != nil {
			return err
		}
	}
	return nil
}

func validRef(field string, r *Ref) error {
	if r == nil || r.ID == "" {
		return invalid("missing_"+field, fmt.Sprintf("this kind needs %s {id}", field))
	}
	if len(r.ID) > MaxRefBytes {
		return invalid("invalid_"+field, field+" id is too long")
	}
	return nil
}

// ValidateName checks a chat or room name: non-blank, valid UTF-8, at most
// MaxNameRunes characters. field is used in the error code.
func ValidateName(field, name string) error {
	if !utf8.ValidString(name) {
		return invalid("invalid_"+field, field+" must be valid UTF-8")
	}
	if strings.TrimSpace(name) == "" {
		return invalid("missing_"+field, field+" must not be blank")
	}
	if utf8.RuneCountInString(name) > MaxNameRunes {
		return invalid(field+"_too_long", fmt.Sprintf("%s must be at most %d characters", field, MaxNameRunes))
	}
	return nil
}
