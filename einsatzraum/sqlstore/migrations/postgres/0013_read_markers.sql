-- How far each member has read each chat: one marker per user and chat
-- (the seq of the newest message read), not a row per message and reader.
CREATE TABLE chat_reads (
    chat_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    seq     BIGINT NOT NULL,
    at      BIGINT NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
