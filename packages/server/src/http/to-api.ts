import type { ImageRecord, SessionRecord, WebhookRecord } from '../storage/records.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The API status: `expired` is derived from the clock, never stored, and wins over the stored state,
 * `completed` too: past expires_at uploads get 410 and cleanup deletes the session. The stores'
 * `listSessions` filter by the same definition (`expires_at < now`), so `?status=` agrees.
 */
export function sessionStatus(
  s: SessionRecord,
  now: number,
): 'open' | 'processing' | 'completed' | 'expired' {
  return s.expiresAt < now ? 'expired' : s.state;
}

export function toApiSession(s: SessionRecord, now: number, maxImages: number) {
  return {
    session_id: s.id,
    status: sessionStatus(s, now),
    created_at: iso(s.createdAt) as string,
    expires_at: iso(s.expiresAt) as string,
    image_count: s.imageCount,
    max_images: maxImages,
    vendor_data: s.vendorData,
    callback_url: s.callbackUrl,
  };
}

export function toApiImage(i: ImageRecord, opts: { landmarks: boolean }) {
  return {
    image_id: i.id,
    session_id: i.sessionId,
    image_name: i.imageName,
    content_type: i.contentType,
    size_bytes: i.sizeBytes,
    sha256: i.sha256,
    width: i.width,
    height: i.height,
    status: i.status,
    error: i.error,
    created_at: iso(i.createdAt) as string,
    completed_at: iso(i.completedAt),
    faces: i.faces.map((f) => ({
      box: f.box,
      score: f.score,
      encoding: f.encoding,
      quality: f.quality,
      ...(opts.landmarks ? { landmarks: f.landmarks ?? [] } : {}),
    })),
  };
}

export function toApiWebhook(w: WebhookRecord | null) {
  if (!w) return null;
  return {
    event_id: w.eventId,
    status: w.status,
    attempts: w.attempts,
    last_attempt_at: iso(w.lastAttemptAt),
    last_status_code: w.lastStatusCode,
    last_error: w.lastError,
  };
}
