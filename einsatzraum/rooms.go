package einsatzraum

import (
	"context"
	"fmt"
	"strings"

	"github.com/einsatzraum/einsatzraum/chat"
)

// MaxDescriptionLen bounds a room's description.
const MaxDescriptionLen = 2000

// CreateRoom opens a room; the caller becomes its lead.
func (s *Service) CreateRoom(ctx context.Context, a *Actor, name, description string) (*Room, error) {
	if err := chat.ValidateName("name", name); err != nil {
		return nil, err
	}
	if err := checkText("description", description, 0, MaxDescriptionLen); err != nil {
		return nil, err
	}
	r := &Room{ID: NewID("rm"), Name: strings.TrimSpace(name), Description: strings.TrimSpace(description), MyRole: RoleLead}
	err := s.update(ctx, "create_room", func(w *write) error {
		r.CreatedAt = w.now
		if err := w.CreateRoom(ctx, r); err != nil {
			return err
		}
		if err := w.PutMember(ctx, r.ID, a.User.ID, RoleLead, w.now); err != nil {
			return err
		}
		seq, err := w.emit(ctx, r.ID, EventMemberUpdated, "", a.User.ID, map[string]any{
			"member": Member{User: a.User.Ref(), Role: RoleLead},
		})
		r.Seq = seq
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create room: %w", err)
	}
	s.membershipChanged(r.ID, a.User.ID, true)
	return r, nil
}

// Rooms lists the rooms the caller is a member of.
func (s *Service) Rooms(ctx context.Context, a *Actor) ([]Room, error) {
	var rooms []Room
	err := s.view(ctx, "rooms", func(tx Tx) (err error) {
		rooms, err = tx.RoomsOfUser(ctx, a.User.ID)
		return err
	})
	return rooms, err
}

// Room returns one room with the caller's role; 404 room_not_found for
// rooms the caller is not a member of.
func (s *Service) Room(ctx context.Context, a *Actor, roomID string) (*Room, error) {
	var r *Room
	err := s.view(ctx, "room", func(tx Tx) error {
		role, err := requireRoom(ctx, tx, a, roomID, ActViewRoom)
		if err != nil {
			return err
		}
		r, err = tx.RoomByID(ctx, roomID)
		if err != nil {
			return notFound(err, "room_not_found", "no such room")
		}
		r.MyRole = role
		return nil
	})
	return r, err
}

// RoomRole returns the caller's role in a room; 404 room_not_found when none.
func (s *Service) RoomRole(ctx context.Context, a *Actor, roomID string) (RoomRole, error) {
	var role RoomRole
	err := s.view(ctx, "room_role", func(tx Tx) (err error) {
		role, err = requireRoom(ctx, tx, a, roomID, ActViewRoom)
		return err
	})
	return role, err
}

// Members lists a room's members with their roles.
func (s *Service) Members(ctx context.Context, a *Actor, roomID string) ([]Member, error) {
	var ms []Member
	err := s.view(ctx, "members", func(tx Tx) error {
		if _, err := requireRoom(ctx, tx, a, roomID, ActViewRoom); err != nil {
			return err
		}
		var err error
		ms, err = tx.Members(ctx, roomID)
		return err
	})
	return ms, err
}

// PutMember adds userID to the room or changes their role (leads only).
// Demoting the last lead is 409 last_lead. Demoting to observer takes
// write and manage away in every chat of the room.
func (s *Service) PutMember(ctx context.Context, a *Actor, roomID, userID string, role RoomRole) (*Member, error) {
	if !ValidRoomRole(role) {
		return nil, Errorf(KindInvalid, "invalid_role", "role must be lead, member or observer")
	}
	var m *Member
	err := s.update(ctx, "put_member", func(w *write) error {
		if _, err := requireRoom(ctx, w, a, roomID, ActManageRoomMembers); err != nil {
			return err
		}
		u, err := userByID(ctx, w, userID)
		if err != nil {
			return err
		}
		old, err := w.RoomRole(ctx, roomID, userID)
		if err != nil && !IsNotFound(err) {
			return err
		}
		if old == role {
			m = &Member{User: u.Ref(), Role: role}
			return nil
		}
		if old == RoleLead {
			if err := requireAnotherLead(ctx, w, roomID); err != nil {
				return err
			}
		}
		if err := w.PutMember(ctx, roomID, userID, role, w.now); err != nil {
			return err
		}
		if role == RoleObserver {
			if err := limitChatRights(ctx, w, roomID, userID, MaxChatPermission(role)); err != nil {
				return err
			}
		}
		m = &Member{User: u.Ref(), Role: role}
		_, err = w.emit(ctx, roomID, EventMemberUpdated, "", userID, map[string]any{"member": m})
		return err
	})
	if err == nil {
		s.membershipChanged(roomID, userID, true)
	}
	return m, err
}

// RemoveMember removes userID from the room and all its chats. Leads remove
// anyone; every member may leave. Removing the last lead is 409 last_lead.
func (s *Service) RemoveMember(ctx context.Context, a *Actor, roomID, userID string) error {
	err := s.update(ctx, "remove_member", func(w *write) error {
		act := ActManageRoomMembers
		if userID == a.User.ID {
			act = ActViewRoom
		}
		if _, err := requireRoom(ctx, w, a, roomID, act); err != nil {
			return err
		}
		old, err := w.RoomRole(ctx, roomID, userID)
		if err != nil {
			return notFound(err, "member_not_found", "no such member in this room")
		}
		if old == RoleLead {
			if err := requireAnotherLead(ctx, w, roomID); err != nil {
				return err
			}
		}
		chats, err := w.ChatsOfUser(ctx, roomID, userID)
		if err != nil {
			return err
		}
		for _, c := range chats {
			if c.MyPermissions.Has(chat.Manage) {
				if err := requireManagerLeft(ctx, w, c.ID); err != nil {
					return err
				}
			}
			if err := w.DeleteChatMember(ctx, c.ID, userID); err != nil {
				return err
			}
			seq, err := w.emit(ctx, roomID, EventChatMemberRemoved, c.ID, userID, map[string]any{"chat": c.ID, "user": userID})
			if err != nil {
				return err
			}
			if err := w.OpenChatGap(ctx, c.ID, userID, seq); err != nil {
				return err
			}
		}
		if err := w.DeleteMember(ctx, roomID, userID); err != nil {
			return err
		}
		_, err = w.emit(ctx, roomID, EventMemberRemoved, "", userID, map[string]any{"user": userID})
		return err
	})
	if err == nil {
		s.membershipChanged(roomID, userID, false)
	}
	return err
}

// limitChatRights cuts userID's rights in every chat of roomID down to max.
func limitChatRights(ctx context.Context, w *write, roomID, userID string, max chat.Permission) error {
	chats, err := w.ChatsOfUser(ctx, roomID, userID)
	if err != nil {
		return err
	}
	for _, c := range chats {
		p := c.MyPermissions & max
		if p == c.MyPermissions {
			continue
		}
		if c.MyPermissions.Has(chat.Manage) && !p.Has(chat.Manage) {
			if err := requireManagerLeft(ctx, w, c.ID); err != nil {
				return err
			}
		}
		if err := w.PutChatMember(ctx, c.ID, userID, p); err != nil {
			return err
		}
		u, err := w.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if _, err := w.emit(ctx, roomID, EventChatMemberUpdated, c.ID, userID, map[string]any{
			"chat": c.ID, "member": ChatMember{User: u.Ref(), Permissions: p},
		}); err != nil {
			return err
		}
	}
	return nil
}

func requireAnotherLead(ctx context.Context, tx Tx, roomID string) error {
	n, err := tx.CountLeads(ctx, roomID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return Errorf(KindConflict, "last_lead", "a room needs at least one lead; name another lead first")
	}
	return nil
}

// requireRoom returns the caller's role in roomID if they may do act there.
// Non-members get 404 room_not_found (never a hint that the room exists);
// members without the right get 403.
func requireRoom(ctx context.Context, tx Tx, a *Actor, roomID string, act Action) (RoomRole, error) {
	if !validID(roomID) {
		return "", Errorf(KindNotFound, "room_not_found", "no such room")
	}
	role, err := tx.RoomRole(ctx, roomID, a.User.ID)
	if err != nil {
		return "", notFound(err, "room_not_found", "no such room")
	}
	if !Allowed(act, role, 0) {
		return role, Errorf(KindForbidden, "forbidden_"+act.String(), "your room role %s does not allow %s", role, act)
	}
	return role, requireActiveRoom(ctx, tx, roomID, act)
}

func userByID(ctx context.Context, tx Tx, userID string) (*User, error) {
	if !validID(userID) {
		return nil, Errorf(KindNotFound, "user_not_found", "no such user")
	}
	u, err := tx.UserByID(ctx, userID)
	return u, notFound(err, "user_not_found", "no such user")
}
