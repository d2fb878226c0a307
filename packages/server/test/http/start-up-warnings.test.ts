import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLog } from '../support/log-capture.js';
import { startServer, type RunningServer } from '../../src/server.js';

// Every log line of a real start, so a warning at start-up fails the test.
const log = captureLog('info');
const lines = log.lines;
// Process warnings (Node's and Fastify's FSTDEP deprecations go to stderr, not to the logger).
const warnings: Array<{ name: string; code?: string; message: string }> = [];
const onWarning = (w: Error & { code?: string }) =>
  warnings.push({ name: w.name, code: w.code, message: w.message });
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  process.on('warning', onWarning);
  dir = mkdtempSync(join(tmpdir(), 'face-encode-warn-'));
  server = await startServer(
    { auth: 'demo', port: 0, workers: 0, cleanupIntervalMs: 0, dataDir: dir },
    { logger: log.logger },
  );
});
afterAll(async () => {
  process.off('warning', onWarning);
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('start-up', () => {
  it('logs no warning, in particular no "ContentTypeParser for … not found"', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
  });

  it("emits no deprecation warning (such as Fastify's FSTDEP023 for disableRequestLogging)", async () => {
    // process.emitWarning delivers on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((w) => /Deprecation/.test(w.name) || /^(FST|DEP)/.test(w.code ?? ''))).toEqual([]);
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

describe('request log', () => {
  it('writes one line per request, not Fastify\'s "incoming request" as well', async () => {
    const res = await fetch(`${server.url}/v1/sessions`, { headers: { user_id: 'alice' } });
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.filter((l) => l.reqId === id).map((l) => l.msg)).toEqual(['request completed']);
  });
});
