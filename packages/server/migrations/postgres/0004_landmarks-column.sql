-- Each face's 68 landmarks in a column of their own: half of a face's numbers, wanted only with
-- ?include=landmarks, so other reads neither send nor parse them. Rows written before keep their
-- landmarks inside faces.

-- Up Migration

ALTER TABLE images ADD COLUMN landmarks jsonb;
