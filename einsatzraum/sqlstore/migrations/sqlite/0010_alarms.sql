-- Alarms (emergency, officer down): who raised one in which room, its
-- state, and sealed what it says (position, text, who took it on).
CREATE TABLE alarms (
    id         TEXT PRIMARY KEY,
    room_id    TEXT NOT NULL REFERENCES rooms(id),
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sealed     BLOB NOT NULL
);
CREATE INDEX alarms_room_state ON alarms(room_id, state);
