-- Attachments (their bytes live encrypted in the blob store) and the append-only audit log.
CREATE TABLE attachments (
    id         TEXT PRIMARY KEY,
    room_id    TEXT NOT NULL REFERENCES rooms(id),
    chat_id    TEXT NOT NULL REFERENCES chats(id),
    uploader   TEXT NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL,
    mime       TEXT NOT NULL,
    size       BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    name       BYTEA NOT NULL,
    thumb_size BIGINT NOT NULL,
    lat        DOUBLE PRECISION,
    lon        DOUBLE PRECISION,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_chat ON attachments(chat_id);

CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    detail     TEXT NOT NULL
);
