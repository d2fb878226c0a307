import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openEmbeddedStores, type EmbeddedStores } from '../../src/server.js';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.js';
import { createPendingWebhook } from '../support/webhooks.js';

// Real receivers on loopback. A hanging receiver reads the request and never answers, as a stuck
// endpoint does; the dispatcher's own timeout is long, so only concurrency can get the other user's
// webhook through while they hang.
interface Receiver {
  server: Server;
  base: string;
  /** Requests open right now, and the most seen open at once. */
  open: number;
  maxOpen: number;
  pending: ServerResponse[];
}

let dir: string;
let stores: EmbeddedStores;
const receivers: Receiver[] = [];
const dispatchers: WebhookDispatcher[] = [];

async function receiver(onRequest: (r: Receiver, req: IncomingMessage, res: ServerResponse) => void) {
  const r = { open: 0, maxOpen: 0, pending: [] } as unknown as Receiver;
  r.server = createServer((req, res) => {
    r.open += 1;
    r.maxOpen = Math.max(r.maxOpen, r.open);
    res.on('close', () => (r.open -= 1));
    req.resume();
    onRequest(r, req, res);
  });
  await new Promise<void>((done) => r.server.listen(0, '127.0.0.1', done));
  r.base = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}`;
  receivers.push(r);
  return r;
}

let sessions = 0;
async function hook(userId: string, url: string): Promise<string> {
  const sessionId = `s-${++sessions}`;
  await createPendingWebhook(stores.store, {
    sessionId,
    userId,
    url,
    nextAttemptAt: Date.now() - 60_000 + sessions,
  });
  return sessionId;
}

function dispatcher(perDestination: number) {
  const d = new WebhookDispatcher({
    store: stores.store,
    logger: pino({ level: 'silent' }),
    allowPrivate: true,
    timeoutMs: 60_000,
    intervalMs: 20,
    perDestination,
    secretFor: async () => 's',
  });
  dispatchers.push(d);
  return d;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'face-encode-hook-load-'));
  stores = openEmbeddedStores(dir);
});
afterEach(async () => {
  for (const r of receivers.splice(0)) {
    for (const res of r.pending) res.writeHead(200).end();
    r.server.closeAllConnections();
    r.server.close();
  }
  await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
});
afterAll(async () => {
  await stores.store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('WebhookDispatcher under hanging receivers', () => {
  it("delivers another user's webhook while four receivers hang, and caps each one's open requests", async () => {
    const arrivals: string[] = [];
    const hanging = await Promise.all(
      [0, 1, 2, 3].map(() =>
        receiver((r, _req, res) => {
          arrivals.push('hanging');
          r.pending.push(res);
        }),
      ),
    );
    // Five deliveries queued for each hanging receiver, before the other user's one.
    for (const r of hanging) for (let i = 0; i < 5; i++) await hook('attacker', `${r.base}/hook`);
    const good = await receiver((_r, _req, res) => {
      arrivals.push('good');
      res.writeHead(204).end();
    });
    const victim = await hook('victim', `${good.base}/hook`);

    dispatcher(2).start();
    await vi.waitFor(() => expect(arrivals).toContain('good'), { timeout: 20_000, interval: 20 });

    await vi.waitFor(async () =>
      expect(await stores.store.getWebhook(victim)).toMatchObject({ status: 'delivered', attempts: 1 }),
    );
    // Every hanging receiver is still holding its requests: none answered, none timed out.
    for (const r of hanging) {
      expect(r.open).toBeGreaterThan(0);
      expect(r.maxOpen).toBeLessThanOrEqual(2);
    }
  });

  it('sends the rest of a destination’s backlog as its open requests finish, without counting waits as attempts', async () => {
    const slow = await receiver((r, _req, res) => r.pending.push(res));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await hook('busy', `${slow.base}/hook`));

    const d = dispatcher(2);
    d.start();
    // Answer whatever is open, a couple at a time, until all five have arrived and been answered.
    let answered = 0;
    await vi.waitFor(
      () => {
        for (const res of slow.pending.splice(0)) {
          res.writeHead(204).end();
          answered += 1;
        }
        expect(answered).toBe(5);
      },
      { timeout: 20_000, interval: 30 },
    );
    await vi.waitFor(async () => {
      for (const id of ids)
        expect(await stores.store.getWebhook(id)).toMatchObject({ status: 'delivered', attempts: 1 });
    });
    expect(slow.maxOpen).toBeLessThanOrEqual(2);
  });
});
