import type { Logger } from 'pino';
import type { JobQueue } from '../queue/job-queue.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { MetadataStore } from '../storage/metadata-store.js';

export interface CleanupOptions {
  store: MetadataStore;
  blobs: BlobStore;
  queue: JobQueue;
  logger: Logger;
  /** The clock. */
  now: number;
  /** Temp files of uploads older than this are stale, in ms. Default 3 600 000. */
  staleUploadMs?: number;
  /** Sessions purged per pass at most. Default 1000. */
  batch?: number;
}

export interface CleanupReport {
  sessions: number;
  blobs: number;
  tempFiles: number;
  orphans: number;
  idempotency: number;
  /** Direct-upload reservations that lapsed uncompleted and gave their slot back. */
  reservations: number;
}

/**
 * One cleanup pass: expired sessions with everything in them (rows, encodings, jobs, blobs), stale
 * direct-upload reservations that lapsed (their slot freed, any object that arrived deleted), stale
 * upload temp files, blobs no record points at, and expired idempotency records.
 */
export async function runCleanup(o: CleanupOptions): Promise<CleanupReport> {
  const report: CleanupReport = {
    sessions: 0,
    blobs: 0,
    tempFiles: 0,
    orphans: 0,
    idempotency: 0,
    reservations: 0,
  };
  const expired = await o.store.listExpiredSessions(o.now, o.batch ?? 1000);
  for (const session of expired) {
    await o.store.purgeSession(session.id);
    await o.queue.removeForImages(session.imageIds);
    for (const key of session.blobKeys) {
      await o.blobs.delete(key);
      report.blobs++;
    }
    report.sessions++;
  }
  for (const lapsed of await o.store.listLapsedReservations(o.now, o.batch ?? 1000)) {
    // Released first: a complete racing this sees the image gone, not an object that vanished.
    if (!(await o.store.releaseReservation(lapsed.imageId, o.now))) continue;
    if (lapsed.blobKey) await o.blobs.delete(lapsed.blobKey);
    report.reservations++;
  }
  report.tempFiles = await o.blobs.sweepTemp(o.staleUploadMs ?? 3_600_000);
  // A blob is written just before its record, so only blobs older than the grace period can be
  // orphans: an upload in flight is never eaten.
  const cutoff = o.now - (o.staleUploadMs ?? 3_600_000);
  const candidates: string[] = [];
  for await (const blob of o.blobs.list()) if (blob.modifiedAt < cutoff) candidates.push(blob.key);
  const referenced = await o.store.listReferencedBlobKeys();
  for (const key of candidates.filter((k) => !referenced.has(k))) {
    await o.blobs.delete(key);
    report.orphans++;
  }
  report.idempotency = await o.store.purgeIdempotency(o.now);
  if (report.sessions || report.orphans || report.tempFiles || report.reservations)
    o.logger.info(report, 'cleanup pass');
  return report;
}
