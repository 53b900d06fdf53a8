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
		"Login": object(obj{"email": str(), "password": str(), "otp": str(), "device_name": str()}, "email", "password"),
		"User": object(obj{"id": str(), "email": str(), "name": str(), "callsign": str(),
			"roles": obj{"type": "array", "items": strEnum("admin", "data_admin", "auditor")}, "state": strEnum("active", "pending", "disabled"),
			"source": strEnum("local", "ldap"), "created_at": timestamp()}, "id", "email", "name", "roles"),
		"UserList":       listOf("User"),
		"Registration":   object(obj{"email": str(), "name": str(), "password": str()}, "email", "name", "password"),
		"Accepted":       object(obj{"status": str()}, "status"),
		"TokenBody":      object(obj{"token": str()}, "token"),
		"EmailBody":      object(obj{"email": str()}, "email"),
		"ResetBody":      object(obj{"token": str(), "password": str()}, "token", "password"),
		"PasswordChange": object(obj{"current": str(), "password": str(), "end_other_devices": obj{"type": "boolean"}}, "current", "password"),
		"TOTPEnrolment":  object(obj{"secret": str(), "uri": str(), "qr": str()}, "secret", "uri", "qr"),
		"CodeBody":       object(obj{"code": str()}, "code"),
		"RecoveryCodes":  object(obj{"recovery_codes": obj{"type": "array", "items": str()}}, "recovery_codes"),
		"AppPassword":    object(obj{"name": str(), "room": str()}, "name", "room"),
		"AuthConfig":     object(obj{"registration": obj{"type": "boolean"}}, "registration"),
		"NewUser": object(obj{"email": str(), "name": str(), "callsign": str(), "password": str(),
			"roles": obj{"type": "array", "items": strEnum("admin", "data_admin", "auditor")}}, "email", "name", "password"),
		"Device": object(obj{"id": str(), "user": str(), "name": str(), "created_at": timestamp(),
			"last_seen_at": timestamp(), "revoked_at": timestamp(), "scope": strEnum("totp_enrol", "tak"), "room": str()}, "id", "user", "name"),
		"DeviceList":  listOf("Device"),
		"LoginResult": object(obj{"token": str(), "user": ref("User"), "device": ref("Device"), "totp_enrolment_required": obj{"type": "boolean"}}, "token", "user", "device"),
		"UserRef":     userRef,
		"NewRoom":     object(obj{"name": str(), "description": str()}, "name"),
		"Room": object(obj{"id": str(), "name": str(), "description": str(), "seq": integer(),
			"my_role": strEnum("lead", "member", "observer"), "created_at": timestamp(), "archived_at": timestamp()}, "id", "name", "seq"),
		"DrawingGeometry": object(obj{"type": strEnum("Point", "LineString", "Polygon"), "coordinates": obj{"type": "array", "items": obj{}}}, "type", "coordinates"),
		"Geofence":        object(obj{"on": strEnum("enter", "leave", "both")}, "on"),
		"DrawingInput": object(obj{"geometry": ref("DrawingGeometry"), "radius_m": num(), "label": str(),
			"category": strEnum("cordon", "sector", "route", "area", "marker"), "color": str(), "geofence": ref("Geofence")}),
		"Drawing": object(obj{"id": str(), "room": str(), "geometry": ref("DrawingGeometry"), "radius_m": num(), "label": str(),
			"category": str(), "color": str(), "geofence": ref("Geofence"), "created_by": str(), "created_at": timestamp(), "updated_at": timestamp()},
			"id", "room", "geometry", "category"),
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
			"text": str(), "location": ref("Location"), "poi": ref("IDRef"), "attachment": ref("IDRef"),
			"client_id": obj{"type": "string", "description": "The sender's own ID of the message: a retry with the same client_id returns the first message instead of posting it twice. Time-ordered IDs (UUIDv7, as the field client makes them) are the cheapest for the server to index."},
			"priority":  strEnum("normal", "urgent", "flash"), "ack_required": obj{"type": "boolean"},
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
		"GeofenceCrossing": object(obj{"seq": integer(), "drawing": str(), "label": str(), "user": str(), "transition": strEnum("enter", "leave"),
			"lat": num(), "lon": num(), "at": timestamp()}, "seq", "drawing", "user", "transition", "lat", "lon", "at"),
		"GeofenceCrossingList": listOf("GeofenceCrossing"),
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
	"GET /chats/{chat}/messages":           {"after_seq", "cursor", "limit", "order", "before_seq"},
	"GET /rooms/{room}/positions":          {"bbox", "chat"},
	"GET /rooms/{room}/positions/extent":   {"chat"},
	"GET /rooms/{room}/forces":             {"q"},
	"GET /rooms/{room}/alarms":             {"state"},
	"GET /rooms/{room}/geofence-crossings": {"limit"},
	"GET /rooms/{room}/positions/nearby":   {"lat", "lon", "radius_m", "limit"},
	"GET /rooms/{room}/pois":               {"bbox"},
	"GET /rooms/{room}/tracks":             {"user", "from", "to"},
	"GET /rooms/{room}/export.kml":         {"user", "from", "to"},
	"GET /users":                           {"q", "limit"},
	"GET /admin/users":                     {"q", "limit"},
	"GET /geocode":                         {"q", "lat", "lon", "limit"},
	"GET /layers/{layer}/features":         {"bbox", "cursor", "limit"},
	"GET /layers/{layer}/nearby":           {"lat", "lon", "radius_m", "limit"},
	"GET /audit/messages":                  {"case", "room", "from", "to", "q", "cursor", "limit"},
	"GET /audit/log":                       {"case", "cursor", "limit"},
	"GET /attachments/{id}":                {"access_token"},
	"GET /attachments/{id}/thumbnail":      {"access_token"},
	"GET /attachments/{id}/shared":         {"link"},
}

// multipartBodies names the form fields of the routes that take a
// multipart/form-data body (the file field is a binary string).
var multipartBodies = map[string][]string{
	"POST /chats/{chat}/attachments":  {"file"},
	"POST /admin/layers":              {"name", "crs", "file"},
	"POST /admin/chats/{chat}/inject": {"caption", "file"},
	"POST /broadcasts":                {"message", "file"},
}

// replyTypes are the content types of replies that are not JSON.
var replyTypes = map[string]string{
	"GET /rooms/{room}/drawings":                  "application/geo+json",
	"GET /layers/{layer}/features":                "application/geo+json",
	"GET /layers/{layer}/nearby":                  "application/geo+json",
	"GET /geocode":                                "application/geo+json",
	"GET /layers/{layer}/tiles/{z}/{x}/{y}.mvt":   "application/vnd.mapbox-vector-tile",
	"GET /basemap/tiles/{z}/{x}/{y}.mvt":          "application/vnd.mapbox-vector-tile",
	"GET /basemap/glyphs/{fontstack}/{range}.pbf": "application/x-protobuf",
	"GET /basemap/style.json":                     "application/json",
	"GET /rooms/{room}/export.kml":                "application/vnd.google-earth.kml+xml",
	"GET /attachments/{id}":                       "application/octet-stream",
	"GET /attachments/{id}/thumbnail":             "image/jpeg",
	"GET /attachments/{id}/shared":                "application/octet-stream",
	"GET /basemap/sprites/{name}":                 "application/octet-stream",
}

// otherRoutes are the routes outside the REST table: the WebSocket, OGC
// API Features, operations and the configuration, described here so that
// the document names every route the server has (a test checks both ways).
var otherRoutes = []struct {
	path, summary string
	public        bool
	query         []string
	replyType     string
}{
	{"/api/v1/ws", "The live WebSocket (RFC 6455; upgrade with a bearer token, or access_token in the query); frames in API.md", false, []string{"access_token"}, ""},
	{"/api/v1/config", "What the dashboard needs to know: basemap, languages", true, nil, "application/json"},
	{"/api/v1/openapi.json", "This document", true, nil, "application/json"},
	{"/healthz", "The process is up", true, nil, "application/json"},
	{"/readyz", "Store, bus and disk answer (503 when not)", true, nil, "application/json"},
	{"/metrics", "Prometheus metrics (bearer token of --metrics-token)", false, nil, "text/plain"},
	{"/basemap.pmtiles", "The PMTiles basemap, read in ranges (with serve --basemap FILE.pmtiles)", true, nil, "application/vnd.pmtiles"},
	{"/ogc", "OGC API Features: landing page", false, []string{"f"}, "application/json"},
	{"/ogc/conformance", "OGC API Features: conformance classes (Part 1 core, GeoJSON, OpenAPI 3.0; Part 2 CRS)", false, []string{"f"}, "application/json"},
	{"/ogc/collections", "OGC API Features: the data layers", false, []string{"f"}, "application/json"},
	{"/ogc/collections/{layer}", "OGC API Features: one data layer", false, []string{"f"}, "application/json"},
	{"/ogc/collections/{layer}/items", "OGC API Features: a layer's features (limit 1-10000, default 1000; offset; bbox of 4 or 6 numbers in bbox-crs; crs: CRS84, EPSG:4326, 25832, 25833)", false,
		[]string{"limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "f"}, "application/geo+json"},
	{"/ogc/collections/{layer}/items/{item}", "OGC API Features: one feature (crs as above)", false, []string{"crs", "f"}, "application/geo+json"},
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
		if params := parameters(r.path, queryParams[r.method+" "+r.path[len("/api/v1"):]]); params != nil {
			op["parameters"] = params
		}
		key := r.method + " " + r.path[len("/api/v1"):]
		if r.body != "" {
			op["requestBody"] = obj{"required": true, "content": obj{"application/json": obj{"schema": ref(r.body)}}}
		}
		if fields, ok := multipartBodies[key]; ok {
			props := obj{}
			for _, f := range fields {
				props[f] = str()
				if f == "file" {
					props[f] = obj{"type": "string", "format": "binary"}
				}
			}
			content, _ := op["requestBody"].(obj)
			if content == nil {
				op["requestBody"] = obj{"required": true, "content": obj{}}
				content = op["requestBody"].(obj)
			}
			content["content"].(obj)["multipart/form-data"] = obj{"schema": obj{"type": "object", "properties": props}}
		}
		ok := obj{"description": "success"}
		switch ct := replyTypes[key]; {
		case r.reply != "" && ct != "":
			ok["content"] = obj{ct: obj{"schema": ref(r.reply)}}
		case r.reply != "":
			ok["content"] = obj{"application/json": obj{"schema": ref(r.reply)}}
		case ct != "":
			ok["content"] = obj{ct: obj{"schema": obj{"type": "string", "format": "binary"}}}
		}
		op["responses"] = obj{strconv.Itoa(r.status): ok, "4XX": errResp}
		if r.public {
			op["security"] = []obj{}
		}
		item[strings.ToLower(r.method)] = op
	}
	for _, o := range otherRoutes {
		op := obj{"summary": o.summary, "operationId": operationID(route{method: "GET", path: o.path})}
		if params := parameters(o.path, o.query); params != nil {
			op["parameters"] = params
		}
		ok := obj{"description": "success"}
		if o.replyType != "" {
			ok["content"] = obj{o.replyType: obj{"schema": obj{}}}
		}
		status := "200"
		if o.path == "/api/v1/ws" {
			status = "101"
			ok["description"] = "switching protocols to WebSocket"
		}
		op["responses"] = obj{status: ok, "4XX": errResp}
		if o.public {
			op["security"] = []obj{}
		}
		paths[o.path] = obj{"get": op}
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

// parameters describes a path's parameters and the query parameters it
// takes; nil for none.
func parameters(path string, query []string) []obj {
	var params []obj
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		params = append(params, obj{"name": m[1], "in": "path", "required": true, "schema": str()})
	}
	for _, q := range query {
		params = append(params, obj{"name": q, "in": "query", "schema": str()})
	}
	return params
}

// operationID names an operation after its method and path in camel
// case, letters and digits only ("getLayersLayerTilesZXYMvt"), so that
// code generators and URL fragments take it.
func operationID(r route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(r.method))
	words := strings.FieldsFunc(strings.TrimPrefix(r.path, "/api/v1"), func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
	})
	for _, w := range words {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}
