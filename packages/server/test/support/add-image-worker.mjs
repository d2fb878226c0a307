// A worker thread with its OWN SQLite connection that races another one to add images to one
// session (test/storage/sqlite-metadata-store.test.ts). Posts 'ready', waits for the start flag,
// then posts the outcome of each addImage.
import { randomUUID } from 'node:crypto';
import { register } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

register('./ts-loader.mjs', import.meta.url);
const { openSqliteDatabase } = await import('../../src/storage/sqlite-database.ts');
const { SqliteMetadataStore } = await import('../../src/storage/sqlite-metadata-store.ts');

const { path, sessionId, userId, attempts, now, start } = workerData;
const db = openSqliteDatabase({ path });
const store = new SqliteMetadataStore({ db });
const flag = new Int32Array(start);

parentPort.postMessage({ type: 'ready' });
Atomics.wait(flag, 0, 0);

const outcomes = [];
for (let i = 0; i < attempts; i++) {
  const id = randomUUID();
  const result = await store.addImage({
    id,
    userId,
    sessionId,
    imageName: null,
    contentType: 'image/jpeg',
    sizeBytes: 1,
    sha256: '0'.repeat(64),
    blobKey: `images/${sessionId}/${id}`,
    maxImages: 5,
    maxAttempts: 3,
    now,
  });
  outcomes.push(result.ok ? 'ok' : result.reason);
}
await store.close();
parentPort.postMessage({ type: 'done', outcomes });
