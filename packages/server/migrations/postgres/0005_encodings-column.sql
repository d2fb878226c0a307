-- Each face's encoding as little-endian float64s in one binary column: parsing its 128 numbers from
-- JSON was most of what was left of a session poll once the landmarks were apart. Rows written before
-- keep their encodings inside faces.

-- Up Migration

ALTER TABLE images ADD COLUMN encodings bytea;
