import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openEmbeddedStores, type EmbeddedStores } from '../../src/server.js';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.js';
import { generateWebhookSecret } from '../../src/webhooks/webhook-signature.js';

// A real HTTP receiver checks each delivery with the `standardwebhooks` package, an independent
// implementation of the spec, so a signing bug on our side cannot be hidden by a matching verifier bug.
let dir: string;
let stores: EmbeddedStores;
let receiver: Server;
let base: string;
const received: Array<{ body: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'face-encode-stdhooks-'));
  stores = openEmbeddedStores(dir);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ body, headers: req.headers });
      // The first attempt fails, so the retry's headers are checked too.
      res.writeHead(received.length === 1 ? 503 : 204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  receiver.close();
  await stores.store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('delivers with webhook-id, webhook-timestamp and a v1 signature that standardwebhooks accepts, on every attempt', async () => {
  const secret = generateWebhookSecret();
  const payload = JSON.stringify({ id: 'evt-std', type: 'session.completed', data: { session_id: 's-std' } });
  await stores.store.createSession({
    id: 's-std',
    userId: 'u',
    ttlSeconds: 60,
    vendorData: null,
    callbackUrl: `${base}/hook`,
    webhookSecret: secret,
    now: Date.now(),
  });
  await stores.store.createWebhook({
    eventId: 'evt-std',
    sessionId: 's-std',
    url: `${base}/hook`,
    payload,
    status: 'pending',
    nextAttemptAt: 0,
  });
  let clock = Date.now();
  const dispatcher = new WebhookDispatcher({
    store: stores.store,
    logger: pino({ level: 'silent' }),
    allowPrivate: true,
    secretFor: (id) => stores.store.getWebhookSecret(id),
    backoff: { baseMs: 1, maxMs: 1 },
    now: () => clock,
  });
  await dispatcher.runOnce();
  clock += 1000;
  await dispatcher.runOnce();
  expect(received).toHaveLength(2);
  const verifier = new Webhook(secret);
  for (const { body, headers } of received) {
    expect(headers['webhook-id']).toBe('evt-std');
    expect(headers['webhook-timestamp']).toMatch(/^\d+$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(body).toBe(payload);
    expect(verifier.verify(body, headers as Record<string, string>)).toEqual(JSON.parse(payload));
  }
  expect(() =>
    new Webhook(generateWebhookSecret()).verify(payload, received[1]!.headers as Record<string, string>),
  ).toThrow();
  expect(await stores.store.getWebhook('s-std')).toMatchObject({ status: 'delivered', attempts: 2 });
});
