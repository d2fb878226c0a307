import type { SessionSummary } from '@face-encode/sdk/node';
import { describe, expect, it } from 'vitest';
import { inCommandLineOrder } from '../src/command-line-order.js';

const image = (id: string) => ({ image_id: id, image_name: `${id}.jpg`, status: 'done', faces: [] });

// The server numbers images by arrival; here `b` arrived before `a` and `c`.
const summary = {
  session_id: 's',
  images: [image('b'), image('c'), image('a')],
  summary: {
    same_person: false,
    max_distance: 0.9,
    threshold: 0.6,
    distance_image_ids: ['b', 'c', 'a'],
    distances: [
      [0, 0.9, 0.5], // b–b, b–c, b–a
      [0.9, 0, 0.7], // c–b, c–c, c–a
      [0.5, 0.7, 0], // a–b, a–c, a–a
    ],
  },
} as unknown as SessionSummary;

describe('inCommandLineOrder', () => {
  it('permutes the image list and the distance matrix by the same command-line order', () => {
    const ordered = inCommandLineOrder(summary, ['a', 'b', 'c']);
    expect(ordered.images.map((i) => i.image_id)).toEqual(['a', 'b', 'c']);
    expect(ordered.summary.distance_image_ids).toEqual(['a', 'b', 'c']);
    expect(ordered.summary.distances).toEqual([
      [0, 0.5, 0.7],
      [0.5, 0, 0.9],
      [0.7, 0.9, 0],
    ]);
    expect(ordered.summary.max_distance).toBe(0.9);
  });

  it('keeps only the matrix rows the server sent (images without a face are not in it)', () => {
    const two = {
      ...summary,
      summary: {
        ...summary.summary,
        distance_image_ids: ['c', 'a'],
        distances: [
          [0, 0.7],
          [0.7, 0],
        ],
      },
    } as SessionSummary;
    const ordered = inCommandLineOrder(two, ['a', 'b', 'c']);
    expect(ordered.summary.distance_image_ids).toEqual(['a', 'c']);
    expect(ordered.summary.distances).toEqual([
      [0, 0.7],
      [0.7, 0],
    ]);
  });
});
