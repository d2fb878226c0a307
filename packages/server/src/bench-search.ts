// `pnpm bench:search`: 1:N search latency (p50/p99) at 10k, 100k and 1M faces on one core, the
// memory a cached collection takes, and the cold-start load (read every sealed face from SQLite a
// page at a time and decrypt it) that the first search after a start pays. Each size runs in a
// child process of its own, so its peak RSS is its own. Prints numbers, asserts nothing.
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCollectionEvents } from './collections/collection-events.js';
import { CollectionIndex } from './collections/collection-index.js';
import { exactSearch } from './collections/exact-search.js';
import { ENCODING_DIMS, KeyWrap, sealEncoding } from './collections/template-crypto.js';
import { openSqliteDatabase } from './storage/sqlite-database.js';
import { SqliteCollectionStore } from './storage/sqlite-collection-store.js';
import { SqliteKeyStore } from './storage/sqlite-key-store.js';

const sizes = (process.env.FACE_ENCODE_BENCH_SIZES ?? '10000,100000,1000000').split(',').map(Number);
/** Rows per query of the cold load; `all` reads the collection in one query (the load before paging). */
const pageSizeOf = (n: number) =>
  process.env.FACE_ENCODE_BENCH_PAGE_SIZE === 'all'
    ? n
    : Number(process.env.FACE_ENCODE_BENCH_PAGE_SIZE ?? 1000);

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

/** Components around ±0.1, like real encodings (typical distances near the 0.6 threshold). */
const randomEncoding = () => Float32Array.from({ length: ENCODING_DIMS }, () => (Math.random() - 0.5) * 0.2);

async function benchSize(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'face-encode-bench-search-'));
  const db = openSqliteDatabase({ path: join(dir, 'face-encode.db') });
  const keys = new SqliteKeyStore({ path: join(dir, 'collection-keys.db') });
  try {
    const store = new SqliteCollectionStore({ db });
    const keyWrap = new KeyWrap({ masterKey: randomBytes(32) });
    const id = randomUUID();
    const { key, wrapped } = keyWrap.newDataKey(id);
    await keys.put(id, wrapped);
    await store.createCollection({ id, userId: 'bench', name: 'bench', modelId: 'm', now: 0 });
    const insert = db.prepare(
      `INSERT INTO collection_faces (id, collection_id, label, external_id, session_id, image_id, face_index, created_at, sealed)
         VALUES (?, ?, NULL, NULL, ?, ?, 0, ?, ?)`,
    );
    const stored: Float32Array[] = [];
    db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const faceId = randomUUID();
        const encoding = randomEncoding();
        if (stored.length < 100) stored.push(encoding);
        insert.run(faceId, id, randomUUID(), randomUUID(), i, sealEncoding(key, id, faceId, encoding));
      }
    })();

    global.gc?.();
    const heapBefore = process.memoryUsage();
    const peakBefore = process.resourceUsage().maxRSS / 1024;
    const events = new LocalCollectionEvents();
    const index = new CollectionIndex({
      store,
      keys,
      keyWrap,
      events,
      pageSize: pageSizeOf(n),
    });
    const t0 = performance.now();
    const loaded = await index.load(id, n);
    const loadMs = performance.now() - t0;
    const peakAfter = process.resourceUsage().maxRSS / 1024;
    global.gc?.();
    const heapAfter = process.memoryUsage();
    const matrix = loaded.faces.matrix;
    const matrixMb = matrix.byteLength / 2 ** 20;
    const processMb = (heapAfter.rss - heapBefore.rss) / 2 ** 20;
    // The peak the load set, if it set one (filling the database may have peaked higher).
    const peak = peakAfter > peakBefore ? `${peakAfter.toFixed(0)} MiB` : `≤ ${peakBefore.toFixed(0)} MiB`;

    const runs = n >= 1_000_000 ? 50 : 200;
    const timings = { threshold: [] as number[], any: [] as number[], known: [] as number[] };
    for (let r = 0; r < runs; r++) {
      const probe = randomEncoding();
      let t = performance.now();
      exactSearch(matrix, n, probe, 5, 0.6);
      timings.threshold.push(performance.now() - t);
      t = performance.now();
      exactSearch(matrix, n, probe, 100, 4);
      timings.any.push(performance.now() - t);
      const near = stored[r % stored.length]!.map((x) => x + (Math.random() - 0.5) * 0.02);
      t = performance.now();
      exactSearch(matrix, n, near, 5, 0.6);
      timings.known.push(performance.now() - t);
    }
    // A change after the load: applied as a delta (one row read and decrypted, or one row dropped).
    const extra = randomUUID();
    insert.run(extra, id, randomUUID(), randomUUID(), n, sealEncoding(key, id, extra, randomEncoding()));
    let since = performance.now();
    await events.publish({ kind: 'faces-added', collectionId: id, faceIds: [extra] });
    await index.load(id);
    const addMs = performance.now() - since;
    db.prepare('DELETE FROM collection_faces WHERE id = ?').run(extra);
    since = performance.now();
    await events.publish({ kind: 'faces-removed', collectionId: id, faceIds: [extra] });
    await index.load(id);
    const deleteMs = performance.now() - since;

    const f = (v: number[]) => `${pct(v, 50).toFixed(2)} / ${pct(v, 99).toFixed(2)}`;
    console.log(
      `| ${n.toLocaleString('en')} | ${f(timings.threshold)} | ${f(timings.known)} | ${f(timings.any)} | ${matrixMb.toFixed(0)} MiB | ${processMb.toFixed(0)} MiB | ${peak} | ${(loadMs / 1000).toFixed(2)} s | ${addMs.toFixed(2)} / ${deleteMs.toFixed(2)} |`,
    );
  } finally {
    await keys.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.FACE_ENCODE_BENCH_CHILD) {
  for (const n of sizes) await benchSize(n);
} else {
  console.log(
    `bench:search, Node ${process.version}, one thread; latencies in ms (p50 / p99); load page ${process.env.FACE_ENCODE_BENCH_PAGE_SIZE ?? 1000} rows`,
  );
  console.log(
    '| faces | k=5, max 0.6, random probe | k=5, max 0.6, probe near a stored face | k=100, max 4 (no pruning) | matrix | RSS growth at load | peak RSS | cold load (paged read + decrypt) | add / delete applied (ms) |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const n of sizes) {
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!], {
      env: { ...process.env, FACE_ENCODE_BENCH_SIZES: String(n), FACE_ENCODE_BENCH_CHILD: '1' },
      stdio: 'inherit',
    });
    if (child.status !== 0) process.exitCode = 1;
  }
}
