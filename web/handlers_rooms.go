package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/einsatzraum/einsatzraum/chat"
	"github.com/einsatzraum/einsatzraum/einsatzraum"
)

func (s *Server) createRoom(c *fiber.Ctx) error {
	var in struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := s.svc.CreateRoom(c.UserContext(), actor(c), in.Name, in.Description)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (s *Server) rooms(c *fiber.Ctx) error {
	rs, err := s.svc.Rooms(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(items(rs))
}

func (s *Server) room(c *fiber.Ctx) error {
	r, err := s.svc.Room(c.UserContext(), actor(c), c.Params("room"))
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) members(c *fiber.Ctx) error {
	ms, err := s.svc.Members(c.UserContext(), actor(c), c.Params("room"))
	if err != nil {
		return err
	}
	return c.JSON(items(ms))
}

func (s *Server) putMember(c *fiber.Ctx) error {
	var in struct {
		Role einsatzraum.RoomRole `json:"role"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	m, err := s.svc.PutMember(c.UserContext(), actor(c), c.Params("room"), c.Params("user"), in.Role)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (s *Server) removeMember(c *fiber.Ctx) error {
	if err := s.svc.RemoveMember(c.UserContext(), actor(c), c.Params("room"), c.Params("user")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) createChat(c *fiber.Ctx) error {
	var in struct {
		Name    string   `json:"name"`
		Members []string `json:"members"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	ch, err := s.svc.CreateChat(c.UserContext(), actor(c), c.Params("room"), in.Name, in.Members)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ch)
}

func (s *Server) chats(c *fiber.Ctx) error {
	cs, err := s.svc.Chats(c.UserContext(), actor(c), c.Params("room"))
	if err != nil {
		return err
	}
	return c.JSON(items(cs))
}

func (s *Server) chatMembers(c *fiber.Ctx) error {
	ms, err := s.svc.ChatMembers(c.UserContext(), actor(c), c.Params("chat"))
	if err != nil {
		return err
	}
	return c.JSON(items(ms))
}

func (s *Server) putChatMember(c *fiber.Ctx) error {
	var in struct {
		Permissions *chat.Permission `json:"permissions"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Permissions == nil {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "missing_permissions", "permissions is required, e.g. [\"read\",\"write\"]")
	}
	m, err := s.svc.PutChatMember(c.UserContext(), actor(c), c.Params("chat"), c.Params("user"), *in.Permissions)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (s *Server) removeChatMember(c *fiber.Ctx) error {
	if err := s.svc.RemoveChatMember(c.UserContext(), actor(c), c.Params("chat"), c.Params("user")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) postMessage(c *fiber.Ctx) error {
	var d chat.Draft
	if err := decodeJSON(c, &d); err != nil {
		return err
	}
	m, created, err := s.svc.PostMessage(c.UserContext(), actor(c), c.Params("chat"), d)
	if err != nil {
		return err
	}
	status := fiber.StatusCreated
	if !created {
		status = fiber.StatusOK
	}
	return c.Status(status).JSON(m)
}

// messages pages by seq: after_seq (or the opaque cursor of the previous
// page) and limit. next_cursor is set when the page was full.
func (s *Server) messages(c *fiber.Ctx) error {
	if c.Query("order") == "desc" { // newest first: the newest limit, or those before before_seq
		before, err := queryInt(c, "before_seq", 0)
		if err != nil {
			return err
		}
		limit, err := queryLimit(c)
		if err != nil {
			return err
		}
		ms, err := s.svc.MessagesNewestFirst(c.UserContext(), actor(c), c.Params("chat"), before, limit)
		if err != nil {
			return err
		}
		return c.JSON(page(ms, limit, messageSeq))
	}
	if o := c.Query("order"); o != "" && o != "asc" {
		return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_order", "order must be asc or desc")
	}
	after, err := queryInt(c, "after_seq", 0)
	if err != nil {
		return err
	}
	if cur := c.Query("cursor"); cur != "" {
		if after, err = strconv.ParseInt(cur, 10, 64); err != nil {
			return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_cursor", "cursor is not one this server gave out")
		}
	}
	limit, err := queryLimit(c)
	if err != nil {
		return err
	}
	ms, err := s.svc.Messages(c.UserContext(), actor(c), c.Params("chat"), after, limit)
	if err != nil {
		return err
	}
	return c.JSON(page(ms, limit, messageSeq))
}

func messageSeq(m chat.Message) int64 { return m.Seq }

func (s *Server) patchRoom(c *fiber.Ctx) error {
	var in struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
		Archived    *bool   `json:"archived"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := s.svc.UpdateRoom(c.UserContext(), actor(c), c.Params("room"), einsatzraum.RoomPatch{Name: in.Name, Description: in.Description, Archived: in.Archived})
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) patchChat(c *fiber.Ctx) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	ch, err := s.svc.RenameChat(c.UserContext(), actor(c), c.Params("chat"), in.Name)
	if err != nil {
		return err
	}
	return c.JSON(ch)
}

func (s *Server) searchUsers(c *fiber.Ctx) error {
	limit := 0
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return einsatzraum.Errorf(einsatzraum.KindInvalid, "invalid_limit", "limit: a whole number from 1 to 50")
		}
		limit = n
	}
	us, err := s.svc.SearchUsers(c.UserContext(), actor(c), c.Query("q"), limit)
	if err != nil {
		return err
	}
	return c.JSON(items(us))
}
