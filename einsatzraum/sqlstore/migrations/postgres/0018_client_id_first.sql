-- The index that finds a message by its sender's client_id leads with the
-- client_id. Keyed by sender first, every post of a group landed in its own
-- sender's part of the index: a leaf page (often split) for each sender,
-- the most pages of a group's commit (on SQLite 43 of 56 log pages for a
-- group of 26 senders; led by the client_id, 3 of 22). A client
-- whose IDs begin with the time (UUIDv7, as the field client makes them)
-- now adds to the index's last pages. The lookup is by both columns, so
-- either order finds it; the uniqueness is the same.
DROP INDEX messages_client;
CREATE UNIQUE INDEX messages_client ON messages(client_id, sender_id) WHERE client_id IS NOT NULL;
