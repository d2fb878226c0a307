import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStores, type EmbeddedStores } from '../../src/server.js';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.js';
import { createPendingWebhook } from '../support/webhooks.js';

let dir: string;
let stores: EmbeddedStores;
let receiver: Server;
let hits: string[] = [];
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'face-encode-hooks-'));
  stores = openEmbeddedStores(dir);
  receiver = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/redirect') res.writeHead(302, { location: '/elsewhere' }).end();
    else res.writeHead(200).end();
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  receiver.close();
  await stores.store.close();
  rmSync(dir, { recursive: true, force: true });
});

const hook = (sessionId: string, url: string) => createPendingWebhook(stores.store, { sessionId, url });

const dispatcher = (allowPrivate: boolean) =>
  new WebhookDispatcher({
    store: stores.store,
    logger: pino({ level: 'silent' }),
    allowPrivate,
    secretFor: async () => 's',
  });

describe('WebhookDispatcher', () => {
  it('refuses a loopback target unless the operator allows private addresses', async () => {
    hits = [];
    await hook('s-refused', `${base}/hook`);
    await dispatcher(false).runOnce();
    expect(hits).toEqual([]);
    expect(await stores.store.getWebhook('s-refused')).toMatchObject({ status: 'refused', attempts: 1 });
  });

  it('does not follow redirects', async () => {
    hits = [];
    await hook('s-redirect', `${base}/redirect`);
    await dispatcher(true).runOnce();
    expect(hits).toEqual(['/redirect']);
    expect(await stores.store.getWebhook('s-redirect')).toMatchObject({
      status: 'pending',
      lastStatusCode: 302,
      lastError: 'HTTP 302',
    });
  });

  it('delivers to an allowed target', async () => {
    hits = [];
    await hook('s-ok', `${base}/ok`);
    await dispatcher(true).runOnce();
    expect(hits).toContain('/ok');
    expect(await stores.store.getWebhook('s-ok')).toMatchObject({ status: 'delivered', lastStatusCode: 200 });
  });
});
