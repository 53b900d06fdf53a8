-- Sealed at rest: what no query needs in the clear is kept sealed with the
-- master key. Points of interest, track points and a photo's position hold
-- their content in 'sealed' (JSON, sealed); their clear columns hold
-- nothing for new rows. Room, chat and audit texts are sealed inside their
-- text columns ("sealed:" + base64). Rows from before are sealed at the
-- next start (sqlstore.DB.SealPlaintext).
ALTER TABLE pois ADD COLUMN sealed BYTEA;
ALTER TABLE positions ADD COLUMN sealed BYTEA;
ALTER TABLE attachments ADD COLUMN sealed BYTEA;
