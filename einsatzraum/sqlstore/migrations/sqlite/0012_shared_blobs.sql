-- A broadcast stores its file once: the attachment of each target chat
-- names the blob it shares (NULL: the blob is the attachment's own).
ALTER TABLE attachments ADD COLUMN blob_id TEXT;
