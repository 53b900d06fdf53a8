package einsatzraum

import (
	"context"
	"strings"

	"github.com/einsatzraum/einsatzraum/chat"
)

// MaxChatMembersAtCreate bounds the member list of a new chat.
const MaxChatMembersAtCreate = 1000

// CreateChat opens a chat in a room. Any room member but observers may;
// the creator gets all rights, the members named read and write (observers
// read only). Every member named must be a member of the room (400
// not_room_member).
func (s *Service) CreateChat(ctx context.Context, a *Actor, roomID, name string, memberIDs []string) (*Chat, error) {
	if err := chat.ValidateName("name", name); err != nil {
		return nil, err
	}
	if len(memberIDs) > MaxChatMembersAtCreate {
		return nil, Errorf(KindInvalid, "too_many_members", "at most %d members at creation", MaxChatMembersAtCreate)
	}
	c := &Chat{ID: NewID("ch"), Room: roomID, Name: strings.TrimSpace(name), CreatedBy: a.User.ID, MyPermissions: chat.All}
	err := s.update(ctx, "create_chat", func(w *write) error {
		if _, err := requireRoom(ctx, w, a, roomID, ActCreateChat); err != nil {
			return err
		}
		c.CreatedAt = w.now
		if err := w.CreateChat(ctx, c); err != nil {
			return err
		}
		members := []ChatMember{{User: a.User.Ref(), Permissions: chat.All}}
		if err := w.PutChatMember(ctx, c.ID, a.User.ID, chat.All); err != nil {
			return err
		}
		seen := map[string]bool{a.User.ID: true}
		for _, id := range memberIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			m, err := newChatMember(ctx, w, roomID, id, chat.Read|chat.Write)
			if err != nil {
				return err
			}
			if err := w.PutChatMember(ctx, c.ID, id, m.Permissions); err != nil {
				return err
			}
			members = append(members, *m)
		}
		_, err := w.emit(ctx, roomID, EventChatCreated, c.ID, "", map[string]any{"chat": c, "members": members})
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// newChatMember checks that userID is a member of roomID and returns their
// chat membership with want cut to what their room role allows.
func newChatMember(ctx context.Context, tx Tx, roomID, userID string, want chat.Permission) (*ChatMember, error) {
	if !validID(userID) {
		return nil, Errorf(KindInvalid, "not_room_member", "user %q is not a member of this room", userID)
	}
	role, err := tx.RoomRole(ctx, roomID, userID)
	if IsNotFound(err) {
		return nil, Errorf(KindInvalid, "not_room_member", "user %q is not a member of this room", userID)
	}
	if err != nil {
		return nil, err
	}
	u, err := tx.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &ChatMember{User: u.Ref(), Permissions: want & MaxChatPermission(role)}, nil
}

// Chats lists the chats of a room the caller belongs to.
func (s *Service) Chats(ctx context.Context, a *Actor, roomID string) ([]Chat, error) {
	var cs []Chat
	err := s.view(ctx, "chats", func(tx Tx) error {
		if _, err := requireRoom(ctx, tx, a, roomID, ActViewRoom); err != nil {
			return err
		}
		var err error
		if cs, err = tx.ChatsOfUser(ctx, roomID, a.User.ID); err != nil {
			return err
		}
		for i := range cs {
			if cs[i].Unread, err = tx.UnreadCount(ctx, cs[i].ID, a.User.ID, s.VisibleSince()); err != nil {
				return err
			}
		}
		return nil
	})
	return cs, err
}

// ChatMembers lists a chat's members and their rights; needs read.
func (s *Service) ChatMembers(ctx context.Context, a *Actor, chatID string) ([]ChatMember, error) {
	var ms []ChatMember
	err := s.view(ctx, "chat_members", func(tx Tx) error {
		if _, err := requireChat(ctx, tx, a, chatID, ActReadChat); err != nil {
			return err
		}
		var err error
		ms, err = tx.ChatMembers(ctx, chatID)
		return err
	})
	return ms, err
}

// PutChatMember adds a room member to a chat or changes their rights; needs
// manage. Granting an observer more than read is 409 observer_read_only;
// taking manage from the last manager is 409 last_manager.
func (s *Service) PutChatMember(ctx context.Context, a *Actor, chatID, userID string, perm chat.Permission) (*ChatMember, error) {
	if perm == 0 {
		return nil, Errorf(KindInvalid, "invalid_permissions", "permissions must name at least read")
	}
	perm |= chat.Read
	var m *ChatMember
	err := s.update(ctx, "put_chat_member", func(w *write) error {
		c, err := requireChat(ctx, w, a, chatID, ActManageChat)
		if err != nil {
			return err
		}
		m, err = newChatMember(ctx, w, c.Room, userID, perm)
		if err != nil {
			return err
		}
		if m.Permissions != perm {
			return Errorf(KindConflict, "observer_read_only", "an observer of the room can only read")
		}
		old, err := w.ChatPermission(ctx, chatID, userID)
		if err != nil && !IsNotFound(err) {
			return err
		}
		if old == perm {
			return nil
		}
		if old.Has(chat.Manage) && !perm.Has(chat.Manage) {
			if err := requireAnotherManager(ctx, w, chatID); err != nil {
				return err
			}
		}
		if err := w.PutChatMember(ctx, chatID, userID, perm); err != nil {
			return err
		}
		seq, err := w.emit(ctx, c.Room, EventChatMemberUpdated, chatID, userID, map[string]any{"chat": chatID, "member": m})
		if err != nil || old != 0 {
			return err
		}
		return w.CloseChatGap(ctx, chatID, userID, seq) // back in the chat: the time out stays hidden
	})
	return m, err
}

// RemoveChatMember removes userID from a chat; needs manage, except that
// every member may leave. Removing the last manager is 409 last_manager.
func (s *Service) RemoveChatMember(ctx context.Context, a *Actor, chatID, userID string) error {
	return s.update(ctx, "remove_chat_member", func(w *write) error {
		act := ActManageChat
		if userID == a.User.ID {
			act = ActReadChat
		}
		c, err := requireChat(ctx, w, a, chatID, act)
		if err != nil {
			return err
		}
		old, err := w.ChatPermission(ctx, chatID, userID)
		if err != nil {
			return notFound(err, "member_not_found", "no such member in this chat")
		}
		if old.Has(chat.Manage) {
			if err := requireAnotherManager(ctx, w, chatID); err != nil {
				return err
			}
		}
		if err := w.DeleteChatMember(ctx, chatID, userID); err != nil {
			return err
		}
		seq, err := w.emit(ctx, c.Room, EventChatMemberRemoved, chatID, userID, map[string]any{"chat": chatID, "user": userID})
		if err != nil {
			return err
		}
		return w.OpenChatGap(ctx, chatID, userID, seq)
	})
}

// requireManagerLeft refuses to take manage from a chat's only manager
// while others are in the chat (409 last_manager): the chat would be left
// with members nobody can add to or take rights from. A manager alone in
// a chat may leave it.
func requireManagerLeft(ctx context.Context, tx Tx, chatID string) error {
	ms, err := tx.ChatMembers(ctx, chatID)
	if err != nil {
		return err
	}
	if len(ms) <= 1 {
		return nil
	}
	return requireAnotherManager(ctx, tx, chatID)
}

func requireAnotherManager(ctx context.Context, tx Tx, chatID string) error {
	n, err := tx.CountChatManagers(ctx, chatID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return Errorf(KindConflict, "last_manager", "a chat needs at least one member with manage; grant it to another member first")
	}
	return nil
}

// requireChat returns the chat, with the caller's rights in MyPermissions,
// if the caller may do act there. Non-members of the chat get 404
// chat_not_found; members without the right get 403.
func requireChat(ctx context.Context, tx Tx, a *Actor, chatID string, act Action) (*Chat, error) {
	if !validID(chatID) {
		return nil, Errorf(KindNotFound, "chat_not_found", "no such chat")
	}
	acc, err := tx.ChatAccess(ctx, chatID, a.User.ID)
	if err != nil {
		return nil, notFound(err, "chat_not_found", "no such chat")
	}
	c := &acc.Chat
	c.MyPermissions = acc.Permission & MaxChatPermission(acc.Role)
	if !Allowed(act, acc.Role, acc.Permission) {
		return nil, Errorf(KindForbidden, "forbidden_"+act.String(), "your rights in this chat do not allow %s", act)
	}
	if acc.Archived && !allowedWhenArchived(act) {
		return nil, errRoomArchived()
	}
	return c, nil
}
