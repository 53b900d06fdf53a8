package web

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// openAPI serves the OpenAPI 3 document of every route in the route table.
func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(s.openapi)
}

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func listOf(name string) obj {
	return obj{"type": "object", "required": []string{"items"}, "properties": obj{"items": obj{"type": "array", "items": ref(name)}}}
}

func str() obj                { return obj{"type": "string"} }
func strEnum(v ...string) obj { return obj{"type": "string", "enum": v} }
func num() obj                { return obj{"type": "number"} }
func integer() obj            { return obj{"type": "integer"} }
func timestamp() obj          { return obj{"type": "string", "format": "date-time"} }
func object(props obj, required ...string) obj {
	o := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// schemas are the request and reply bodies named in the route table.
func schemas() obj {
	perms := obj{"type": "array", "items": strEnum("read", "write", "manage")}
	userRef := object(obj{"id": str(), "name": str(), "callsign": str()}, "id", "name", "callsign")
	return obj{
		"Error": object(obj{"error": object(obj{"code": str(), "message": str()}, "code", "message")}, "error"),
		"Login": object(obj{"email": str(), "password": str(), "device_name": str()}, "email", "password"),
		"User": object(obj{"id": str(), "email": str(), "name": str(), "callsign": str(),
			"roles": obj{"type": "array", "items": strEnum("admin", "data_admin", "auditor")}, "created_at": timestamp()}, "id", "email", "name", "roles"),
		"NewUser": object(obj{"email": str(), "name": str(), "callsign": str(), "password": str(),
			"roles": obj{"type": "array", "items": strEnum("admin", "data_admin", "auditor")}}, "email", "name", "password"),
		"Device": object(obj{"id": str(), "user": str(), "name": str(), "created_at": timestamp(),
			"last_seen_at": timestamp(), "revoked_at": timestamp()}, "id", "user", "name"),
		"DeviceList":  listOf("Device"),
		"LoginResult": object(obj{"token": str(), "user": ref("User"), "device": ref("Device")}, "token", "user", "device"),
		"UserRef":     userRef,
		"NewRoom":     object(obj{"name": str(), "description": str()}, "name"),
		"Room": object(obj{"id": str(), "name": str(), "description": str(), "seq": integer(),
			"my_role": strEnum("lead", "member", "observer"), "created_at": timestamp(), "archived_at": timestamp()}, "id", "name", "seq"),
		"RoomPatch":        object(obj{"name": str(), "description": str(), "archived": obj{"type": "boolean"}}),
		"ChatPatch":        object(obj{"name": str()}, "name"),
		"UserRefList":      listOf("UserRef"),
		"MessageReadState": object(obj{"read": obj{"type": "array", "items": object(obj{"user": str(), "at": timestamp()}, "user", "at")}, "unread": obj{"type": "array", "items": str()}}, "read", "unread"),
		"RoomList":         listOf("Room"),
		"RoleBody":         object(obj{"role": strEnum("lead", "member", "observer")}, "role"),
		"Member":           object(obj{"user": ref("UserRef"), "role": strEnum("lead", "member", "observer")}, "user", "role"),
		"MemberList":       listOf("Member"),
		"NewChat":          object(obj{"name": str(), "members": obj{"type": "array", "items": str()}}, "name"),
		"Chat": object(obj{"id": str(), "room": str(), "name": str(), "created_by": str(), "created_at": timestamp(),
			"my_permissions": perms}, "id", "room", "name"),
		"ChatList":        listOf("Chat"),
		"PermissionsBody": object(obj{"permissions": perms}, "permissions"),
		"ChatMember":      object(obj{"user": ref("UserRef"), "permissions": perms}, "user", "permissions"),
		"ChatMemberList":  listOf("ChatMember"),
		"Location":        object(obj{"lat": num(), "lon": num()}, "lat", "lon"),
		"IDRef":           object(obj{"id": str()}, "id"),
		"NewMessage": object(obj{"kind": strEnum("text", "location", "poi", "photo", "file", "audio", "video"),
			"text": str(), "location": ref("Location"), "poi": ref("IDRef"), "attachment": ref("IDRef"), "client_id": str(),
			"priority": strEnum("normal", "urgent", "flash"), "ack_required": obj{"type": "boolean"},
			"reply_to": str(), "mentions": obj{"type": "array", "items": str()}}, "kind"),
		"Message": object(obj{"id": str(), "room": str(), "chat": str(), "seq": integer(), "sender": ref("UserRef"),
			"kind": str(), "text": str(), "location": ref("Location"), "poi": ref("IDRef"), "attachment": ref("IDRef"),
			"client_id": str(), "priority": strEnum("normal", "urgent", "flash"), "ack_required": obj{"type": "boolean"},
			"reply_to": object(obj{"id": str(), "sender": ref("UserRef"), "text": str(), "kind": str()}, "id"),
			"mentions": obj{"type": "array", "items": str()}, "created_at": timestamp()}, "id", "room", "chat", "seq", "sender", "kind", "created_at"),
		"EditMessage":    object(obj{"text": str()}, "text"),
		"ReadBody":       object(obj{"seq": integer()}, "seq"),
		"ReadMarkerList": listOf("ReadMarker"),
		"ReadMarker":     object(obj{"user": str(), "seq": integer(), "at": timestamp()}, "user", "seq", "at"),
		"NewBroadcast": object(obj{"chats": obj{"type": "array", "items": str()}, "text": str(), "priority": strEnum("normal", "urgent", "flash"),
			"ack_required": obj{"type": "boolean"}}, "chats"),
		"AckState": object(obj{"acked": obj{"type": "array", "items": object(obj{"user": str(), "at": timestamp()}, "user", "at")},
			"pending": obj{"type": "array", "items": str()}}, "acked", "pending"),
		"AuditLog": object(obj{"items": obj{"type": "array", "items": object(obj{"id": obj{"type": "integer"}, "at": timestamp(),
			"actor": str(), "action": str(), "target": str(), "detail": str()}, "id", "at", "action")}, "next_cursor": str()}, "items"),
		"MessageList":    object(obj{"items": obj{"type": "array", "items": ref("Message")}, "next_cursor": str()}, "items"),
		"Position":       object(obj{"lat": num(), "lon": num(), "accuracy_m": num(), "heading": num(), "speed_mps": num(), "ts": timestamp()}, "lat", "lon", "ts"),
		"PositionReport": object(obj{"items": obj{"type": "array", "items": ref("Position")}}, "items"),
		"PositionReply": object(obj{"accepted": integer(), "rejected": obj{"type": "array", "items": object(obj{
			"index": integer(), "field": str(), "code": str(), "message": str()})}}, "accepted"),
		"FeatureCollection": object(obj{"type": strEnum("FeatureCollection"), "features": obj{"type": "array", "items": object(obj{
			"type": strEnum("Feature"), "id": str(), "geometry": obj{"type": "object"}, "properties": obj{"type": "object"}})}}, "type", "features"),
		"ForceList": listOf("Force"),
		"NewAlarm":  object(obj{"kind": strEnum("emergency", "officer_down"), "lat": num(), "lon": num(), "text": str()}),
		"Alarm": object(obj{"id": str(), "room": str(), "user": str(), "kind": str(), "state": strEnum("open", "cancelled"),
			"lat": num(), "lon": num(), "text": str(), "acks": obj{"type": "array", "items": object(obj{"user": str(), "at": timestamp()}, "user", "at")},
			"cancelled_by": str(), "created_at": timestamp(), "updated_at": timestamp()}, "id", "room", "user", "kind", "state", "acks", "created_at"),
		"AlarmList": listOf("Alarm"),
		"Force": object(obj{"user": ref("UserRef"), "role": strEnum("lead", "member", "observer"), "state": strEnum("live", "stale", "offline"),
			"last_seen": timestamp(), "lat": num(), "lon": num(), "heading": num(), "speed_mps": num()}, "user", "role", "state"),
		"Extent": object(obj{"bbox": obj{"type": "array", "items": num(), "minItems": 4, "maxItems": 4}, "count": integer()}, "bbox", "count"),
		"Attachment": object(obj{"id": str(), "room": str(), "chat": str(), "uploader": str(), "kind": str(), "mime": str(),
			"size": integer(), "sha256": str(), "name": str(), "thumbnail": obj{"type": "boolean"}, "location": ref("Location"),
			"created_at": timestamp()}, "id", "mime", "size", "sha256"),
		"Layer": object(obj{"id": str(), "name": str(), "version": integer(), "count": integer(),
			"bbox": obj{"type": "array", "items": num()}, "updated_at": timestamp()}, "id", "name", "count", "bbox"),
		"LayerList": listOf("Layer"),
		"NewPOI":    object(obj{"name": str(), "category": str(), "lat": num(), "lon": num(), "description": str()}, "name", "category", "lat", "lon"),
		"POI": object(obj{"id": str(), "room": str(), "name": str(), "category": str(), "lat": num(), "lon": num(),
			"description": str(), "created_by": str(), "created_at": timestamp()}, "id", "room", "name", "lat", "lon"),
	}
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// queryParams names the query parameters of the routes that take some.
var queryParams = map[string][]string{
	"GET /chats/{chat}/messages":         {"after_seq", "cursor", "limit", "order", "before_seq"},
	"GET /rooms/{room}/positions":        {"bbox", "chat"},
	"GET /rooms/{room}/positions/extent": {"chat"},
	"GET /rooms/{room}/forces":           {"q"},
	"GET /rooms/{room}/alarms":           {"state"},
	"GET /rooms/{room}/positions/nearby": {"lat", "lon", "radius_m", "limit"},
	"GET /rooms/{room}/pois":             {"bbox"},
	"GET /rooms/{room}/tracks":           {"user", "from", "to"},
	"GET /rooms/{room}/export.kml":       {"from", "to"},
	"GET /users":                         {"q", "limit"},
	"GET /geocode":                       {"q", "lat", "lon", "limit"},
}

// buildOpenAPI renders the document for routes.
func buildOpenAPI(routes []route) []byte {
	paths := obj{}
	errResp := obj{"description": "error", "content": obj{"application/json": obj{"schema": ref("Error")}}}
	for _, r := range routes {
		item, _ := paths[r.path].(obj)
		if item == nil {
			item = obj{}
			paths[r.path] = item
		}
		op := obj{"summary": r.summary, "operationId": operationID(r)}
		var params []obj
		for _, m := range pathParam.FindAllStringSubmatch(r.path, -1) {
			params = append(params, obj{"name": m[1], "in": "path", "required": true, "schema": str()})
		}
		for _, q := range queryParams[r.method+" "+r.path[len("/api/v1"):]] {
			params = append(params, obj{"name": q, "in": "query", "schema": str()})
		}
		if params != nil {
			op["parameters"] = params
		}
		if r.body != "" {
			op["requestBody"] = obj{"required": true, "content": obj{"application/json": obj{"schema": ref(r.body)}}}
		}
		ok := obj{"description": "success"}
		if r.reply != "" {
			ok["content"] = obj{"application/json": obj{"schema": ref(r.reply)}}
		}
		op["responses"] = obj{strconv.Itoa(r.status): ok, "4XX": errResp}
		if r.public {
			op["security"] = []obj{}
		}
		item[strings.ToLower(r.method)] = op
	}
	doc := obj{
		"openapi": "3.0.3",
		"info": obj{"title": "Einsatzraum API", "version": "1",
			"description": "Operation rooms, chats, messages, live positions and data layers for police forces. See API.md."},
		"servers":    []obj{{"url": "/"}},
		"security":   []obj{{"bearer": []string{}}},
		"paths":      paths,
		"components": obj{"schemas": schemas(), "securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer"}}},
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return b
}

func operationID(r route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(r.method))
	for _, seg := range strings.Split(strings.TrimPrefix(r.path, "/api/v1/"), "/") {
		seg = strings.Trim(seg, "{}")
		for _, part := range strings.Split(seg, "_") {
			if part != "" {
				b.WriteString(strings.ToUpper(part[:1]) + part[1:])
			}
		}
	}
	return b.String()
}
