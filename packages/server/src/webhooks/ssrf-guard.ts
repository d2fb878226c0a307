import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/**
 * True for any address a webhook must not reach unless the operator allows it. ipaddr.js classifies
 * (its `range()`), so only plain unicast passes: loopback, private, link-local, unique-local,
 * carrier-grade NAT, multicast, reserved and the rest are refused without a hand-kept list.
 * IPv6 forms that carry an IPv4 address (mapped, compatible, RFC 6145, NAT64, 6to4) are judged by
 * the IPv4 address inside; Teredo hides its client address, so it is refused outright.
 */
export function isPrivateAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return (parsed as IPv4).range() !== 'unicast';
  const v6 = parsed as IPv6;
  const inner = embeddedIpv4(v6);
  if (inner) return inner.range() !== 'unicast';
  return v6.range() !== 'unicast';
}

/** The IPv4 address an IPv6 address stands for, where its form carries one. */
function embeddedIpv4(v6: IPv6): IPv4 | null {
  const bytes = v6.toByteArray();
  const last32 = (): IPv4 => new ipaddr.IPv4(bytes.slice(12, 16));
  switch (v6.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
    case 'rfc6052': // 64:ff9b::a.b.c.d (NAT64)
      return last32();
    case '6to4': // 2002:AABB:CCDD::/48
      return new ipaddr.IPv4(bytes.slice(2, 6));
    default:
      break;
  }
  // IPv4-compatible (::a.b.c.d, deprecated): the first 96 bits are zero; :: and ::1 are not this form.
  const compatible = bytes.slice(0, 12).every((b) => b === 0) && bytes.slice(12, 15).some((b) => b !== 0);
  return compatible ? last32() : null;
}

/** Resolves the URL's host; returns the first address, or null when any address is private and that is not allowed. */
export async function resolveWebhookTarget(url: URL, allowPrivate: boolean): Promise<string | null> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
  if (addresses.length === 0) return null;
  if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address))) return null;
  return addresses[0]?.address ?? null;
}
