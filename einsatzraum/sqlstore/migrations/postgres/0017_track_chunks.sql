-- The track history in chunks: a row holds the points of one user that
-- one write took within ten minutes, sealed together (a JSON array of
-- {"ts", "lat", "lon", ...}), where a row per point cost two b-tree
-- inserts and a seal for every point. The rows of the per-point table
-- 'positions' move here at the next start (sqlstore.DB.SealPlaintext).
CREATE TABLE track_chunks (
    user_id     TEXT NOT NULL,
    ts_first    BIGINT NOT NULL, -- the oldest point, microseconds
    ts_last     BIGINT NOT NULL, -- the newest point
    points      INTEGER NOT NULL,
    received_at BIGINT NOT NULL,
    sealed      BYTEA NOT NULL
);
CREATE INDEX track_chunks_user_ts ON track_chunks(user_id, ts_last);
