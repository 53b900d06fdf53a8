-- Points of interest and the track history of positions.
CREATE TABLE pois (
    id          TEXT PRIMARY KEY,
    room_id     TEXT NOT NULL REFERENCES rooms(id),
    name        TEXT NOT NULL,
    category    TEXT NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    description TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX pois_room ON pois(room_id);

CREATE TABLE positions (
    user_id     TEXT NOT NULL,
    ts          BIGINT NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    accuracy_m  DOUBLE PRECISION NOT NULL,
    heading     DOUBLE PRECISION,
    speed_mps   DOUBLE PRECISION,
    received_at BIGINT NOT NULL
);
CREATE INDEX positions_user_ts ON positions(user_id, ts);
