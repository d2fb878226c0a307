import type { SqliteMigration } from './sqlite-database.js';

/** Versioned schema changes, applied in order, each in its own transaction. Never edit a shipped one. */
export const SQLITE_MIGRATIONS: ReadonlyArray<SqliteMigration> = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'processing', 'completed')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        vendor_data TEXT,
        callback_url TEXT,
        webhook_secret TEXT,
        image_count INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX sessions_by_user ON sessions (user_id, created_at DESC, id DESC);
      CREATE INDEX sessions_by_expiry ON sessions (expires_at);

      CREATE TABLE images (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        image_name TEXT,
        content_type TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        width INTEGER,
        height INTEGER,
        status TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'done', 'failed')),
        error_code TEXT,
        error_message TEXT,
        created_at INTEGER NOT NULL,
        completed_at INTEGER,
        blob_key TEXT,
        finished_attempt_key TEXT UNIQUE,
        faces TEXT NOT NULL DEFAULT '[]'
      );
      CREATE INDEX images_by_session ON images (session_id, created_at, id);

      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        image_id TEXT NOT NULL UNIQUE REFERENCES images (id) ON DELETE CASCADE,
        session_id TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        run_at INTEGER NOT NULL,
        lease_token TEXT,
        leased_until INTEGER,
        worker_id TEXT,
        last_error TEXT,
        dead INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX jobs_due ON jobs (dead, run_at);

      CREATE TABLE idempotency (
        user_id TEXT NOT NULL,
        key TEXT NOT NULL,
        session_id TEXT,
        request_hash TEXT NOT NULL,
        status_code INTEGER,
        body TEXT,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, key)
      );
      CREATE INDEX idempotency_by_session ON idempotency (session_id);

      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        prefix TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER,
        last_used_at INTEGER
      );

      CREATE TABLE webhooks (
        event_id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL UNIQUE REFERENCES sessions (id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        last_attempt_at INTEGER,
        last_status_code INTEGER,
        last_error TEXT
      );
      CREATE INDEX webhooks_due ON webhooks (status, next_attempt_at);
    `,
  },
  {
    version: 2,
    name: 'outbox, queue-owned jobs, model per image, cluster locks',
    // The jobs table belongs to the job queue now: it loses its foreign key to images, and the
    // metadata store writes encode jobs to its own outbox, which the relay publishes to the queue.
    sql: `
      CREATE TABLE outbox (
        image_id TEXT PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
        session_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        max_attempts INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX outbox_by_age ON outbox (created_at);
      INSERT INTO outbox (image_id, session_id, user_id, max_attempts, created_at)
        SELECT i.id, i.session_id, i.user_id, 3, i.created_at FROM images i
        WHERE i.status IN ('queued', 'processing')
          AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.image_id = i.id);

      CREATE TABLE queue_jobs (
        id TEXT PRIMARY KEY,
        image_id TEXT NOT NULL UNIQUE,
        session_id TEXT NOT NULL,
        user_id TEXT NOT NULL DEFAULT '',
        attempt INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        run_at INTEGER NOT NULL,
        lease_token TEXT,
        leased_until INTEGER,
        worker_id TEXT,
        last_error TEXT,
        dead INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      INSERT INTO queue_jobs (id, image_id, session_id, user_id, attempt, max_attempts, run_at, lease_token,
          leased_until, worker_id, last_error, dead, created_at)
        SELECT j.id, j.image_id, j.session_id, COALESCE(i.user_id, ''), j.attempt, j.max_attempts, j.run_at,
          j.lease_token, j.leased_until, j.worker_id, j.last_error, j.dead, j.created_at
        FROM jobs j LEFT JOIN images i ON i.id = j.image_id;
      DROP TABLE jobs;
      ALTER TABLE queue_jobs RENAME TO jobs;
      CREATE INDEX jobs_due ON jobs (dead, run_at);

      ALTER TABLE images ADD COLUMN model_id TEXT;
      ALTER TABLE images ADD COLUMN model_version TEXT;

      CREATE TABLE cluster_locks (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'direct uploads: awaiting_upload images, blob checksums',
    // SQLite cannot change a CHECK constraint in place, so images is rebuilt. Dropping it cascades to
    // the outbox (its foreign key), so the outbox rows are kept aside and put back.
    sql: `
      CREATE TABLE outbox_kept AS SELECT * FROM outbox;
      CREATE TABLE images_v3 (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        image_name TEXT,
        content_type TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        width INTEGER,
        height INTEGER,
        status TEXT NOT NULL CHECK (status IN ('awaiting_upload', 'queued', 'processing', 'done', 'failed')),
        error_code TEXT,
        error_message TEXT,
        created_at INTEGER NOT NULL,
        completed_at INTEGER,
        blob_key TEXT,
        finished_attempt_key TEXT UNIQUE,
        faces TEXT NOT NULL DEFAULT '[]',
        model_id TEXT,
        model_version TEXT,
        blob_sha256 TEXT,
        upload_expires_at INTEGER
      );
      INSERT INTO images_v3 (id, session_id, user_id, image_name, content_type, size_bytes, sha256, width, height,
          status, error_code, error_message, created_at, completed_at, blob_key, finished_attempt_key, faces,
          model_id, model_version)
        SELECT id, session_id, user_id, image_name, content_type, size_bytes, sha256, width, height,
          status, error_code, error_message, created_at, completed_at, blob_key, finished_attempt_key, faces,
          model_id, model_version
        FROM images;
      DROP TABLE images;
      ALTER TABLE images_v3 RENAME TO images;
      CREATE INDEX images_by_session ON images (session_id, created_at, id);
      CREATE INDEX images_awaiting_upload ON images (upload_expires_at) WHERE status = 'awaiting_upload';
      INSERT INTO outbox SELECT * FROM outbox_kept;
      DROP TABLE outbox_kept;
    `,
  },
  {
    version: 4,
    name: 'face collections',
    // Sealed encodings only (AES-256-GCM under a per-collection data key kept in the key store).
    // session_id and image_id are references, not foreign keys: a collection keeps its faces past
    // the session's TTL, which is the point of adding them.
    sql: `
      CREATE TABLE collections (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        model_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        face_count INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX collections_by_user ON collections (user_id, created_at DESC, id DESC);

      CREATE TABLE collection_faces (
        id TEXT PRIMARY KEY,
        collection_id TEXT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
        label TEXT,
        external_id TEXT,
        session_id TEXT NOT NULL,
        image_id TEXT NOT NULL,
        face_index INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        sealed BLOB NOT NULL
      );
      CREATE INDEX collection_faces_by_collection ON collection_faces (collection_id, created_at DESC, id DESC);
    `,
  },
  {
    version: 5,
    name: 'landmarks in their own column',
    // Half of a face's numbers, wanted only with ?include=landmarks: kept apart so other reads do not parse
    // them. Rows written before keep their landmarks inside faces.
    sql: `ALTER TABLE images ADD COLUMN landmarks TEXT;`,
  },
];
