-- Users, devices, rooms, chats, messages and the room event log.
-- Times are Unix microseconds (BIGINT) so that SQLite and PostgreSQL share queries.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    callsign      TEXT NOT NULL DEFAULT '',
    roles         TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   BYTEA NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX devices_user ON devices(user_id);

CREATE TABLE rooms (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    seq         BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);

CREATE TABLE room_members (
    room_id TEXT NOT NULL REFERENCES rooms(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    role    TEXT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user ON room_members(user_id);

CREATE TABLE chats (
    id         TEXT PRIMARY KEY,
    room_id    TEXT NOT NULL REFERENCES rooms(id),
    name       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX chats_room ON chats(room_id);

CREATE TABLE chat_members (
    chat_id TEXT NOT NULL REFERENCES chats(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    perms   INTEGER NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_members_user ON chat_members(user_id);

CREATE TABLE messages (
    id         TEXT PRIMARY KEY,
    room_id    TEXT NOT NULL REFERENCES rooms(id),
    chat_id    TEXT NOT NULL REFERENCES chats(id),
    seq        BIGINT NOT NULL,
    sender_id  TEXT NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL,
    body       BYTEA NOT NULL,
    client_id  TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_chat_seq ON messages(chat_id, seq);
CREATE UNIQUE INDEX messages_client ON messages(sender_id, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE events (
    room_id    TEXT NOT NULL REFERENCES rooms(id),
    seq        BIGINT NOT NULL,
    type       TEXT NOT NULL,
    chat_id    TEXT,
    subject    TEXT,
    data       BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (room_id, seq)
);
