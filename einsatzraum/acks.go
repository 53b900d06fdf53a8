package einsatzraum

import (
	"context"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
)

// Acknowledgements: a message can ask its chat's members to take note
// (ack_required, an order); each member acks once; the sender and the
// chat see who has and who has not.

// EventMessageAcked is the room event of an ack, to the chat's members:
// {message, user, at}.
const EventMessageAcked = "message.acked"

// MessageAck is one member's acknowledgement.
type MessageAck struct {
	User string    `json:"user"`
	At   time.Time `json:"at"`
}

// AckState says who of a chat's members took note of a message and who
// has not yet (its sender excepted).
type AckState struct {
	Acked   []MessageAck `json:"acked"`
	Pending []string     `json:"pending"`
}

// AckMessage records that the caller took note of a message of a chat
// they read; a second ack changes nothing. Errors: 404 message_not_found
// (also for chats the caller does not read and messages past the visible
// retention).
func (s *Service) AckMessage(ctx context.Context, a *Actor, messageID string) (*AckState, error) {
	var state *AckState
	err := s.update(ctx, "ack_message", func(w *write) error {
		m, err := s.visibleMessage(ctx, w, a, messageID)
		if err != nil {
			return err
		}
		added, err := w.PutMessageAck(ctx, messageID, a.User.ID, w.now)
		if err != nil {
			return err
		}
		if added {
			if _, err := w.emit(ctx, m.Room, EventMessageAcked, m.Chat, a.User.ID,
				map[string]any{"message": m.ID, "user": a.User.ID, "at": w.now}); err != nil {
				return err
			}
		}
		state, err = ackState(ctx, w, m)
		return err
	})
	return state, err
}

// MessageAcks returns who took note of a message and who has not.
func (s *Service) MessageAcks(ctx context.Context, a *Actor, messageID string) (*AckState, error) {
	var state *AckState
	err := s.view(ctx, "message_acks", func(tx Tx) error {
		m, err := s.visibleMessage(ctx, tx, a, messageID)
		if err != nil {
			return err
		}
		state, err = ackState(ctx, tx, m)
		return err
	})
	return state, err
}

// visibleMessage returns a message the caller may read.
func (s *Service) visibleMessage(ctx context.Context, tx Tx, a *Actor, messageID string) (*chat.Message, error) {
	m, err := tx.MessageByID(ctx, messageID)
	if err != nil {
		return nil, notFound(err, "message_not_found", "no such message")
	}
	if _, err := requireChat(ctx, tx, a, m.Chat, ActReadChat); err != nil || m.CreatedAt.Before(s.VisibleSince()) {
		return nil, Errorf(KindNotFound, "message_not_found", "no such message")
	}
	gaps, err := tx.ChatGaps(ctx, m.Chat, a.User.ID)
	if err != nil {
		return nil, err
	}
	if inGaps(gaps, m.Seq) { // posted while the caller was out of the chat
		return nil, Errorf(KindNotFound, "message_not_found", "no such message")
	}
	return m, nil
}

func ackState(ctx context.Context, tx Tx, m *chat.Message) (*AckState, error) {
	acks, err := tx.MessageAcks(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	members, err := tx.ChatMembers(ctx, m.Chat)
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for _, k := range acks {
		done[k.User] = true
	}
	state := &AckState{Acked: acks, Pending: []string{}}
	for _, cm := range members {
		if cm.User.ID != m.Sender.ID && !done[cm.User.ID] {
			state.Pending = append(state.Pending, cm.User.ID)
		}
	}
	return state, nil
}
