-- A room can be archived (read-only for everyone) and taken out again.
ALTER TABLE rooms ADD COLUMN archived_at BIGINT;

-- Chat membership has a history: while a member is out of a chat (from
-- the room's seq when they were removed to the seq when they were added
-- again; open while still out), what was posted there stays hidden from
-- them. One row per time out, not per message.
CREATE TABLE chat_member_gaps (
    chat_id  TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    from_seq BIGINT NOT NULL,
    to_seq   BIGINT
);
CREATE INDEX chat_member_gaps_member ON chat_member_gaps(chat_id, user_id);
