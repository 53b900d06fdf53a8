-- Device approval: a device may be used once approved_at is set. Devices
-- from before approval existed count as approved.
ALTER TABLE devices ADD COLUMN approved_at BIGINT;
UPDATE devices SET approved_at = created_at;
