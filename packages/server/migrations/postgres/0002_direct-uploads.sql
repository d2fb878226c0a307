-- Direct-to-storage uploads (issue 14): an image can be reserved before its bytes exist
-- (`awaiting_upload`, until `upload_expires_at`), and the stored blob carries its own SHA-256 so the
-- worker can check it was not replaced before encoding.

-- Up Migration

ALTER TABLE images DROP CONSTRAINT images_status_check;
ALTER TABLE images ADD CONSTRAINT images_status_check
  CHECK (status IN ('awaiting_upload', 'queued', 'processing', 'done', 'failed'));
-- Hex SHA-256 of the blob at blob_key (the normalized image), when known.
ALTER TABLE images ADD COLUMN blob_sha256 text;
-- When an `awaiting_upload` reservation lapses and cleanup frees its slot.
ALTER TABLE images ADD COLUMN upload_expires_at bigint;
CREATE INDEX images_awaiting_upload ON images (upload_expires_at) WHERE status = 'awaiting_upload';
