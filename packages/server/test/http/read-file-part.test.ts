import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readFilePart } from '../../src/http/read-file-part.js';

const MiB = 2 ** 20;
const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]);

/** An 8 MiB "JPEG" whose 64 KiB chunks are all buffered already, as after a busy turn of the loop. */
function bufferedFile(): { file: Readable; bytes: Buffer } {
  const bytes = Buffer.concat([JPEG_HEAD, Buffer.alloc(8 * MiB - JPEG_HEAD.length, 0x41)]);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 64 * 1024) chunks.push(bytes.subarray(at, at + 64 * 1024));
  return { file: Readable.from(chunks), bytes };
}

describe('readFilePart', () => {
  it('hashes the bytes it returns', async () => {
    const { file, bytes } = bufferedFile();
    const raw = await readFilePart(file, { maxFileBytes: 10 * MiB, md5: true });
    expect(raw.bytes.equals(bytes)).toBe(true);
    expect(raw.type).toBe('image/jpeg');
    expect(raw.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(raw.md5).toBe(createHash('md5').update(bytes).digest('base64'));
  });

  it('returns the same bytes whether they fit the capacity hint, overflow it, or come without one', async () => {
    for (const capacityBytes of [9 * MiB, 8 * MiB, 3 * MiB, 5, undefined]) {
      const { file, bytes } = bufferedFile();
      const raw = await readFilePart(file, { maxFileBytes: 10 * MiB, capacityBytes });
      expect(raw.bytes.equals(bytes)).toBe(true);
      expect(raw.type).toBe('image/jpeg');
    }
  });

  it('computes the MD5 only when asked (a request with Content-MD5)', async () => {
    const raw = await readFilePart(bufferedFile().file, { maxFileBytes: 10 * MiB });
    expect(raw.md5).toBeNull();
  });

  it('gives the event loop a turn between megabytes, so /healthz is answered meanwhile', async () => {
    // Before: every buffered chunk was hashed in one macrotask (microtasks only), so a request that
    // arrived meanwhile waited for all 8 MiB; the server's event loop stalled 1.8 s in the burst.
    let turns = 0;
    const tick = () => {
      turns += 1;
      if (!done) setImmediate(tick);
    };
    let done = false;
    setImmediate(tick);
    await readFilePart(bufferedFile().file, { maxFileBytes: 10 * MiB });
    done = true;
    expect(turns).toBeGreaterThanOrEqual(4);
  });
});
