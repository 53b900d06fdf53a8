-- Store-wide values: the key check, a constant sealed with the master key,
-- which tells at start whether the key given is the data's.
CREATE TABLE store_meta (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
