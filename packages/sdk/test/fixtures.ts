import type { Image, Problem, Session, SessionSummary } from '../src/index.js';

export const BASE = 'http://face-encode.test';
export const SESSION_ID = '3f9c1e2a-7b4d-4e8f-9a6b-1c2d3e4f5a6b';
export const IMAGE_ID = '8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d';

export function session(overrides: Partial<Session> = {}): Session {
  return {
    session_id: SESSION_ID,
    status: 'open',
    created_at: '2026-11-22T10:00:00.000Z',
    expires_at: '2026-11-23T10:00:00.000Z',
    image_count: 0,
    max_images: 5,
    vendor_data: null,
    callback_url: null,
    ...overrides,
  };
}

export function image(overrides: Partial<Image> = {}): Image {
  return {
    image_id: IMAGE_ID,
    session_id: SESSION_ID,
    image_name: 'a.jpg',
    content_type: 'image/jpeg',
    size_bytes: 3,
    sha256: '00',
    width: null,
    height: null,
    status: 'queued',
    error: null,
    created_at: '2026-11-22T10:00:01.000Z',
    completed_at: null,
    faces: [],
    ...overrides,
  };
}

export function summary(overrides: Partial<SessionSummary> = {}): SessionSummary {
  return {
    ...session({ status: 'completed', image_count: 2 }),
    images: [],
    summary: {
      images_done: 2,
      images_failed: 0,
      images_without_face: 0,
      faces_total: 2,
      same_person: true,
      verdict_reason: null,
      max_distance: 0.41,
      distances: [
        [0, 0.41],
        [0.41, 0],
      ],
      distance_image_ids: [],
      threshold: 0.6,
      model: { id: 'm', version: '1' },
    },
    webhook: null,
    ...overrides,
  };
}

export function problem(status: number, code: Problem['code'], requestId = 'req-test'): Problem {
  return {
    type: `https://face-encode.dev/problems/${code}`,
    title: code,
    status,
    code,
    request_id: requestId,
    error: `problem ${code}`,
  };
}
