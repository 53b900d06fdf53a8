package einsatzraum

import "github.com/einsatzraum/einsatzraum/chat"

// Action is something a user may try in a room or chat. The rules below are
// the whole permission model of rooms and chats, kept as pure functions so
// that a table test can check every role against every action.
type Action int

// The actions the rules decide.
const (
	ActViewRoom          Action = iota // see the room, its members, its room-level events
	ActManageRoomMembers               // add, change, remove room members
	ActCreateChat                      // open a chat in the room
	ActReadChat                        // read a chat's messages and members
	ActPostMessage                     // post into a chat
	ActManageChat                      // add, remove members of a chat, grant and revoke rights
	ActEditMap                         // add and delete POIs
	ActManageRoom                      // rename, describe, archive and restore the room
)

func (a Action) String() string {
	return [...]string{"view_room", "manage_room_members", "create_chat", "read_chat", "post_message", "manage_chat", "edit_map", "manage_room"}[a]
}

// Allowed decides whether a user with room role role (empty: not a member)
// and chat rights perm (zero: not a chat member, or not about a chat) may
// do act. Global roles grant nothing here: an admin who is no member of a
// room sees nothing of it.
func Allowed(act Action, role RoomRole, perm chat.Permission) bool {
	if !ValidRoomRole(role) {
		return false
	}
	switch act {
	case ActViewRoom:
		return true
	case ActManageRoomMembers:
		return role == RoleLead
	case ActCreateChat:
		return role != RoleObserver
	case ActReadChat:
		return perm.Has(chat.Read)
	case ActPostMessage:
		return role != RoleObserver && perm.Has(chat.Write)
	case ActManageChat:
		return role != RoleObserver && perm.Has(chat.Manage)
	case ActEditMap:
		return role != RoleObserver
	case ActManageRoom:
		return role == RoleLead
	}
	return false
}

// MaxChatPermission is the most a member with room role role can hold in
// a chat: observers only read.
func MaxChatPermission(role RoomRole) chat.Permission {
	switch role {
	case RoleLead, RoleMember:
		return chat.All
	case RoleObserver:
		return chat.Read
	}
	return 0
}
