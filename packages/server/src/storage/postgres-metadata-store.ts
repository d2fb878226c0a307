import type pg from 'pg';
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
import {
  API_KEY_COLUMNS,
  IMAGE_COLUMNS,
  imageColumns,
  WEBHOOK_PATCH_COLUMNS,
  toApiKey,
  toImage,
  toOutbox,
  toSession,
  toWebhook,
  type ApiKeyRow,
  type ImageRow,
  type OutboxRow,
  type SessionRow,
  type WebhookRow,
} from './sql-rows.js';
import { firstRow, inTransaction, query } from './postgres-sql.js';
import {
  addImageIn,
  beginIdempotencyIn,
  completeUploadIn,
  finishImageIn,
  purge,
  releaseReservationIn,
  reserveImageIn,
} from './postgres-transactions.js';
import { StatementBatch } from './statement-batch.js';
import type { ApiKeyRecord, IdempotencyBegin, ImageRecord, SessionRecord, WebhookRecord } from './records.js';

export interface PostgresMetadataStoreOptions {
  /** A pool on a database migrated by migratePostgres, its search_path at that schema. Required; the caller creates it (e.g. from a URL). */
  pool: pg.Pool;
  /** Whether close() ends the pool. Default false: the pool belongs to the caller, who may share it (e.g. with PostgresClusterLock). */
  closePool?: boolean;
}

/** The record a new session is stored as. */
const newSessionRecord = (input: NewSession): SessionRecord => ({
  id: input.id,
  userId: input.userId,
  state: 'open',
  createdAt: input.now,
  expiresAt: input.now + input.ttlSeconds * 1000,
  vendorData: input.vendorData,
  callbackUrl: input.callbackUrl,
  webhookSecret: input.webhookSecret,
  imageCount: 0,
});

type WebhookPatch = Partial<Omit<WebhookRecord, 'eventId' | 'sessionId' | 'payload' | 'url'>>;

/**
 * The MetadataStore on PostgreSQL (node-postgres), for several API and worker processes sharing one
 * database. Semantics match SqliteMetadataStore; where SQLite serialises writers with its file
 * lock, this takes row locks: the session row (FOR UPDATE) guards its image count and completion.
 */
export class PostgresMetadataStore implements MetadataStore {
  readonly #pool: pg.Pool;
  readonly #closePool: boolean;
  #closed = false;

  constructor(options: PostgresMetadataStoreOptions) {
    this.#pool = options.pool;
    this.#closePool = options.closePool ?? false;
  }

  createSession(input: NewSession): Promise<SessionRecord> {
    return this.#newSessions.run(input);
  }

  /** New sessions arrive at request rate: those of one event-loop turn are inserted by one statement. */
  readonly #newSessions = new StatementBatch<NewSession, SessionRecord>({
    all: async (inputs) => {
      const records = inputs.map(newSessionRecord);
      const column = (f: (s: SessionRecord) => unknown) => records.map(f);
      await query(
        this.#pool,
        `INSERT INTO sessions (id, user_id, state, created_at, expires_at, vendor_data, callback_url, webhook_secret, image_count)
           SELECT id, user_id, 'open', created_at, expires_at, vendor_data, callback_url, webhook_secret, 0
             FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[])
               AS t (id, user_id, created_at, expires_at, vendor_data, callback_url, webhook_secret)`,
        [
          column((s) => s.id),
          column((s) => s.userId),
          column((s) => s.createdAt),
          column((s) => s.expiresAt),
          column((s) => s.vendorData),
          column((s) => s.callbackUrl),
          column((s) => s.webhookSecret),
        ],
      );
      return records;
    },
    one: async (input) => {
      const s = newSessionRecord(input);
      const { rows } = await query<SessionRow>(
        this.#pool,
        `INSERT INTO sessions (id, user_id, state, created_at, expires_at, vendor_data, callback_url, webhook_secret, image_count)
           VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, 0)
         RETURNING *`,
        [s.id, s.userId, s.createdAt, s.expiresAt, s.vendorData, s.callbackUrl, s.webhookSecret],
      );
      return toSession(firstRow(rows));
    },
    // Only a constraint or data error (SQLSTATE classes 23 and 22) can be one item's fault.
    retryAlone: (error) => /^2[23]/.test(String((error as { code?: unknown }).code ?? '')),
  });

  getSession(userId: string, sessionId: string): Promise<SessionRecord | null> {
    return this.#sessionReads.run({ userId, sessionId });
  }

  /** Every request reads its session: the reads of one event-loop turn are one statement. */
  readonly #sessionReads = new StatementBatch<{ userId: string; sessionId: string }, SessionRecord | null>({
    all: async (keys) => {
      const { rows } = await query<SessionRow>(
        this.#pool,
        'SELECT * FROM sessions WHERE id = ANY($1::text[])',
        [[...new Set(keys.map((k) => k.sessionId))]],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      return keys.map(({ userId, sessionId }) => {
        const row = byId.get(sessionId);
        // Another user's session is not found, as in the single read.
        return row && row.user_id === userId ? toSession(row) : null;
      });
    },
    one: async ({ userId, sessionId }) => {
      const { rows } = await query<SessionRow>(
        this.#pool,
        'SELECT * FROM sessions WHERE id = $1 AND user_id = $2',
        [sessionId, userId],
      );
      return rows[0] ? toSession(rows[0]) : null;
    },
    // A read that failed fails for every key alike.
    retryAlone: () => false,
  });

  listSessions(userId: string, q: ListSessionsQuery): Promise<SessionRecord[]> {
    return this.#sessionLists.run({ userId, q });
  }

  /**
   * The session lists of one event-loop turn are one statement: each list's own query runs per row of an
   * `unnest` (a LATERAL join), with the page cursor as a row comparison so the index on (user_id, created_at DESC,
   * id DESC) still starts each list at its cursor. Ids collate "C" (see the migration), so ties break by bytes as
   * in SQLite, in any locale.
   */
  readonly #sessionLists = new StatementBatch<{ userId: string; q: ListSessionsQuery }, SessionRecord[]>({
    all: (lists) => this.#listSessions(lists),
    one: (list) => this.#listSessions([list]).then((pages) => pages[0] ?? []),
    // A read that failed fails for every list alike.
    retryAlone: () => false,
  });

  async #listSessions(lists: Array<{ userId: string; q: ListSessionsQuery }>): Promise<SessionRecord[][]> {
    const column = (f: (l: { userId: string; q: ListSessionsQuery }) => unknown) => lists.map(f);
    const { rows } = await query<SessionRow & { list: string }>(
      this.#pool,
      `SELECT l.list, x.* FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::int[])
           WITH ORDINALITY AS l (user_id, cursor_at, cursor_id, state, clock, page_size, list)
         CROSS JOIN LATERAL (
           SELECT * FROM sessions s
            WHERE s.user_id = l.user_id
              -- No cursor: every session is before the greatest bigint.
              AND (s.created_at, s.id) < (COALESCE(l.cursor_at, 9223372036854775807), COALESCE(l.cursor_id, ''))
              -- "expired" is derived: past expires_at, whatever the stored state; the other filters exclude it.
              AND (l.state IS NULL
                OR (l.state = 'expired' AND s.expires_at < l.clock)
                OR (l.state <> 'expired' AND s.state = l.state AND s.expires_at >= l.clock))
            ORDER BY s.created_at DESC, s.id DESC
            LIMIT l.page_size
         ) x
         ORDER BY l.list, x.created_at DESC, x.id DESC`,
      [
        column((l) => l.userId),
        column((l) => l.q.cursor?.createdAt ?? null),
        column((l) => l.q.cursor?.id ?? null),
        column((l) => l.q.state),
        column((l) => l.q.now),
        column((l) => l.q.limit),
      ],
    );
    const pages = lists.map((): SessionRecord[] => []);
    // WITH ORDINALITY counts from 1 (a bigint, which pg returns as a string).
    for (const row of rows) pages[Number(row.list) - 1]?.push(toSession(row));
    return pages;
  }

  async deleteSession(userId: string, sessionId: string): Promise<ErasedSession | null> {
    return inTransaction(this.#pool, async (tx) => {
      const owned = await query(tx, 'SELECT id FROM sessions WHERE id = $1 AND user_id = $2 FOR UPDATE', [
        sessionId,
        userId,
      ]);
      if (owned.rowCount === 0) return null;
      return purge(tx, sessionId);
    });
  }

  async addImage(input: NewImage): Promise<AddImageResult> {
    return inTransaction(this.#pool, (tx) => addImageIn(tx, input));
  }

  async reserveImage(input: NewReservation): Promise<ReserveImageResult> {
    return inTransaction(this.#pool, (tx) => reserveImageIn(tx, input));
  }

  async completeUpload(input: CompleteUpload): Promise<CompleteUploadResult> {
    return inTransaction(this.#pool, (tx) => completeUploadIn(tx, input));
  }

  async listLapsedReservations(now: number, limit: number): Promise<LapsedReservation[]> {
    const { rows } = await query<{ id: string; session_id: string; blob_key: string | null }>(
      this.#pool,
      `SELECT id, session_id, blob_key FROM images WHERE status = 'awaiting_upload' AND upload_expires_at < $1
         ORDER BY upload_expires_at, id LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => ({ imageId: r.id, sessionId: r.session_id, blobKey: r.blob_key }));
  }

  async releaseReservation(imageId: string, now: number): Promise<boolean> {
    return inTransaction(this.#pool, (tx) => releaseReservationIn(tx, imageId, now));
  }

  async pendingOutbox(createdBefore: number, limit: number): Promise<OutboxEntry[]> {
    const { rows } = await query<OutboxRow>(
      this.#pool,
      `SELECT * FROM outbox WHERE created_at <= $1 ORDER BY created_at, image_id LIMIT $2`,
      [createdBefore, limit],
    );
    return rows.map(toOutbox);
  }

  async ackOutbox(imageIds: string[]): Promise<void> {
    if (imageIds.length === 0) return;
    await query(this.#pool, 'DELETE FROM outbox WHERE image_id = ANY($1::text[])', [imageIds]);
  }

  async getImage(
    userId: string,
    sessionId: string,
    imageId: string,
    options?: ImageReadOptions,
  ): Promise<ImageRecord | null> {
    const { rows } = await query<ImageRow>(
      this.#pool,
      `SELECT ${imageColumns(options)} FROM images WHERE id = $1 AND session_id = $2 AND user_id = $3`,
      [imageId, sessionId, userId],
    );
    return rows[0] ? toImage(rows[0]) : null;
  }

  listImages(userId: string, sessionId: string, options?: ImageReadOptions): Promise<ImageRecord[]> {
    // Lists with landmarks are rare (?include=landmarks) and carry more: each is a statement of its own.
    if (options?.landmarks) return this.#listImages({ userId, sessionId }, options);
    return this.#imageLists.run({ userId, sessionId });
  }

  async #listImages(
    key: { userId: string; sessionId: string },
    options?: ImageReadOptions,
  ): Promise<ImageRecord[]> {
    const { rows } = await query<ImageRow>(
      this.#pool,
      `SELECT ${imageColumns(options)} FROM images WHERE session_id = $1 AND user_id = $2 ORDER BY created_at, id`,
      [key.sessionId, key.userId],
    );
    return rows.map(toImage);
  }

  /** A session's summary lists its images: the lists of one event-loop turn are one statement. */
  readonly #imageLists = new StatementBatch<{ userId: string; sessionId: string }, ImageRecord[]>({
    all: async (keys) => {
      const { rows } = await query<ImageRow>(
        this.#pool,
        `SELECT ${IMAGE_COLUMNS} FROM images WHERE session_id = ANY($1::text[]) ORDER BY created_at, id`,
        [[...new Set(keys.map((k) => k.sessionId))]],
      );
      const bySession = new Map<string, ImageRow[]>();
      for (const row of rows) {
        const list = bySession.get(row.session_id);
        if (list) list.push(row);
        else bySession.set(row.session_id, [row]);
      }
      // In upload order, and only the caller's own, as in the single read.
      return keys.map(({ userId, sessionId }) =>
        (bySession.get(sessionId) ?? []).filter((r) => r.user_id === userId).map(toImage),
      );
    },
    one: (key) => this.#listImages(key),
    // A read that failed fails for every key alike.
    retryAlone: () => false,
  });

  async getImageForJob(imageId: string): Promise<ImageRecord | null> {
    const { rows } = await query<ImageRow>(
      this.#pool,
      `SELECT ${IMAGE_COLUMNS} FROM images WHERE id = $1 AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = session_id)`,
      [imageId],
    );
    return rows[0] ? toImage(rows[0]) : null;
  }

  async markImageProcessing(imageId: string): Promise<void> {
    await query(this.#pool, `UPDATE images SET status = 'processing' WHERE id = $1 AND status = 'queued'`, [
      imageId,
    ]);
  }

  async finishImage(input: FinishImage): Promise<FinishImageResult> {
    return inTransaction(this.#pool, (tx) => finishImageIn(tx, input));
  }

  async clearImageBlob(imageId: string): Promise<void> {
    await query(this.#pool, 'UPDATE images SET blob_key = NULL WHERE id = $1', [imageId]);
  }

  async beginIdempotency(input: BeginIdempotency): Promise<IdempotencyBegin> {
    return inTransaction(this.#pool, (tx) => beginIdempotencyIn(tx, input));
  }

  async hasIdempotency(userId: string, key: string, now: number): Promise<boolean> {
    const result = await query(
      this.#pool,
      'SELECT 1 FROM idempotency WHERE user_id = $1 AND key = $2 AND expires_at >= $3',
      [userId, key, now],
    );
    return result.rows.length > 0;
  }

  async completeIdempotency(
    userId: string,
    key: string,
    statusCode: number,
    body: string,
    expiresAt?: number,
  ): Promise<void> {
    await query(
      this.#pool,
      `UPDATE idempotency SET status_code = $1, body = $2, expires_at = COALESCE($5::bigint, expires_at)
        WHERE user_id = $3 AND key = $4`,
      [statusCode, body, userId, key, expiresAt ?? null],
    );
  }

  async abandonIdempotency(userId: string, key: string): Promise<void> {
    await query(
      this.#pool,
      'DELETE FROM idempotency WHERE user_id = $1 AND key = $2 AND status_code IS NULL',
      [userId, key],
    );
  }

  async createApiKey(input: {
    id: string;
    userId: string;
    prefix: string;
    hash: string;
  }): Promise<ApiKeyRecord> {
    const { rows } = await query<ApiKeyRow>(
      this.#pool,
      `INSERT INTO api_keys (id, user_id, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${API_KEY_COLUMNS}`,
      [input.id, input.userId, input.prefix, input.hash, Date.now()],
    );
    return toApiKey(firstRow(rows));
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const { rows } = await query<ApiKeyRow>(
      this.#pool,
      `SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`,
    );
    return rows.map(toApiKey);
  }

  async revokeApiKey(id: string): Promise<boolean> {
    const result = await query(
      this.#pool,
      'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
      [Date.now(), id],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async findApiKeyByHash(hash: string, now = Date.now()): Promise<ApiKeyRecord | null> {
    // One round trip: returns the key as it was found, and touches lastUsedAt in the same statement
    // only when it is stale, so most requests update no row.
    const { rows } = await query<ApiKeyRow>(
      this.#pool,
      `WITH found AS (SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE hash = $1 AND revoked_at IS NULL),
            touched AS (UPDATE api_keys SET last_used_at = $2 FROM found
                         WHERE api_keys.id = found.id
                           AND (found.last_used_at IS NULL OR found.last_used_at < $3))
       SELECT * FROM found`,
      [hash, now, now - API_KEY_TOUCH_INTERVAL_MS],
    );
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async createWebhook(
    record: Omit<WebhookRecord, 'attempts' | 'lastAttemptAt' | 'lastStatusCode' | 'lastError'>,
  ): Promise<void> {
    // One delivery per session and per event id: a repeat is ignored, like SQLite's INSERT OR IGNORE.
    await query(
      this.#pool,
      `INSERT INTO webhooks (event_id, session_id, url, payload, status, attempts, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, 0, $6)
       ON CONFLICT DO NOTHING`,
      [record.eventId, record.sessionId, record.url, record.payload, record.status, record.nextAttemptAt],
    );
  }

  async getWebhook(sessionId: string): Promise<WebhookRecord | null> {
    const { rows } = await query<WebhookRow>(this.#pool, 'SELECT * FROM webhooks WHERE session_id = $1', [
      sessionId,
    ]);
    return rows[0] ? toWebhook(rows[0]) : null;
  }

  async getWebhookSecret(sessionId: string): Promise<string | null> {
    const { rows } = await query<{ webhook_secret: string | null }>(
      this.#pool,
      'SELECT webhook_secret FROM sessions WHERE id = $1',
      [sessionId],
    );
    return rows[0]?.webhook_secret ?? null;
  }

  async updateWebhook(eventId: string, patch: WebhookPatch): Promise<void> {
    const values: unknown[] = [eventId];
    const sets: string[] = [];
    for (const [field, value] of Object.entries(patch)) {
      const column = WEBHOOK_PATCH_COLUMNS[field];
      if (!column || value === undefined) continue;
      sets.push(`${column} = $${values.push(value)}`);
    }
    if (sets.length === 0) return;
    await query(this.#pool, `UPDATE webhooks SET ${sets.join(', ')} WHERE event_id = $1`, values);
  }

  async claimDueWebhooks(now: number, limit: number, leaseMs: number): Promise<WebhookRecord[]> {
    // SKIP LOCKED: a claimer racing on the same rows takes others instead of waiting; a row
    // another claimer already moved past `now` no longer matches when re-checked.
    const { rows } = await query<WebhookRow & { due_at: number | null }>(
      this.#pool,
      `WITH due AS (
         SELECT event_id, next_attempt_at AS due_at FROM webhooks
          WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
          ORDER BY next_attempt_at NULLS FIRST, event_id
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE webhooks w SET next_attempt_at = $3 FROM due WHERE w.event_id = due.event_id
         RETURNING w.*, due.due_at
       )
       SELECT * FROM claimed ORDER BY due_at NULLS FIRST, event_id`,
      [now, limit, now + leaseMs],
    );
    return rows.map(toWebhook);
  }

  async listExpiredSessions(now: number, limit: number): Promise<Array<{ id: string } & ErasedSession>> {
    const { rows } = await query<{ id: string; blob_keys: string[]; image_ids: string[] }>(
      this.#pool,
      `SELECT s.id,
              COALESCE(array_agg(i.blob_key ORDER BY i.created_at, i.id) FILTER (WHERE i.blob_key IS NOT NULL), '{}') AS blob_keys,
              COALESCE(array_agg(i.id ORDER BY i.created_at, i.id) FILTER (WHERE i.id IS NOT NULL), '{}') AS image_ids
         FROM (SELECT id, expires_at FROM sessions WHERE expires_at < $1 ORDER BY expires_at, id LIMIT $2) s
         LEFT JOIN images i ON i.session_id = s.id
        GROUP BY s.id, s.expires_at
        ORDER BY s.expires_at, s.id`,
      [now, limit],
    );
    return rows.map((r) => ({ id: r.id, blobKeys: r.blob_keys, imageIds: r.image_ids }));
  }

  async purgeSession(sessionId: string): Promise<void> {
    await inTransaction(this.#pool, (tx) => purge(tx, sessionId));
  }

  async listReferencedBlobKeys(): Promise<Set<string>> {
    const { rows } = await query<{ blob_key: string }>(
      this.#pool,
      'SELECT blob_key FROM images WHERE blob_key IS NOT NULL',
    );
    return new Set(rows.map((r) => r.blob_key));
  }

  async purgeIdempotency(now: number): Promise<number> {
    return (await query(this.#pool, 'DELETE FROM idempotency WHERE expires_at < $1', [now])).rowCount ?? 0;
  }

  async ping(): Promise<void> {
    await query(this.#pool, 'SELECT 1');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#closePool) await this.#pool.end();
  }
}
