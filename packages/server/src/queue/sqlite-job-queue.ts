import { randomUUID } from 'node:crypto';
import { statementCache, type SqliteDatabase } from '../storage/sqlite-database.js';
import type { JobQueue, LeasedJob, NewJob, QueueDepth } from './job-queue.js';

export interface SqliteJobQueueOptions {
  /** An open, migrated database; the embedded deployment shares its file with the metadata store. */
  db: SqliteDatabase;
  /** Clock, injectable for tests. Default Date.now. */
  now?: () => number;
}

interface JobRow {
  id: string;
  image_id: string;
  session_id: string;
  attempt: number;
  max_attempts: number;
  lease_token: string;
}

/**
 * The embedded job queue: rows in SQLite, leased with a visibility timeout. A job whose lease
 * expired is delivered again with the next attempt number, even past maxAttempts (its worker
 * crashed before it could fail the job): workers treat `attempt > maxAttempts` as final.
 */
export class SqliteJobQueue implements JobQueue {
  readonly #db: SqliteDatabase;
  readonly #sql: ReturnType<typeof statementCache>;
  readonly #now: () => number;

  constructor(options: SqliteJobQueueOptions) {
    this.#db = options.db;
    this.#sql = statementCache(options.db);
    this.#now = options.now ?? Date.now;
  }

  async enqueue(job: NewJob): Promise<void> {
    // The image id is the job id, so a second publish of the same outbox entry is a no-op.
    this.#sql(
      `INSERT OR IGNORE INTO jobs (id, image_id, session_id, user_id, attempt, max_attempts, run_at, created_at)
         VALUES (@imageId, @imageId, @sessionId, @userId, 0, @maxAttempts, @createdAt, @createdAt)`,
    ).run(job);
  }

  async lease(workerId: string, leaseMs: number): Promise<LeasedJob | null> {
    const now = this.#now();
    // One statement picks and leases, so two workers (or processes) never lease the same job.
    // Fair between users, not first come first served (one user's burst would delay everyone): the
    // user with the fewest jobs running goes first, then users take turns, each job ranked by its
    // place in its own user's line, and arrival order breaks ties.
    const row = this.#sql(
      `UPDATE jobs SET lease_token = @token, leased_until = @until, worker_id = @workerId, attempt = attempt + 1
         WHERE id = (
           SELECT id FROM (
             SELECT id, run_at, created_at, user_id,
                    ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY run_at, created_at, id) AS turn
             FROM jobs
             WHERE dead = 0 AND run_at <= @now AND (leased_until IS NULL OR leased_until < @now)
           ) AS due
           ORDER BY (SELECT COUNT(*) FROM jobs AS running
                      WHERE running.user_id = due.user_id AND running.dead = 0 AND running.leased_until >= @now),
                    turn, run_at, created_at, id
           LIMIT 1
         )
         RETURNING id, image_id, session_id, attempt, max_attempts, lease_token`,
    ).get({ token: randomUUID(), until: now + leaseMs, workerId, now }) as JobRow | undefined;
    if (!row) return null;
    return {
      id: row.id,
      imageId: row.image_id,
      sessionId: row.session_id,
      attempt: row.attempt,
      maxAttempts: row.max_attempts,
      leaseToken: row.lease_token,
    };
  }

  async heartbeat(job: LeasedJob, leaseMs: number): Promise<boolean> {
    const result = this.#sql(
      'UPDATE jobs SET leased_until = ? WHERE id = ? AND lease_token = ? AND dead = 0',
    ).run(this.#now() + leaseMs, job.id, job.leaseToken);
    return result.changes > 0;
  }

  async complete(job: LeasedJob): Promise<void> {
    this.#sql('DELETE FROM jobs WHERE id = ? AND lease_token = ?').run(job.id, job.leaseToken);
  }

  /**
   * With a stale lease token nothing is written and the result is 'retry': the job belongs to
   * another worker now, so the caller must not treat the image as finally failed.
   */
  async fail(job: LeasedJob, reason: string, retryAt: number | null): Promise<'retry' | 'dead'> {
    const retry = retryAt !== null && job.attempt < job.maxAttempts;
    const result = this.#sql(
      `UPDATE jobs SET lease_token = NULL, leased_until = NULL, worker_id = NULL, last_error = ?, dead = ?, run_at = ?
         WHERE id = ? AND lease_token = ? AND dead = 0`,
    ).run(reason, retry ? 0 : 1, retry ? retryAt : this.#now(), job.id, job.leaseToken);
    if (result.changes === 0) return 'retry';
    return retry ? 'retry' : 'dead';
  }

  async release(job: LeasedJob): Promise<void> {
    // The attempt was counted at lease time; hand it back so a redelivery does not use one up.
    this.#sql(
      `UPDATE jobs SET lease_token = NULL, leased_until = NULL, worker_id = NULL, run_at = ?, attempt = attempt - 1
         WHERE id = ? AND lease_token = ? AND dead = 0`,
    ).run(this.#now(), job.id, job.leaseToken);
  }

  async removeForImages(imageIds: string[]): Promise<void> {
    const del = this.#sql('DELETE FROM jobs WHERE image_id = ?');
    this.#db.transaction(() => {
      for (const id of imageIds) del.run(id);
    })();
  }

  async depth(): Promise<QueueDepth> {
    const now = this.#now();
    const row = this.#sql(
      `SELECT
           SUM(CASE WHEN dead = 0 AND (leased_until IS NULL OR leased_until < @now) THEN 1 ELSE 0 END) AS waiting,
           SUM(CASE WHEN dead = 0 AND leased_until >= @now THEN 1 ELSE 0 END) AS active,
           SUM(CASE WHEN dead = 1 THEN 1 ELSE 0 END) AS dead,
           MIN(CASE WHEN dead = 0 AND (leased_until IS NULL OR leased_until < @now) THEN created_at END) AS oldest
         FROM jobs`,
    ).get({ now }) as {
      waiting: number | null;
      active: number | null;
      dead: number | null;
      oldest: number | null;
    };
    return {
      waiting: row.waiting ?? 0,
      active: row.active ?? 0,
      dead: row.dead ?? 0,
      oldestWaitingAt: row.oldest ?? null,
    };
  }

  async ping(): Promise<void> {
    this.#sql('SELECT 1 FROM jobs LIMIT 1').get();
  }

  async close(): Promise<void> {
    // The database belongs to whoever opened it (it is shared with the metadata store).
  }
}
