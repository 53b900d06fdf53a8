package web

import (
	"github.com/gofiber/fiber/v2"
)

// route is one REST endpoint: how it is served and how it is described in
// the OpenAPI document, from one table so that the two never drift apart.
type route struct {
	method  string
	path    string // OpenAPI style: /rooms/{room}
	summary string
	public  bool   // no bearer token needed
	body    string // schema name of the JSON request body, "" for none
	status  int    // success status
	reply   string // schema name of the success reply, "" for no body
	handler fiber.Handler
}

func (s *Server) apiRoutes() []route {
	const v1 = "/api/v1"
	return []route{
		{"POST", v1 + "/auth/login", "Log in on a device; returns a bearer token", true, "Login", 200, "LoginResult", s.login},
		{"POST", v1 + "/auth/logout", "End this device's token", false, "", 204, "", s.logout},
		{"GET", v1 + "/auth/config", "What the login page may offer (self-registration on or off)", true, "", 200, "AuthConfig", s.authConfig},
		{"POST", v1 + "/auth/register", "Register with an official email: a pending account and a confirmation link by mail (403 registration_off without SMTP)", true, "Registration", 202, "Accepted", s.register},
		{"POST", v1 + "/auth/confirm", "Confirm a registration with the mailed token; the account becomes active", true, "TokenBody", 200, "User", s.confirm},
		{"POST", v1 + "/auth/reset", "Mail a password reset link (the same answer for any email)", true, "EmailBody", 202, "Accepted", s.requestReset},
		{"POST", v1 + "/auth/reset/confirm", "Set a new password with the mailed token; every device of the account is logged out", true, "ResetBody", 204, "", s.resetPassword},
		{"POST", v1 + "/me/password", "Change the caller's password (current one required; optionally log every other device out)", false, "PasswordChange", 204, "", s.changePassword},
		{"POST", v1 + "/me/totp", "Enrol the second factor: returns the secret and an otpauth:// URI", false, "", 201, "TOTPEnrolment", s.enrolTOTP},
		{"POST", v1 + "/me/totp/confirm", "Confirm the second factor with a first code; returns ten recovery codes (shown once)", false, "CodeBody", 200, "RecoveryCodes", s.confirmTOTP},
		{"POST", v1 + "/me/app-passwords", "Make an app password for one TAK client, bound to one of the caller's rooms (shown once; opens only the CoT gateway)", false, "AppPassword", 201, "LoginResult", s.createAppPassword},
		{"GET", v1 + "/admin/users", "Accounts by name, call sign or email (admin; q, limit)", false, "", 200, "UserList", s.adminUsers},
		{"GET", v1 + "/admin/users/{user}/devices", "An account's devices (admin)", false, "", 200, "DeviceList", s.adminUserDevices},
		{"POST", v1 + "/admin/users/{user}/disable", "Disable an account: every device logged out at once, on every node (admin)", false, "", 200, "User", s.disableUser},
		{"POST", v1 + "/admin/users/{user}/enable", "Enable a disabled account again (admin)", false, "", 200, "User", s.enableUser},
		{"DELETE", v1 + "/admin/users/{user}/totp", "Reset an account's second factor (a lost phone; admin)", false, "", 204, "", s.resetUserTOTP},
		{"GET", v1 + "/me", "The caller", false, "", 200, "User", s.me},
		{"GET", v1 + "/me/devices", "The caller's devices", false, "", 200, "DeviceList", s.myDevices},
		{"DELETE", v1 + "/me/devices/{device}", "Wipe one of the caller's devices", false, "", 204, "", s.wipeMyDevice},
		{"POST", v1 + "/admin/users", "Create a user (admin)", false, "NewUser", 201, "User", s.createUser},
		{"DELETE", v1 + "/admin/devices/{device}", "Wipe any device (admin)", false, "", 204, "", s.adminWipeDevice},
		{"GET", v1 + "/admin/devices", "Devices waiting for approval (admin; with --device-approval)", false, "", 200, "DeviceList", s.pendingDevices},
		{"POST", v1 + "/admin/devices/{device}/approve", "Approve a waiting device (admin)", false, "", 204, "", s.approveDevice},

		{"POST", v1 + "/rooms", "Open a room; the caller becomes lead", false, "NewRoom", 201, "Room", s.createRoom},
		{"GET", v1 + "/rooms", "Rooms the caller is a member of", false, "", 200, "RoomList", s.rooms},
		{"GET", v1 + "/rooms/{room}", "One room", false, "", 200, "Room", s.room},
		{"PATCH", v1 + "/rooms/{room}", "Rename, describe, archive (read-only for everyone) or restore a room (lead)", false, "RoomPatch", 200, "Room", s.patchRoom},
		{"GET", v1 + "/users", "Colleagues by name, call sign or email (id, name, call sign), to add them by name", false, "", 200, "UserRefList", s.searchUsers},
		{"GET", v1 + "/rooms/{room}/members", "A room's members and roles", false, "", 200, "MemberList", s.members},
		{"PUT", v1 + "/rooms/{room}/members/{user}", "Add a member or change their role (lead)", false, "RoleBody", 200, "Member", s.putMember},
		{"DELETE", v1 + "/rooms/{room}/members/{user}", "Remove a member (lead) or leave", false, "", 204, "", s.removeMember},

		{"POST", v1 + "/rooms/{room}/chats", "Open a chat (room members but observers)", false, "NewChat", 201, "Chat", s.createChat},
		{"GET", v1 + "/rooms/{room}/chats", "Chats of the room the caller belongs to", false, "", 200, "ChatList", s.chats},
		{"PATCH", v1 + "/chats/{chat}", "Rename a chat (manage)", false, "ChatPatch", 200, "Chat", s.patchChat},
		{"GET", v1 + "/chats/{chat}/members", "A chat's members and rights", false, "", 200, "ChatMemberList", s.chatMembers},
		{"PUT", v1 + "/chats/{chat}/members/{user}", "Add a chat member or change rights (manage)", false, "PermissionsBody", 200, "ChatMember", s.putChatMember},
		{"DELETE", v1 + "/chats/{chat}/members/{user}", "Remove a chat member (manage) or leave", false, "", 204, "", s.removeChatMember},
		{"POST", v1 + "/chats/{chat}/messages", "Post a message (write); idempotent by client_id", false, "NewMessage", 201, "Message", s.postMessage},
		{"GET", v1 + "/chats/{chat}/messages", "Messages after after_seq, oldest first (read)", false, "", 200, "MessageList", s.messages},
		{"POST", v1 + "/chats/{chat}/attachments", "Upload a file for the chat (write; multipart field file, streamed)", false, "", 201, "Attachment", s.uploadAttachment},
		{"GET", v1 + "/attachments/{id}", "An attachment's bytes (read in its chat; Range)", false, "", 200, "", s.downloadAttachment},
		{"GET", v1 + "/attachments/{id}/thumbnail", "A photo's thumbnail (JPEG)", false, "", 200, "", s.downloadThumbnail},
		{"GET", v1 + "/attachments/{id}/shared", "An attachment's bytes through a file link (?link=, made for a TAK client's device; no bearer token)", true, "", 200, "", s.downloadByLink},
		{"POST", v1 + "/admin/chats/{chat}/inject", "Inject a photo or PDF into a chat (data_admin; multipart caption, file)", false, "", 201, "Message", s.inject},

		{"POST", v1 + "/positions", "Report positions of the caller's device (batch); bad points are listed, good ones kept", false, "PositionReport", 202, "PositionReply", s.reportPositions},
		{"GET", v1 + "/rooms/{room}/positions", "Live positions of the room's members (bbox, chat)", false, "", 200, "FeatureCollection", s.positions},
		{"DELETE", v1 + "/positions/me", "Stop sharing: the caller leaves every room's map at once, on every node", false, "", 204, "", s.stopSharing},
		{"GET", v1 + "/rooms/{room}/forces", "Every member with the state of their position (live, stale, offline), by call sign; q filters by name or call sign", false, "", 200, "ForceList", s.forces},
		{"GET", v1 + "/rooms/{room}/positions/extent", "Show all forces: the box of all live positions", false, "", 200, "Extent", s.positionsExtent},
		{"GET", v1 + "/rooms/{room}/positions/nearby", "Live positions within radius_m of lat/lon, nearest first", false, "", 200, "FeatureCollection", s.positionsNearby},
		{"POST", v1 + "/rooms/{room}/alarms", "Raise an alarm (emergency, officer_down) at the given or the caller's live position; every member gets it (members but observers; the caller's open alarm of that kind: 200)", false, "NewAlarm", 201, "Alarm", s.raiseAlarm},
		{"GET", v1 + "/rooms/{room}/alarms", "The room's alarms, newest first (state: open, cancelled)", false, "", 200, "AlarmList", s.alarms},
		{"POST", v1 + "/broadcasts", "One message (text and/or one file, stored once) to many chats: whoever writes in each, or a data administrator; audit-logged", false, "NewBroadcast", 201, "MessageList", s.broadcast},
		{"POST", v1 + "/chats/{chat}/read", "Move the caller's read marker forward to seq (chat.read to the chat)", false, "ReadBody", 204, "", s.markRead},
		{"GET", v1 + "/chats/{chat}/reads", "How far each member has read the chat (read by N of M)", false, "", 200, "ReadMarkerList", s.readMarkers},
		{"PATCH", v1 + "/messages/{message}", "Edit the text of one's own message (message.updated; auditors keep the earlier text)", false, "EditMessage", 200, "Message", s.editMessage},
		{"DELETE", v1 + "/messages/{message}", "Delete a message for the chat (its sender or a manager; message.deleted; auditors keep it)", false, "", 204, "", s.deleteMessage},
		{"POST", v1 + "/messages/{message}/ack", "Take note of a message (an order with ack_required); members who read its chat", false, "", 200, "AckState", s.ackMessage},
		{"GET", v1 + "/messages/{message}/reads", "Who of the chat read a message (read markers at or past it) and who has not", false, "", 200, "MessageReadState", s.messageReads},
		{"GET", v1 + "/messages/{message}/acks", "Who took note of a message and who has not yet", false, "", 200, "AckState", s.messageAcks},
		{"POST", v1 + "/alarms/{alarm}/ack", "Take the alarm on", false, "", 200, "Alarm", s.ackAlarm},
		{"POST", v1 + "/alarms/{alarm}/cancel", "Cancel the alarm (its raiser or a lead)", false, "", 200, "Alarm", s.cancelAlarm},
		{"POST", v1 + "/rooms/{room}/pois", "Put a POI on the room's map (members but observers)", false, "NewPOI", 201, "POI", s.createPOI},
		{"GET", v1 + "/rooms/{room}/pois", "The room's POIs (bbox)", false, "", 200, "FeatureCollection", s.pois},
		{"DELETE", v1 + "/rooms/{room}/pois/{poi}", "Delete a POI (members but observers)", false, "", 204, "", s.deletePOI},
		{"POST", v1 + "/rooms/{room}/drawings", "Draw on the room's map: a polygon, line, circle (Point with radius_m) or marker with label, category, colour and an optional geofence (members but observers)", false, "DrawingInput", 201, "Drawing", s.createDrawing},
		{"GET", v1 + "/rooms/{room}/drawings", "The room's drawings as GeoJSON", false, "", 200, "FeatureCollection", s.drawings},
		{"PATCH", v1 + "/drawings/{drawing}", "Change a drawing: move vertices, relabel, recolour, geofence (who drew it or a lead)", false, "DrawingInput", 200, "Drawing", s.updateDrawing},
		{"DELETE", v1 + "/drawings/{drawing}", "Delete a drawing (who drew it or a lead)", false, "", 204, "", s.deleteDrawing},
		{"GET", v1 + "/rooms/{room}/geofence-crossings", "The room's latest geofence crossings, newest first (limit, default 100)", false, "", 200, "GeofenceCrossingList", s.geofenceCrossings},
		{"GET", v1 + "/rooms/{room}/tracks", "Members' movements from..to as LineStrings (user)", false, "", 200, "FeatureCollection", s.tracks},
		{"GET", v1 + "/rooms/{room}/export.kml", "The room's POIs and tracks as KML", false, "", 200, "", s.exportKML},

		{"GET", v1 + "/audit/messages", "Retained messages of a room for an audit (auditor; case reference required; room, from, to, q; logged)", false, "", 200, "MessageList", s.auditMessages},
		{"GET", v1 + "/audit/log", "The append-only audit log (auditor; case reference required; logged; other auditors' rooms and search terms withheld)", false, "", 200, "AuditLog", s.auditLog},

		{"GET", v1 + "/layers", "The data layers", false, "", 200, "LayerList", s.listLayers},
		{"GET", v1 + "/layers/{layer}/features", "A layer's features in bbox, paged by cursor", false, "", 200, "FeatureCollection", s.layerFeatures},
		{"GET", v1 + "/layers/{layer}/nearby", "A layer's features within radius_m of lat/lon, nearest first", false, "", 200, "FeatureCollection", s.layerNearby},
		{"GET", v1 + "/layers/{layer}/tiles/{z}/{x}/{y}.mvt", "A Mapbox Vector Tile of the layer", false, "", 200, "", s.layerTile},
		{"GET", v1 + "/geocode", "Places, streets, addresses, POIs of the caller's rooms and layer features by name, best first (q, lat, lon, limit)", false, "", 200, "FeatureCollection", s.geocode},
		{"GET", v1 + "/basemap/style.json", "The offline basemap's MapLibre style (every source, glyph and sprite from this server)", true, "", 200, "", s.basemapStyle},
		{"GET", v1 + "/basemap/tiles/{z}/{x}/{y}.mvt", "A basemap vector tile (layers water, landuse, roads, buildings, places); 204 where there is nothing", true, "", 200, "", s.basemapTile},
		{"GET", v1 + "/basemap/glyphs/{fontstack}/{range}.pbf", "SDF glyphs of the basemap's fonts", true, "", 200, "", s.basemapGlyphs},
		{"GET", v1 + "/basemap/sprites/{name}", "The basemap's sprite sheet (light, light@2x; .json, .png)", true, "", 200, "", s.basemapSprite},
		{"POST", v1 + "/admin/layers", "Import a GeoJSON or CSV layer (admin; multipart name, crs, file); replaces one of the same name", false, "", 201, "Layer", s.importLayer},
	}
}
