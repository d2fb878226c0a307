// `pnpm bench:direct`: CPU the API process spends per image, uploads through the API against direct
// uploads (reserve, PUT to storage, complete), on S3 (radosgw) and on the file store. The API runs as its
// own process with no encoder workers, so its CPU (utime + stime from /proc, Linux) is the API's alone.
// A benchmark, not a test: it prints numbers, it asserts nothing.
import { createHash } from 'node:crypto';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { SAMPLE_DIR } from './bench/selfie.js';
import { radosgwMissing, startRadosgw } from './dev/radosgw.js';
import { spawnServer, type ServerProcess } from './dev/server-process.js';

const IMAGES = process.env.FACE_ENCODE_BENCH_QUICK === '1' ? 10 : 60;
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

const b64 = (algorithm: string, bytes: Uint8Array) => createHash(algorithm).update(bytes).digest('base64');

async function run(api: ServerProcess, image: Buffer, direct: boolean): Promise<number> {
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${api.url}${path}`, { ...init, headers: { user_id: 'bench', ...init.headers } });
  const upload = async (sessionId: string) => {
    if (!direct) {
      const form = new FormData();
      form.set('file', new Blob([new Uint8Array(image)]), 'selfie.jpg');
      const res = await call(`/v1/image/${sessionId}`, { method: 'POST', body: form });
      if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
      return;
    }
    const reserved = await call(`/v1/image/${sessionId}/upload-url`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        content_type: 'image/jpeg',
        size_bytes: image.byteLength,
        sha256: b64('sha256', image),
        md5: b64('md5', image),
      }),
    });
    const r = (await reserved.json()) as {
      image_id: string;
      upload: { method: string; url: string; headers: Record<string, string> };
    };
    const put = await fetch(r.upload.url, {
      method: r.upload.method,
      headers: r.upload.headers,
      body: new Uint8Array(image),
    });
    if (!put.ok) throw new Error(`PUT: ${put.status} ${await put.text()}`);
    const done = await call(`/v1/image/${sessionId}/${r.image_id}/complete`, { method: 'POST' });
    if (done.status !== 200) throw new Error(`complete: ${done.status} ${await done.text()}`);
  };
  const pid = api.child.pid as number;
  const before = await cpuMs(pid);
  for (let i = 0; i < IMAGES; i += 5) {
    const session = (await (await call('/v1/session', { method: 'POST' })).json()) as { session_id: string };
    await Promise.all(Array.from({ length: Math.min(5, IMAGES - i) }, () => upload(session.session_id)));
  }
  return ((await cpuMs(pid)) - before) / IMAGES;
}

const missing = radosgwMissing();
if (missing) {
  console.log(`Skipped: needs radosgw (${missing}).`);
  process.exit(0);
}
// A phone-sized selfie: sample1 at 1600 px wide, as a camera JPEG.
const image = await sharp(await readFile(join(SAMPLE_DIR, 'sample1.jpg')))
  .resize(1600)
  .jpeg({ quality: 90 })
  .toBuffer();
const rgw = await startRadosgw();
const dataDir = await mkdtemp(join(tmpdir(), 'face-encode-bench-direct-'));
const rows: string[] = [];
try {
  await rgw.createBucket('bench');
  const env = {
    FACE_ENCODE_RATE_LIMIT: '1000000',
    FACE_ENCODE_LOG_LEVEL: 'info',
    AWS_ACCESS_KEY_ID: rgw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
  };
  const base = ['start', '--auth', 'demo', '--workers', '0', '--port', '0'];
  const targets = [
    {
      name: 'S3 (radosgw)',
      args: [
        '--data-dir',
        join(dataDir, 's3'),
        '--blob-url',
        's3://bench/blobs',
        '--s3-endpoint',
        rgw.endpoint,
      ],
    },
    { name: 'file store', args: ['--data-dir', join(dataDir, 'fs')] },
  ];
  for (const target of targets) {
    const extra = target.name.startsWith('S3') ? ['--s3-force-path-style'] : [];
    const api = await spawnServer([...base, ...target.args, ...extra], env, 'listening');
    try {
      await run(api, image, false); // warm-up: JIT, sharp, connections
      await run(api, image, true);
      const through = await run(api, image, false);
      const direct = await run(api, image, true);
      rows.push(`| ${target.name} | ${through.toFixed(1)} ms | ${direct.toFixed(1)} ms |`);
    } finally {
      await api.kill();
    }
  }
} finally {
  await rgw.stop();
  await rm(dataDir, { recursive: true, force: true });
}
console.log(
  `API-process CPU per image, ${IMAGES} images of ${(image.byteLength / 1024).toFixed(0)} KiB (1600 px JPEG), 5 in flight, no encoder workers:\n`,
);
console.log('| blob store | through the API | direct (reserve + PUT + complete) |');
console.log('| --- | --- | --- |');
for (const row of rows) console.log(row);
