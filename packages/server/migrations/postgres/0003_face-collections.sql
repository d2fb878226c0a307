-- Face collections for 1:N search. Encodings are stored sealed (AES-256-GCM under a per-collection
-- data key that lives in the key store, not here). session_id and image_id are references, not
-- foreign keys: a collection keeps its faces past the session's TTL.

-- Up Migration

CREATE TABLE collections (
  id text COLLATE "C" PRIMARY KEY,
  user_id text COLLATE "C" NOT NULL,
  name text NOT NULL,
  model_id text NOT NULL,
  created_at bigint NOT NULL,
  face_count integer NOT NULL DEFAULT 0
);
CREATE INDEX collections_by_user ON collections (user_id, created_at DESC, id DESC);

CREATE TABLE collection_faces (
  id text COLLATE "C" PRIMARY KEY,
  collection_id text COLLATE "C" NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
  label text,
  external_id text,
  session_id text COLLATE "C" NOT NULL,
  image_id text COLLATE "C" NOT NULL,
  face_index integer NOT NULL,
  created_at bigint NOT NULL,
  sealed bytea NOT NULL
);
CREATE INDEX collection_faces_by_collection ON collection_faces (collection_id, created_at DESC, id DESC);

-- Down Migration

DROP TABLE collection_faces;
DROP TABLE collections;
