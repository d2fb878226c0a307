-- The PostgreSQL schema of the metadata store. Applied by node-pg-migrate (migratePostgres or
-- `face-encode-server migrate`) in one transaction. Never edit a shipped migration: add the next one.
-- Times are epoch milliseconds in bigint columns, as the records carry them. Ids and keys collate
-- "C" (byte order), as SQLite compares them, so ties in paging break the same way in every locale.

-- Up Migration

CREATE TABLE sessions (
  id text COLLATE "C" PRIMARY KEY,
  user_id text COLLATE "C" NOT NULL,
  state text NOT NULL CHECK (state IN ('open', 'processing', 'completed')),
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  vendor_data text,
  callback_url text,
  webhook_secret text,
  image_count integer NOT NULL DEFAULT 0
);
-- Listing pages newest first per user; cleanup walks by expiry.
CREATE INDEX sessions_by_user ON sessions (user_id, created_at DESC, id DESC);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE images (
  id text COLLATE "C" PRIMARY KEY,
  session_id text COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  user_id text COLLATE "C" NOT NULL,
  image_name text,
  content_type text NOT NULL,
  size_bytes bigint NOT NULL,
  sha256 text NOT NULL,
  width integer,
  height integer,
  status text NOT NULL CHECK (status IN ('queued', 'processing', 'done', 'failed')),
  error_code text,
  error_message text,
  created_at bigint NOT NULL,
  completed_at bigint,
  blob_key text,
  -- The job attempt that wrote the outcome: a redelivered job cannot write twice.
  finished_attempt_key text UNIQUE,
  faces jsonb NOT NULL DEFAULT '[]',
  -- The model that computed the encodings; encodings of different models are not comparable.
  model_id text,
  model_version text
);
CREATE INDEX images_by_session ON images (session_id, created_at, id);

-- The transactional outbox: one row per encode job not yet published to the queue, written in
-- the image's transaction and deleted once the relay has enqueued it.
CREATE TABLE outbox (
  image_id text COLLATE "C" PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
  session_id text COLLATE "C" NOT NULL,
  user_id text COLLATE "C" NOT NULL,
  max_attempts integer NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX outbox_by_age ON outbox (created_at, image_id);

CREATE TABLE idempotency (
  user_id text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  session_id text COLLATE "C",
  request_hash text NOT NULL,
  status_code integer,
  body text,
  expires_at bigint NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_by_session ON idempotency (session_id);
CREATE INDEX idempotency_by_expiry ON idempotency (expires_at);

CREATE TABLE api_keys (
  id text COLLATE "C" PRIMARY KEY,
  user_id text COLLATE "C" NOT NULL,
  prefix text NOT NULL,
  hash text NOT NULL UNIQUE,
  created_at bigint NOT NULL,
  revoked_at bigint,
  last_used_at bigint
);

CREATE TABLE webhooks (
  event_id text COLLATE "C" PRIMARY KEY,
  session_id text COLLATE "C" NOT NULL UNIQUE REFERENCES sessions (id) ON DELETE CASCADE,
  url text NOT NULL,
  payload text NOT NULL,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint,
  last_attempt_at bigint,
  last_status_code integer,
  last_error text
);
-- Only pending deliveries are ever claimed, so only they need the due index.
CREATE INDEX webhooks_due ON webhooks (next_attempt_at NULLS FIRST, event_id) WHERE status = 'pending';

-- Down Migration

DROP TABLE webhooks;
DROP TABLE api_keys;
DROP TABLE idempotency;
DROP TABLE outbox;
DROP TABLE images;
DROP TABLE sessions;
