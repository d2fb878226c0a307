// The store's multi-statement writes. Each runs inside a transaction the caller opened
// (inTransaction) and relies on the row locks it takes, always the session row first.
import type {
  AddImageResult,
  BeginIdempotency,
  CompleteUpload,
  CompleteUploadResult,
  ErasedSession,
  FinishImage,
  FinishImageResult,
  NewImage,
  NewReservation,
  OutboxEntry,
  ReserveImageResult,
} from './metadata-store.js';
import {
  IMAGE_COLUMNS,
  storedFaces,
  toImage,
  toOutbox,
  type ImageRow,
  type OutboxRow,
  type SessionRow,
} from './sql-rows.js';
import { firstRow, query, type Queryable } from './postgres-sql.js';
import type { IdempotencyBegin, ImageRecord } from './records.js';

/** Images a session still waits for: until none is left, it is not completed. */
const PENDING = `'awaiting_upload', 'queued', 'processing'`;

export async function addImageIn(tx: Queryable, input: NewImage): Promise<AddImageResult> {
  const refused = await takeSlot(tx, input);
  if (refused) return { ok: false, reason: refused };
  const image = await insertImage(tx, input, 'queued', input.blobSha256 ?? null, null);
  // The outbox: the job exists exactly when its image is queued.
  const job = await insertOutbox(tx, input.id, input.maxAttempts, input.now);
  return { ok: true, image, job };
}

export async function reserveImageIn(tx: Queryable, input: NewReservation): Promise<ReserveImageResult> {
  const refused = await takeSlot(tx, input);
  if (refused) return { ok: false, reason: refused };
  return { ok: true, image: await insertImage(tx, input, 'awaiting_upload', null, input.uploadExpiresAt) };
}

/** Why the session has no slot for one more image, or null after taking it. */
async function takeSlot(
  tx: Queryable,
  input: NewImage | NewReservation,
): Promise<Extract<AddImageResult, { ok: false }>['reason'] | null> {
  // The session row lock serialises uploads and reservations to one session across every process,
  // so the count read here is still true when the image is inserted.
  const { rows } = await query<Pick<SessionRow, 'expires_at' | 'image_count'>>(
    tx,
    'SELECT expires_at, image_count FROM sessions WHERE id = $1 AND user_id = $2 FOR UPDATE',
    [input.sessionId, input.userId],
  );
  const session = rows[0];
  if (!session) return 'session_not_found';
  if (session.expires_at < input.now) return 'session_expired';
  if (session.image_count >= input.maxImages) return 'too_many_images';
  await query(tx, `UPDATE sessions SET image_count = image_count + 1, state = 'processing' WHERE id = $1`, [
    input.sessionId,
  ]);
  return null;
}

async function insertImage(
  tx: Queryable,
  input: NewImage | NewReservation,
  status: ImageRecord['status'],
  blobSha256: string | null,
  uploadExpiresAt: number | null,
): Promise<ImageRecord> {
  const { rows } = await query<ImageRow>(
    tx,
    `INSERT INTO images (id, session_id, user_id, image_name, content_type, size_bytes, sha256, status, created_at,
         blob_key, blob_sha256, upload_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     RETURNING ${IMAGE_COLUMNS}`,
    [
      input.id,
      input.sessionId,
      input.userId,
      input.imageName,
      input.contentType,
      input.sizeBytes,
      input.sha256,
      status,
      input.now,
      input.blobKey,
      blobSha256,
      uploadExpiresAt,
    ],
  );
  return toImage(firstRow(rows));
}

async function insertOutbox(
  tx: Queryable,
  imageId: string,
  maxAttempts: number,
  now: number,
): Promise<OutboxEntry> {
  const { rows } = await query<OutboxRow>(
    tx,
    `INSERT INTO outbox (image_id, session_id, user_id, max_attempts, created_at)
       SELECT id, session_id, user_id, $2, $3 FROM images WHERE id = $1
     RETURNING *`,
    [imageId, maxAttempts, now],
  );
  return toOutbox(firstRow(rows));
}

export async function completeUploadIn(tx: Queryable, input: CompleteUpload): Promise<CompleteUploadResult> {
  // The session row first, as everywhere (one lock order).
  await query(tx, 'SELECT id FROM sessions WHERE id = $1 AND user_id = $2 FOR UPDATE', [
    input.sessionId,
    input.userId,
  ]);
  const { rows } = await query<ImageRow>(
    tx,
    `UPDATE images SET status = 'queued', blob_key = $4, blob_sha256 = $5, upload_expires_at = NULL
       WHERE id = $1 AND session_id = $2 AND user_id = $3 AND status = 'awaiting_upload'
     RETURNING ${IMAGE_COLUMNS}`,
    [input.imageId, input.sessionId, input.userId, input.blobKey, input.blobSha256],
  );
  const image = rows[0];
  if (!image) {
    const exists = await query(
      tx,
      'SELECT 1 FROM images WHERE id = $1 AND session_id = $2 AND user_id = $3',
      [input.imageId, input.sessionId, input.userId],
    );
    return { ok: false, reason: exists.rowCount ? 'not_awaiting_upload' : 'image_not_found' };
  }
  const job = await insertOutbox(tx, input.imageId, input.maxAttempts, input.now);
  return { ok: true, image: toImage(image), job };
}

export async function releaseReservationIn(tx: Queryable, imageId: string, now: number): Promise<boolean> {
  const session = await query<{ id: string }>(
    tx,
    'SELECT id FROM sessions WHERE id = (SELECT session_id FROM images WHERE id = $1) FOR UPDATE',
    [imageId],
  );
  const sessionId = session.rows[0]?.id;
  if (!sessionId) return false;
  const deleted = await query(
    tx,
    `DELETE FROM images WHERE id = $1 AND status = 'awaiting_upload' AND upload_expires_at < $2`,
    [imageId, now],
  );
  if (!deleted.rowCount) return false;
  // The slot is free again; a session left with only finished images is completed, with none open.
  await query(
    tx,
    `UPDATE sessions SET image_count = image_count - 1,
       state = CASE WHEN image_count - 1 = 0 THEN 'open'
         WHEN EXISTS (SELECT 1 FROM images WHERE session_id = sessions.id AND status IN (${PENDING})) THEN state
         ELSE 'completed' END
       WHERE id = $1`,
    [sessionId],
  );
  return true;
}

/** Deletes every row of a session; returns what lives in other stores. Runs inside a transaction. */
export async function purge(tx: Queryable, sessionId: string): Promise<ErasedSession> {
  const { rows } = await query<{ id: string; blob_key: string | null }>(
    tx,
    `SELECT id, blob_key FROM images WHERE session_id = $1 ORDER BY created_at, id`,
    [sessionId],
  );
  for (const table of ['idempotency', 'webhooks', 'outbox', 'images'])
    await query(tx, `DELETE FROM ${table} WHERE session_id = $1`, [sessionId]);
  await query(tx, 'DELETE FROM sessions WHERE id = $1', [sessionId]);
  return {
    blobKeys: rows.flatMap((r) => (r.blob_key === null ? [] : [r.blob_key])),
    imageIds: rows.map((r) => r.id),
  };
}

export async function finishImageIn(tx: Queryable, input: FinishImage): Promise<FinishImageResult> {
  // Lock the session first, as addImage and deleteSession do (one lock order, so no deadlock), then
  // the image: two images of one session finishing at once then see each other's status when
  // counting what is left, and the image cannot be purged meanwhile.
  const session = await query<{ id: string }>(
    tx,
    'SELECT id FROM sessions WHERE id = (SELECT session_id FROM images WHERE id = $1) FOR UPDATE',
    [input.imageId],
  );
  if (session.rowCount === 0) return { written: false, reason: 'gone' };
  const { rows } = await query<{ session_id: string; status: string }>(
    tx,
    'SELECT session_id, status FROM images WHERE id = $1 FOR UPDATE',
    [input.imageId],
  );
  const image = rows[0];
  if (!image) return { written: false, reason: 'gone' };
  if (image.status === 'done' || image.status === 'failed') return { written: false, reason: 'duplicate' };
  await writeOutcome(tx, input);
  const pending = await query<{ n: number }>(
    tx,
    `SELECT COUNT(*) AS n FROM images WHERE session_id = $1 AND status IN (${PENDING})`,
    [image.session_id],
  );
  const completed = pending.rows[0]?.n === 0;
  if (completed) await query(tx, `UPDATE sessions SET state = 'completed' WHERE id = $1`, [image.session_id]);
  return { written: true, sessionId: image.session_id, sessionCompleted: completed };
}

async function writeOutcome(tx: Queryable, input: FinishImage): Promise<void> {
  const o = input.outcome;
  const stored = o.status === 'done' ? storedFaces(o.faces) : null;
  await query(
    tx,
    `UPDATE images SET status = $2, width = $3, height = $4, faces = $5::jsonb, error_code = $6, error_message = $7,
         model_id = $8, model_version = $9, completed_at = $10, finished_attempt_key = $11, landmarks = $12::jsonb
       WHERE id = $1`,
    [
      input.imageId,
      o.status,
      o.width ?? null,
      o.height ?? null,
      JSON.stringify(stored?.faces ?? []),
      o.status === 'failed' ? o.error.code : null,
      o.status === 'failed' ? o.error.message : null,
      o.status === 'done' ? o.model.id : null,
      o.status === 'done' ? o.model.version : null,
      input.now,
      input.attemptKey,
      stored ? JSON.stringify(stored.landmarks) : null,
    ],
  );
}

export async function beginIdempotencyIn(tx: Queryable, input: BeginIdempotency): Promise<IdempotencyBegin> {
  // Claim in one statement: insert, or take over a record past its ttl. Two racing requests with
  // one key cannot both see "no record": the loser's ON CONFLICT waits for the winner's row and
  // leaves it locked, so the read below sees it.
  // The record as it was, locked: an unfinished claim past its lease with the same payload is a crash.
  const before = await query<{ request_hash: string; status_code: number | null }>(
    tx,
    'SELECT request_hash, status_code FROM idempotency WHERE user_id = $1 AND key = $2 FOR UPDATE',
    [input.userId, input.key],
  );
  const claimed = await query(
    tx,
    `INSERT INTO idempotency (user_id, key, session_id, request_hash, status_code, body, expires_at)
       VALUES ($1, $2, $3, $4, NULL, NULL, $5)
     ON CONFLICT (user_id, key) DO UPDATE
       SET session_id = EXCLUDED.session_id, request_hash = EXCLUDED.request_hash,
           status_code = NULL, body = NULL, expires_at = EXCLUDED.expires_at
       WHERE idempotency.expires_at < $6`,
    [
      input.userId,
      input.key,
      input.sessionId,
      input.requestHash,
      input.now + (input.leaseMs ?? input.ttlMs),
      input.now,
    ],
  );
  if ((claimed.rowCount ?? 0) > 0) {
    const prior = before.rows[0];
    const crashed = prior && prior.status_code === null && prior.request_hash === input.requestHash;
    return { state: crashed ? 'reclaimed' : 'new' };
  }
  const { rows } = await query<{ request_hash: string; status_code: number | null; body: string | null }>(
    tx,
    'SELECT request_hash, status_code, body FROM idempotency WHERE user_id = $1 AND key = $2',
    [input.userId, input.key],
  );
  const row = rows[0];
  if (!row) throw new Error('Idempotency record vanished while locked.');
  if (row.request_hash !== input.requestHash) return { state: 'mismatch' };
  if (row.status_code === null || row.body === null) return { state: 'in_flight' };
  return { state: 'replay', statusCode: row.status_code, body: row.body };
}
