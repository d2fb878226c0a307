import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook, WebhookVerificationError } from '../src/index.js';

// The vector of the Standard Webhooks reference libraries' test suites (standard-webhooks/standard-webhooks,
// libraries/*: "test_sign_function"), also reproduced with the `standardwebhooks` npm package below.
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const headers = (signature = vector.signature, timestamp = vector.timestamp, id = vector.id) => ({
  'webhook-id': id,
  'webhook-timestamp': String(timestamp),
  'webhook-signature': signature,
});

async function reason(attempt: Promise<unknown>): Promise<string> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebhookVerificationError);
  return (error as WebhookVerificationError).reason;
}

describe('verifyWebhook (Standard Webhooks)', () => {
  it('signs the published vector to the published signature', async () => {
    expect(await signWebhook(vector.secret, vector.id, vector.timestamp, vector.body)).toBe(vector.signature);
    const reference = new Webhook(vector.secret).sign(
      vector.id,
      new Date(vector.timestamp * 1000),
      vector.body,
    );
    expect(reference).toBe(vector.signature);
  });

  it('accepts the published vector within the tolerance, from a record or a Headers object', async () => {
    const now = vector.timestamp + 299;
    const verified = await verifyWebhook({
      secret: vector.secret,
      body: vector.body,
      headers: headers(),
      now,
    });
    expect(verified).toEqual({ id: vector.id, timestamp: vector.timestamp, payload: { test: 2432232314 } });
    const fetchHeaders = new Headers(headers());
    await expect(
      verifyWebhook({
        secret: vector.secret,
        body: new TextEncoder().encode(vector.body),
        headers: fetchHeaders,
        now,
      }),
    ).resolves.toMatchObject({ id: vector.id });
  });

  it('accepts when any of several space-separated signatures matches (secret rotation)', async () => {
    const list = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ${vector.signature}`;
    await expect(
      verifyWebhook({
        secret: vector.secret,
        body: vector.body,
        headers: headers(list),
        now: vector.timestamp,
      }),
    ).resolves.toMatchObject({ id: vector.id });
  });

  it.each([
    ['a tampered body', { body: '{"test": 2432232315}' }, 'signature'],
    ['another secret', { secret: 'whsec_' + btoa('another secret of 24 bytes') }, 'signature'],
    ['another id', { headers: headers(vector.signature, vector.timestamp, 'msg_other') }, 'signature'],
    ['a timestamp 301 s old', { now: vector.timestamp + 301 }, 'timestamp'],
    ['a timestamp 301 s ahead', { now: vector.timestamp - 301 }, 'timestamp'],
    [
      'an unknown signature version',
      { headers: headers(vector.signature.replace('v1,', 'v2,')) },
      'signature',
    ],
    [
      'a missing signature header',
      { headers: { 'webhook-id': vector.id, 'webhook-timestamp': '1614265330' } },
      'malformed',
    ],
    [
      'a non-numeric timestamp',
      { headers: headers(vector.signature, 'soon' as unknown as number) },
      'malformed',
    ],
  ] as const)('rejects %s', async (_name, change, expected) => {
    const options = {
      secret: vector.secret,
      body: vector.body,
      headers: headers(),
      now: vector.timestamp,
      ...change,
    };
    expect(await reason(verifyWebhook(options))).toBe(expected);
  });

  it('honours a custom tolerance', async () => {
    const options = {
      secret: vector.secret,
      body: vector.body,
      headers: headers(),
      now: vector.timestamp + 3600,
    };
    expect(await reason(verifyWebhook(options))).toBe('timestamp');
    await expect(verifyWebhook({ ...options, toleranceSec: 3600 })).resolves.toMatchObject({ id: vector.id });
  });

  it('verifies what the reference library signs for a fresh secret', async () => {
    const secret = 'whsec_' + btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))));
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ id: 'evt', type: 'session.completed' });
    const signature = new Webhook(secret).sign('evt', new Date(now * 1000), body);
    await expect(
      verifyWebhook({ secret, body, headers: headers(signature, now, 'evt') }),
    ).resolves.toMatchObject({
      payload: { type: 'session.completed' },
    });
  });
});
