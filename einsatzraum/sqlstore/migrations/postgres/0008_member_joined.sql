-- When a member joined the room: their track is shown to the room from
-- then on, not from before. Members from before this column count as
-- joined at the start (0), as they were shown until now.
ALTER TABLE room_members ADD COLUMN joined_at BIGINT NOT NULL DEFAULT 0;
