import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.js';

// Every log line of a real start, so a warning at start-up fails the test.
const lines: Array<{ level: number; msg: string }> = [];
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'face-encode-warn-'));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  server = await startServer(
    { auth: 'demo', port: 0, workers: 0, cleanupIntervalMs: 0, dataDir: dir },
    { logger: pino({ level: 'info' }, sink) },
  );
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('start-up', () => {
  it('logs no warning, in particular no "ContentTypeParser for … not found"', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
  });

  it.each(['application/problem+json', 'text/html'])(
    'refuses a request body sent as %s with 415',
    async (type) => {
      const res = await fetch(`${server.url}/v1/session`, {
        method: 'POST',
        headers: { 'content-type': type, user_id: 'alice' },
        body: '{}',
      });
      expect(res.status).toBe(415);
      expect(((await res.json()) as { code: string }).code).toBe('unsupported_media_type');
    },
  );
});
