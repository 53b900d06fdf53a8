-- Drawings of the situation picture (cordons, sectors, routes, areas,
-- markers). All a drawing says (geometry, label, category, colour,
-- geofence) is sealed; IDs, the room, the author and times stay clear.
CREATE TABLE drawings (
    id         TEXT PRIMARY KEY,
    room_id    TEXT NOT NULL REFERENCES rooms(id),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT,
    sealed     BLOB NOT NULL
);
CREATE INDEX drawings_room ON drawings(room_id);
