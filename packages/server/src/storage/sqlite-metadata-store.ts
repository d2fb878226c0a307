import { statementCache, type SqliteDatabase } from './sqlite-database.js';
import { sqliteGroupCommit, type SqliteWrite } from './sqlite-group-commit.js';
import { sqliteGroupRead, type SqliteRead } from './sqlite-group-read.js';
import type { StatementBatch } from './statement-batch.js';
import type {
  AddImageResult,
  BeginIdempotency,
  CompleteUpload,
  CompleteUploadResult,
  LapsedReservation,
  NewReservation,
  ReserveImageResult,
  ErasedSession,
  FinishImage,
  FinishImageResult,
  ImageReadOptions,
  ListSessionsQuery,
  MetadataStore,
  NewImage,
  NewSession,
  OutboxEntry,
} from './metadata-store.js';
import { API_KEY_TOUCH_INTERVAL_MS } from './metadata-store.js';
import type {
  ApiKeyRecord,
  FaceRecord,
  IdempotencyBegin,
  ImageRecord,
  Point,
  SessionRecord,
  WebhookRecord,
} from './records.js';
import {
  toApiKey,
  toImage as toImageRecord,
  toOutbox,
  toSession,
  toWebhook,
  type ApiKeyRow,
  type ImageRow,
  type OutboxRow,
  type SessionRow,
  type WebhookRow,
  imageColumns,
  storedFaces,
  WEBHOOK_PATCH_COLUMNS,
} from './sql-rows.js';

export interface SqliteMetadataStoreOptions {
  /** An open, migrated database (openSqliteDatabase); the job queue shares it. */
  db: SqliteDatabase;
}

/** Images a session still waits for: until none is left, it is not completed. */
const PENDING = `'awaiting_upload', 'queued', 'processing'`;

/** SQLite keeps faces and landmarks as JSON text; the shared row mapping takes them parsed. */
type SqliteImageRow = Omit<ImageRow, 'faces' | 'landmarks'> & { faces: string; landmarks: string | null };

/** The record of a row; its landmarks (selected only when asked) are parsed only when asked, too. */
const toImage = (r: SqliteImageRow, options: ImageReadOptions = {}): ImageRecord =>
  toImageRecord({
    ...r,
    faces: JSON.parse(r.faces) as FaceRecord[],
    landmarks: options.landmarks && r.landmarks ? (JSON.parse(r.landmarks) as Point[][]) : null,
  });

/** The embedded MetadataStore on better-sqlite3. Calls are synchronous underneath; the interface is async for other adapters. */
export class SqliteMetadataStore implements MetadataStore {
  readonly #db: SqliteDatabase;
  readonly #sql: ReturnType<typeof statementCache>;
  /** New sessions arrive at request rate, so their inserts share commits (see sqliteGroupCommit). */
  readonly #commits: StatementBatch<SqliteWrite, unknown>;
  /** The API's reads (sessions, images, webhooks: every poll) share read transactions (see sqliteGroupRead). */
  readonly #reads: StatementBatch<SqliteRead, unknown>;

  constructor(options: SqliteMetadataStoreOptions) {
    this.#db = options.db;
    this.#sql = statementCache(options.db);
    this.#commits = sqliteGroupCommit({ db: options.db });
    this.#reads = sqliteGroupRead({ db: options.db });
  }

  /** Runs a read in the turn's shared read transaction. */
  #read<T>(read: () => T): Promise<T> {
    return this.#reads.run(read) as Promise<T>;
  }

  async createSession(input: NewSession): Promise<SessionRecord> {
    const row: SessionRow = {
      id: input.id,
      user_id: input.userId,
      state: 'open',
      created_at: input.now,
      expires_at: input.now + input.ttlSeconds * 1000,
      vendor_data: input.vendorData,
      callback_url: input.callbackUrl,
      webhook_secret: input.webhookSecret,
      image_count: 0,
    };
    await this.#commits.run(() =>
      this.#sql(
        `INSERT INTO sessions (id, user_id, state, created_at, expires_at, vendor_data, callback_url, webhook_secret, image_count)
           VALUES (@id, @user_id, @state, @created_at, @expires_at, @vendor_data, @callback_url, @webhook_secret, @image_count)`,
      ).run(row),
    );
    return toSession(row);
  }

  async getSession(userId: string, sessionId: string): Promise<SessionRecord | null> {
    return this.#read(() => {
      const row = this.#sql('SELECT * FROM sessions WHERE id = ? AND user_id = ?').get(sessionId, userId) as
        SessionRow | undefined;
      return row ? toSession(row) : null;
    });
  }

  async listSessions(userId: string, q: ListSessionsQuery): Promise<SessionRecord[]> {
    const where = ['user_id = @userId'];
    if (q.cursor) where.push('(created_at < @cAt OR (created_at = @cAt AND id < @cId))');
    // `expired` is derived: past expires_at, whatever the stored state; the other filters exclude it.
    if (q.state === 'expired') where.push('expires_at < @now');
    else if (q.state) where.push('state = @state AND expires_at >= @now');
    const statement = this.#sql(
      `SELECT * FROM sessions WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT @limit`,
    );
    const params = {
      userId,
      cAt: q.cursor?.createdAt ?? 0,
      cId: q.cursor?.id ?? '',
      state: q.state,
      now: q.now,
      limit: q.limit,
    };
    return this.#read(() => (statement.all(params) as SessionRow[]).map(toSession));
  }

  async deleteSession(userId: string, sessionId: string): Promise<ErasedSession | null> {
    return this.#db
      .transaction(() => {
        const owned = this.#sql('SELECT id FROM sessions WHERE id = ? AND user_id = ?').get(
          sessionId,
          userId,
        );
        if (!owned) return null;
        return this.#purge(sessionId);
      })
      .immediate();
  }

  /** What a session leaves in the blob store and the queue. */
  #erased(sessionId: string): ErasedSession {
    const rows = this.#sql('SELECT id, blob_key FROM images WHERE session_id = ?').all(sessionId) as Array<{
      id: string;
      blob_key: string | null;
    }>;
    return {
      blobKeys: rows.flatMap((r) => (r.blob_key ? [r.blob_key] : [])),
      imageIds: rows.map((r) => r.id),
    };
  }

  /** Deletes every row of a session; returns what lives elsewhere. Runs inside a transaction. */
  #purge(sessionId: string): ErasedSession {
    const erased = this.#erased(sessionId);
    this.#sql('DELETE FROM outbox WHERE session_id = ?').run(sessionId);
    this.#sql('DELETE FROM idempotency WHERE session_id = ?').run(sessionId);
    this.#sql('DELETE FROM webhooks WHERE session_id = ?').run(sessionId);
    this.#sql('DELETE FROM images WHERE session_id = ?').run(sessionId);
    this.#sql('DELETE FROM sessions WHERE id = ?').run(sessionId);
    return erased;
  }

  async addImage(input: NewImage): Promise<AddImageResult> {
    return this.#db
      .transaction((): AddImageResult => {
        const refused = this.#slotRefusal(input);
        if (refused) return { ok: false, reason: refused };
        const image = this.#insertImage(input, 'queued', input.blobSha256 ?? null, null);
        return { ok: true, image, job: this.#insertOutbox(input.id, input.maxAttempts, input.now) };
      })
      .immediate();
  }

  async reserveImage(input: NewReservation): Promise<ReserveImageResult> {
    return this.#db
      .transaction((): ReserveImageResult => {
        const refused = this.#slotRefusal(input);
        if (refused) return { ok: false, reason: refused };
        return { ok: true, image: this.#insertImage(input, 'awaiting_upload', null, input.uploadExpiresAt) };
      })
      .immediate();
  }

  /**
   * Why the session has no slot for one more image, or null after taking it. Callers run it inside an
   * IMMEDIATE transaction, which takes the write lock before the count is read, so concurrent uploads
   * and reservations (even from other processes on the same file) cannot both see 4 images and both insert.
   */
  #slotRefusal(input: NewReservation | NewImage): Extract<AddImageResult, { ok: false }>['reason'] | null {
    const session = this.#sql('SELECT * FROM sessions WHERE id = ? AND user_id = ?').get(
      input.sessionId,
      input.userId,
    ) as SessionRow | undefined;
    if (!session) return 'session_not_found';
    if (session.expires_at < input.now) return 'session_expired';
    if (session.image_count >= input.maxImages) return 'too_many_images';
    this.#sql(`UPDATE sessions SET image_count = image_count + 1, state = 'processing' WHERE id = ?`).run(
      input.sessionId,
    );
    return null;
  }

  #insertImage(
    input: NewReservation | NewImage,
    status: ImageRecord['status'],
    blobSha256: string | null,
    uploadExpiresAt: number | null,
  ): ImageRecord {
    const row: SqliteImageRow = {
      id: input.id,
      session_id: input.sessionId,
      user_id: input.userId,
      image_name: input.imageName,
      content_type: input.contentType,
      size_bytes: input.sizeBytes,
      sha256: input.sha256,
      width: null,
      height: null,
      status,
      error_code: null,
      error_message: null,
      created_at: input.now,
      completed_at: null,
      blob_key: input.blobKey,
      faces: '[]',
      landmarks: null,
      model_id: null,
      model_version: null,
      blob_sha256: blobSha256,
      upload_expires_at: uploadExpiresAt,
    };
    this.#sql(
      `INSERT INTO images (id, session_id, user_id, image_name, content_type, size_bytes, sha256, width, height, status,
           error_code, error_message, created_at, completed_at, blob_key, faces, landmarks, model_id, model_version,
           blob_sha256, upload_expires_at)
         VALUES (@id, @session_id, @user_id, @image_name, @content_type, @size_bytes, @sha256, @width, @height, @status,
           @error_code, @error_message, @created_at, @completed_at, @blob_key, @faces, @landmarks, @model_id,
           @model_version, @blob_sha256, @upload_expires_at)`,
    ).run(row);
    return toImage(row);
  }

  /** The outbox: the job is recorded exactly when its image becomes queued; the relay publishes it. */
  #insertOutbox(imageId: string, maxAttempts: number, now: number): OutboxEntry {
    const image = this.#sql('SELECT session_id, user_id FROM images WHERE id = ?').get(imageId) as {
      session_id: string;
      user_id: string;
    };
    const job: OutboxRow = {
      image_id: imageId,
      session_id: image.session_id,
      user_id: image.user_id,
      max_attempts: maxAttempts,
      created_at: now,
    };
    this.#sql(
      `INSERT INTO outbox (image_id, session_id, user_id, max_attempts, created_at)
         VALUES (@image_id, @session_id, @user_id, @max_attempts, @created_at)`,
    ).run(job);
    return toOutbox(job);
  }

  async completeUpload(input: CompleteUpload): Promise<CompleteUploadResult> {
    return this.#db
      .transaction((): CompleteUploadResult => {
        const updated = this.#sql(
          `UPDATE images SET status = 'queued', blob_key = @blobKey, blob_sha256 = @blobSha256, upload_expires_at = NULL
             WHERE id = @imageId AND session_id = @sessionId AND user_id = @userId AND status = 'awaiting_upload'`,
        ).run(input);
        if (updated.changes === 0) {
          const exists = this.#sql(
            'SELECT 1 FROM images WHERE id = ? AND session_id = ? AND user_id = ?',
          ).get(input.imageId, input.sessionId, input.userId);
          return { ok: false, reason: exists ? 'not_awaiting_upload' : 'image_not_found' };
        }
        const job = this.#insertOutbox(input.imageId, input.maxAttempts, input.now);
        const row = this.#sql('SELECT * FROM images WHERE id = ?').get(input.imageId) as SqliteImageRow;
        return { ok: true, image: toImage(row), job };
      })
      .immediate();
  }

  async listLapsedReservations(now: number, limit: number): Promise<LapsedReservation[]> {
    const rows = this.#sql(
      `SELECT id, session_id, blob_key FROM images WHERE status = 'awaiting_upload' AND upload_expires_at < ?
         ORDER BY upload_expires_at, id LIMIT ?`,
    ).all(now, limit) as Array<{ id: string; session_id: string; blob_key: string | null }>;
    return rows.map((r) => ({ imageId: r.id, sessionId: r.session_id, blobKey: r.blob_key }));
  }

  async releaseReservation(imageId: string, now: number): Promise<boolean> {
    return this.#db
      .transaction((): boolean => {
        const image = this.#sql(
          `SELECT session_id FROM images WHERE id = ? AND status = 'awaiting_upload' AND upload_expires_at < ?`,
        ).get(imageId, now) as { session_id: string } | undefined;
        if (!image) return false;
        this.#sql('DELETE FROM images WHERE id = ?').run(imageId);
        // The slot is free again; a session left with only finished images is completed, with none open.
        this.#sql(
          `UPDATE sessions SET image_count = image_count - 1,
             state = CASE WHEN image_count - 1 = 0 THEN 'open'
               WHEN EXISTS (SELECT 1 FROM images WHERE session_id = sessions.id AND status IN (${PENDING})) THEN state
               ELSE 'completed' END
             WHERE id = ?`,
        ).run(image.session_id);
        return true;
      })
      .immediate();
  }

  async pendingOutbox(createdBefore: number, limit: number): Promise<OutboxEntry[]> {
    const rows = this.#sql(
      'SELECT * FROM outbox WHERE created_at <= ? ORDER BY created_at, image_id LIMIT ?',
    ).all(createdBefore, limit) as OutboxRow[];
    return rows.map(toOutbox);
  }

  async ackOutbox(imageIds: string[]): Promise<void> {
    const del = this.#sql('DELETE FROM outbox WHERE image_id = ?');
    this.#db.transaction(() => {
      for (const id of imageIds) del.run(id);
    })();
  }

  async getImage(
    userId: string,
    sessionId: string,
    imageId: string,
    options?: ImageReadOptions,
  ): Promise<ImageRecord | null> {
    return this.#read(() => {
      const row = this.#sql(
        `SELECT ${imageColumns(options)} FROM images WHERE id = ? AND session_id = ? AND user_id = ?`,
      ).get(imageId, sessionId, userId) as SqliteImageRow | undefined;
      return row ? toImage(row, options) : null;
    });
  }

  async listImages(userId: string, sessionId: string, options?: ImageReadOptions): Promise<ImageRecord[]> {
    return this.#read(() => {
      const rows = this.#sql(
        `SELECT ${imageColumns(options)} FROM images WHERE session_id = ? AND user_id = ? ORDER BY created_at, id`,
      ).all(sessionId, userId) as SqliteImageRow[];
      return rows.map((row) => toImage(row, options));
    });
  }

  async getImageForJob(imageId: string): Promise<ImageRecord | null> {
    const row = this.#sql(
      'SELECT i.* FROM images i JOIN sessions s ON s.id = i.session_id WHERE i.id = ?',
    ).get(imageId) as SqliteImageRow | undefined;
    return row ? toImage(row) : null;
  }

  async markImageProcessing(imageId: string): Promise<void> {
    this.#sql(`UPDATE images SET status = 'processing' WHERE id = ? AND status = 'queued'`).run(imageId);
  }

  async finishImage(input: FinishImage): Promise<FinishImageResult> {
    return this.#db
      .transaction((): FinishImageResult => {
        const image = this.#sql(
          'SELECT i.status, i.session_id FROM images i JOIN sessions s ON s.id = i.session_id WHERE i.id = ?',
        ).get(input.imageId) as { status: string; session_id: string } | undefined;
        if (!image) return { written: false, reason: 'gone' };
        if (image.status === 'done' || image.status === 'failed')
          return { written: false, reason: 'duplicate' };
        const o = input.outcome;
        const stored = o.status === 'done' ? storedFaces(o.faces) : null;
        this.#sql(
          `UPDATE images SET status = @status, width = @width, height = @height, faces = @faces, landmarks = @landmarks,
               error_code = @code, error_message = @message, completed_at = @now, finished_attempt_key = @key,
               model_id = @modelId, model_version = @modelVersion
             WHERE id = @id`,
        ).run({
          id: input.imageId,
          status: o.status,
          width: o.width ?? null,
          height: o.height ?? null,
          faces: JSON.stringify(stored?.faces ?? []),
          landmarks: stored ? JSON.stringify(stored.landmarks) : null,
          code: o.status === 'failed' ? o.error.code : null,
          message: o.status === 'failed' ? o.error.message : null,
          now: input.now,
          key: input.attemptKey,
          modelId: o.status === 'done' ? o.model.id : null,
          modelVersion: o.status === 'done' ? o.model.version : null,
        });
        const pending = this.#sql(
          `SELECT COUNT(*) AS n FROM images WHERE session_id = ? AND status IN (${PENDING})`,
        ).get(image.session_id) as { n: number };
        const completed = pending.n === 0;
        if (completed)
          this.#sql(`UPDATE sessions SET state = 'completed' WHERE id = ?`).run(image.session_id);
        return { written: true, sessionId: image.session_id, sessionCompleted: completed };
      })
      .immediate();
  }

  async clearImageBlob(imageId: string): Promise<void> {
    this.#sql('UPDATE images SET blob_key = NULL WHERE id = ?').run(imageId);
  }

  async beginIdempotency(input: BeginIdempotency): Promise<IdempotencyBegin> {
    return this.#db
      .transaction((): IdempotencyBegin => {
        const row = this.#sql(
          'SELECT request_hash, status_code, body, expires_at FROM idempotency WHERE user_id = ? AND key = ?',
        ).get(input.userId, input.key) as
          | { request_hash: string; status_code: number | null; body: string | null; expires_at: number }
          | undefined;
        if (row && row.expires_at >= input.now) {
          if (row.request_hash !== input.requestHash) return { state: 'mismatch' };
          if (row.status_code === null || row.body === null) return { state: 'in_flight' };
          return { state: 'replay', statusCode: row.status_code, body: row.body };
        }
        this.#sql(
          `INSERT OR REPLACE INTO idempotency (user_id, key, session_id, request_hash, status_code, body, expires_at)
             VALUES (?, ?, ?, ?, NULL, NULL, ?)`,
        ).run(
          input.userId,
          input.key,
          input.sessionId,
          input.requestHash,
          input.now + (input.leaseMs ?? input.ttlMs),
        );
        const crashed = row && row.status_code === null && row.request_hash === input.requestHash;
        return { state: crashed ? 'reclaimed' : 'new' };
      })
      .immediate();
  }

  async hasIdempotency(userId: string, key: string, now: number): Promise<boolean> {
    const row = this.#sql('SELECT 1 FROM idempotency WHERE user_id = ? AND key = ? AND expires_at >= ?').get(
      userId,
      key,
      now,
    );
    return row !== undefined;
  }

  async completeIdempotency(
    userId: string,
    key: string,
    statusCode: number,
    body: string,
    expiresAt?: number,
  ): Promise<void> {
    this.#sql(
      'UPDATE idempotency SET status_code = ?, body = ?, expires_at = COALESCE(?, expires_at) WHERE user_id = ? AND key = ?',
    ).run(statusCode, body, expiresAt ?? null, userId, key);
  }

  async abandonIdempotency(userId: string, key: string): Promise<void> {
    this.#sql('DELETE FROM idempotency WHERE user_id = ? AND key = ? AND status_code IS NULL').run(
      userId,
      key,
    );
  }

  async createApiKey(input: {
    id: string;
    userId: string;
    prefix: string;
    hash: string;
  }): Promise<ApiKeyRecord> {
    const row = {
      id: input.id,
      user_id: input.userId,
      prefix: input.prefix,
      hash: input.hash,
      created_at: Date.now(),
    };
    this.#sql(
      'INSERT INTO api_keys (id, user_id, prefix, hash, created_at) VALUES (@id, @user_id, @prefix, @hash, @created_at)',
    ).run(row);
    return toApiKey({ ...row, revoked_at: null, last_used_at: null });
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const rows = this.#sql(
      'SELECT id, user_id, prefix, created_at, revoked_at, last_used_at FROM api_keys ORDER BY created_at, id',
    ).all() as ApiKeyRow[];
    return rows.map(toApiKey);
  }

  async revokeApiKey(id: string): Promise<boolean> {
    return (
      this.#sql('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(Date.now(), id)
        .changes > 0
    );
  }

  async findApiKeyByHash(hash: string, now = Date.now()): Promise<ApiKeyRecord | null> {
    const row = this.#sql(
      'SELECT id, user_id, prefix, created_at, revoked_at, last_used_at FROM api_keys WHERE hash = ? AND revoked_at IS NULL',
    ).get(hash) as ApiKeyRow | undefined;
    if (!row) return null;
    // Decided on the row just read, so a fresh key costs no write statement (and no write lock).
    if (row.last_used_at === null || row.last_used_at < now - API_KEY_TOUCH_INTERVAL_MS)
      this.#sql('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(now, row.id);
    return toApiKey(row);
  }

  async createWebhook(
    record: Omit<WebhookRecord, 'attempts' | 'lastAttemptAt' | 'lastStatusCode' | 'lastError'>,
  ): Promise<void> {
    this.#sql(
      `INSERT OR IGNORE INTO webhooks (event_id, session_id, url, payload, status, attempts, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, 0, ?)`,
    ).run(record.eventId, record.sessionId, record.url, record.payload, record.status, record.nextAttemptAt);
  }

  async getWebhook(sessionId: string): Promise<WebhookRecord | null> {
    return this.#read(() => {
      const row = this.#sql('SELECT * FROM webhooks WHERE session_id = ?').get(sessionId) as
        WebhookRow | undefined;
      return row ? toWebhook(row) : null;
    });
  }

  async getWebhookSecret(sessionId: string): Promise<string | null> {
    const row = this.#sql('SELECT webhook_secret FROM sessions WHERE id = ?').get(sessionId) as
      { webhook_secret: string | null } | undefined;
    return row?.webhook_secret ?? null;
  }

  async updateWebhook(
    eventId: string,
    patch: Partial<Omit<WebhookRecord, 'eventId' | 'sessionId' | 'payload' | 'url'>>,
  ): Promise<void> {
    const sets: string[] = [];
    const values: Record<string, unknown> = { eventId };
    for (const [field, value] of Object.entries(patch)) {
      const column = WEBHOOK_PATCH_COLUMNS[field];
      if (!column || value === undefined) continue;
      sets.push(`${column} = @${field}`);
      values[field] = value;
    }
    if (sets.length === 0) return;
    this.#sql(`UPDATE webhooks SET ${sets.join(', ')} WHERE event_id = @eventId`).run(values);
  }

  async claimDueWebhooks(now: number, limit: number, leaseMs: number): Promise<WebhookRecord[]> {
    // One statement picks and pushes the due time past the lease, so two processes never both
    // claim a delivery.
    const rows = this.#sql(
      `UPDATE webhooks SET next_attempt_at = @until
         WHERE event_id IN (
           SELECT event_id FROM webhooks
           WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= @now)
           ORDER BY next_attempt_at LIMIT @limit
         )
         RETURNING *`,
    ).all({ now, until: now + leaseMs, limit }) as WebhookRow[];
    return rows.map(toWebhook);
  }

  async listExpiredSessions(now: number, limit: number): Promise<Array<{ id: string } & ErasedSession>> {
    const ids = this.#sql('SELECT id FROM sessions WHERE expires_at < ? ORDER BY expires_at LIMIT ?').all(
      now,
      limit,
    ) as Array<{ id: string }>;
    return ids.map(({ id }) => ({ id, ...this.#erased(id) }));
  }

  async purgeSession(sessionId: string): Promise<void> {
    this.#db.transaction(() => this.#purge(sessionId)).immediate();
  }

  async listReferencedBlobKeys(): Promise<Set<string>> {
    const rows = this.#sql('SELECT blob_key FROM images WHERE blob_key IS NOT NULL').all() as Array<{
      blob_key: string;
    }>;
    return new Set(rows.map((r) => r.blob_key));
  }

  async purgeIdempotency(now: number): Promise<number> {
    return this.#sql('DELETE FROM idempotency WHERE expires_at < ?').run(now).changes;
  }

  async ping(): Promise<void> {
    this.#sql('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (!this.#db.open) return;
    this.#commits.flush();
    this.#reads.flush();
    this.#db.close();
  }
}
