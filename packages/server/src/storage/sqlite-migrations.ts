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
];
