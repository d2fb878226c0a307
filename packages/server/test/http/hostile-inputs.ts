// Hostile uploads and requests, each with the problem the API documents for it.
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { sample } from '../encoder/sample-images.js';

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A few hundred bytes declaring a 20000×20000 RGB image: a decompression bomb. */
export function pngBomb(): Buffer {
  return pngDeclaring(20_000, 20_000);
}

/** A tiny PNG whose header declares width × height RGB pixels (the data is one short zero row). */
export function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(20_001 * 4))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG carrying ~1 MiB of EXIF/APP segments (split over many APP1 markers, each ≤ 64 KiB). */
export async function jpegWithHugeExif(): Promise<Buffer> {
  const jpeg = await sharp(sample(2)).resize(320).jpeg().toBuffer();
  const segments: Buffer[] = [];
  for (let i = 0; i < 17; i++) {
    const payload = Buffer.concat([Buffer.from('Exif\0\0'), Buffer.alloc(60_000, 0x41)]);
    const header = Buffer.from([0xff, 0xe1, 0, 0]);
    header.writeUInt16BE(payload.length + 2, 2);
    segments.push(header, payload);
  }
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}

export interface HostileCase {
  name: string;
  /** The request to send (path relative to the session when `upload`). */
  request: (sessionPath: string) => { path: string; init: RequestInit };
  status: number;
  code: string;
}

const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) => ({
  path,
  init: { method: 'POST', body, headers },
});

function form(
  file: Buffer | null,
  name = 'photo.jpg',
  extra: Record<string, string> = {},
  field = 'file',
): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(extra)) f.set(k, v);
  if (file) f.set(field, new Blob([new Uint8Array(file)]), name);
  return f;
}

export async function hostileCases(): Promise<HostileCase[]> {
  const jpeg = await sharp(sample(2)).resize(320).jpeg().toBuffer();
  const upload = (body: BodyInit, headers?: Record<string, string>) => (s: string) =>
    post(`/v1/image/${s}`, body, headers);
  return [
    { name: 'zero bytes', request: upload(form(Buffer.alloc(0))), status: 400, code: 'invalid_image' },
    {
      name: 'truncated JPEG',
      request: upload(form(jpeg.subarray(0, Math.floor(jpeg.length / 3)))),
      status: 400,
      code: 'invalid_image',
    },
    {
      name: 'text named .jpg',
      request: upload(form(Buffer.from('just some text, honest\n'.repeat(10)))),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'SVG',
      request: upload(
        form(
          Buffer.from(
            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
          ),
          'x.svg',
        ),
      ),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'TIFF',
      request: upload(form(await sharp(jpeg).tiff().toBuffer(), 'x.tif')),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'HEIC',
      request: upload(
        form(
          Buffer.concat([
            Buffer.from([0, 0, 0, 0x18]),
            Buffer.from('ftypheic\0\0\0\0mif1heic'),
            Buffer.alloc(64),
          ]),
          'x.heic',
        ),
      ),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'PDF',
      request: upload(form(Buffer.from('%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF'), 'x.pdf')),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'PNG declaring 20000×20000',
      request: upload(form(pngBomb(), 'bomb.png')),
      status: 400,
      code: 'invalid_image',
    },
    {
      name: 'WebP header with garbage',
      request: upload(
        form(
          Buffer.concat([
            Buffer.from('RIFF'),
            Buffer.from([0xff, 0, 0, 0]),
            Buffer.from('WEBPVP8 '),
            Buffer.alloc(200, 7),
          ]),
          'x.webp',
        ),
      ),
      status: 400,
      code: 'invalid_image',
    },
    {
      name: 'file over the limit',
      request: upload(form(Buffer.concat([jpeg, Buffer.alloc(1.5 * 2 ** 20)]))),
      status: 413,
      code: 'file_too_large',
    },
    {
      name: 'two files in one request',
      request: (s) => {
        const f = form(jpeg);
        f.append('file', new Blob([new Uint8Array(jpeg)]), 'second.jpg');
        return post(`/v1/image/${s}`, f);
      },
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'missing file field',
      request: upload(form(null, '', { image_name: 'x' })),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'file under another field name',
      request: upload(form(jpeg, 'a.jpg', {}, 'image')),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'unexpected extra field',
      request: upload(form(jpeg, 'a.jpg', { admin: 'true' })),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'image_name over 255 characters',
      request: upload(form(jpeg, 'a.jpg', { image_name: 'x'.repeat(300) })),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'JSON instead of multipart',
      request: upload(JSON.stringify({ file: 'AAAA' }), { 'content-type': 'application/json' }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'Content-Digest mismatch',
      request: upload(form(jpeg), { 'content-digest': `sha-256=:${Buffer.alloc(32).toString('base64')}:` }),
      status: 400,
      code: 'digest_mismatch',
    },
    {
      name: 'Content-MD5 mismatch',
      request: upload(form(jpeg), { 'content-md5': Buffer.alloc(16).toString('base64') }),
      status: 400,
      code: 'digest_mismatch',
    },
    {
      name: 'wait above 30 s',
      request: (s) => post(`/v1/image/${s}?wait=31`, form(jpeg)),
      status: 400,
      code: 'validation_failed',
    },
    ...['0x10', 'Infinity', '1e1', '+5', ' 5', '5.0', ''].map((value) => ({
      name: `wait=${JSON.stringify(value)} (not a plain decimal integer)`,
      request: (s: string) => post(`/v1/image/${s}?wait=${encodeURIComponent(value)}`, form(jpeg)),
      status: 400,
      code: 'validation_failed',
    })),
    {
      name: 'wait[]=1 (an array)',
      request: (s: string) => post(`/v1/image/${s}?wait[]=1`, form(jpeg)),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'wait twice',
      request: (s: string) => post(`/v1/image/${s}?wait=1&wait=2`, form(jpeg)),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'bad UUID in the path',
      request: () => post('/v1/image/not-a-uuid', form(jpeg)),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'path traversal as the session id',
      request: () => post('/v1/image/..%2F..%2Fetc%2Fpasswd', form(jpeg)),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'unknown session',
      request: () => post('/v1/image/3f9c1e2a-7b4d-4e8f-9a6b-1c2d3e4f5a6b', form(jpeg)),
      status: 404,
      code: 'session_not_found',
    },
    {
      name: 'oversized JSON body',
      request: () =>
        post('/v1/session', JSON.stringify({ vendor_data: 'x'.repeat(200_000) }), {
          'content-type': 'application/json',
        }),
      status: 413,
      code: 'body_too_large',
    },
    {
      name: 'malformed JSON',
      request: () => post('/v1/session', '{"vendor_data": ', { 'content-type': 'application/json' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'unknown JSON property',
      request: () =>
        post('/v1/session', JSON.stringify({ admin: true }), { 'content-type': 'application/json' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'vendor_data over 1024',
      request: () =>
        post('/v1/session', JSON.stringify({ vendor_data: 'v'.repeat(1025) }), {
          'content-type': 'application/json',
        }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'callback_url not a URL',
      request: () =>
        post('/v1/session', JSON.stringify({ callback_url: 'javascript:alert(1)' }), {
          'content-type': 'application/json',
        }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'ttl_seconds out of range',
      request: () =>
        post('/v1/session', JSON.stringify({ ttl_seconds: 10 ** 9 }), { 'content-type': 'application/json' }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'limit above 100',
      request: () => ({ path: '/v1/sessions?limit=1000', init: {} }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'forged cursor',
      request: () => ({ path: '/v1/sessions?cursor=%7B%22x%22', init: {} }),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'unknown route',
      request: () => ({ path: '/v1/admin', init: {} }),
      status: 404,
      code: 'not_found',
    },
  ];
}
