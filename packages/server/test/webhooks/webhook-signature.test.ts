import { describe, expect, it } from 'vitest';
import {
  signWebhookPayload,
  verifyWebhookSignature,
  WebhookVerificationError,
} from '../../src/webhooks/webhook-signature.js';
import { isPrivateAddress } from '../../src/webhooks/ssrf-guard.js';

const secret = 'whsec_test';
const body = JSON.stringify({ id: 'evt-1', type: 'session.completed' });
const t = 1_763_852_100;

describe('webhook signatures', () => {
  it('verifies a signature it made', () => {
    const header = signWebhookPayload(secret, body, t);
    expect(header).toMatch(/^t=1763852100,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({ secret, body, header, now: t + 10 })).toBe(true);
  });

  it.each([
    ['a tampered body', { body: body.replace('evt-1', 'evt-2') }, 'signature'],
    ['a wrong secret', { secret: 'whsec_other' }, 'signature'],
    ['a timestamp 301 s old', { now: t + 301 }, 'timestamp'],
    ['a timestamp 301 s ahead', { now: t - 301 }, 'timestamp'],
    ['a malformed header', { header: 'v1=abc' }, 'malformed'],
  ] as const)('rejects %s', (_name, change, reason) => {
    const header = signWebhookPayload(secret, body, t);
    const attempt = () => verifyWebhookSignature({ secret, body, header, now: t, ...change });
    expect(attempt).toThrow(WebhookVerificationError);
    try {
      attempt();
    } catch (error) {
      expect((error as WebhookVerificationError).reason).toBe(reason);
    }
  });
});

describe('SSRF guard', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.9',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
  ])('treats %s as private', (ip) => expect(isPrivateAddress(ip)).toBe(true));
  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])('treats %s as public', (ip) =>
    expect(isPrivateAddress(ip)).toBe(false),
  );
});
