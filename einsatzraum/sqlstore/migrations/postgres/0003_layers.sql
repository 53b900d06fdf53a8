-- Data layers: one row per layer, its features as WKB geometry and JSON properties.
CREATE TABLE layers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    version    BIGINT NOT NULL,
    count      BIGINT NOT NULL,
    min_lon    DOUBLE PRECISION NOT NULL,
    min_lat    DOUBLE PRECISION NOT NULL,
    max_lon    DOUBLE PRECISION NOT NULL,
    max_lat    DOUBLE PRECISION NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE layer_features (
    layer_id   TEXT NOT NULL REFERENCES layers(id),
    idx        BIGINT NOT NULL,
    geometry   BYTEA NOT NULL,
    properties BYTEA NOT NULL,
    PRIMARY KEY (layer_id, idx)
);
