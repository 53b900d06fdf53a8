-- Who took note of a message that asked for it (an order): one row per
-- message and member, kept with the message's retention.
CREATE TABLE message_acks (
    message_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
