-- Encrypted attachment bytes, in chunks, so that several nodes need no
-- shared file system. Only PostgreSQL keeps blobs in the database.
CREATE TABLE blob_chunks (
    blob_id TEXT NOT NULL,
    n       INTEGER NOT NULL,
    data    BYTEA NOT NULL,
    PRIMARY KEY (blob_id, n)
);
