import { describe, expect, it } from 'vitest';
import { isPrivateAddress, resolveWebhookTarget } from '../../src/webhooks/ssrf-guard.js';

describe('SSRF guard', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.9',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '::',
    '::1',
    'fe80::1',
    'fd00::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    // IPv4-compatible, IPv4-translated (RFC 6145), 6to4 and NAT64 forms of loopback and private space.
    '::127.0.0.1',
    '::ffff:0:127.0.0.1',
    '2002:7f00:1::',
    '2002:a00:1::1',
    '64:ff9b::127.0.0.1',
    '64:ff9b::a9fe:a9fe',
    // Teredo hides its client address; never a webhook target.
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    'not-an-ip',
  ])('treats %s as private', (ip) => expect(isPrivateAddress(ip)).toBe(true));

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '2002:808:808::1', '64:ff9b::808:808'])(
    'treats %s as public',
    (ip) => expect(isPrivateAddress(ip)).toBe(false),
  );

  it.each(['http://[::127.0.0.1]/hook', 'http://[::ffff:0:127.0.0.1]/hook', 'http://[2002:7f00:1::]/hook'])(
    'refuses %s, however the URL parser spells its host',
    async (url) => expect(await resolveWebhookTarget(new URL(url), false)).toBeNull(),
  );
});
