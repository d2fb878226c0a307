// Standard Webhooks (standardwebhooks.com) verification on WebCrypto only, so the same code runs in
// Node 20+, browsers, Deno, Bun and edge runtimes, and the main entry stays free of `node:` imports.

/** Why a webhook was rejected. */
export type WebhookVerifyFailure = 'malformed' | 'timestamp' | 'signature';

/** Thrown by `verifyWebhook`; `reason` says which check failed. */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  readonly reason: WebhookVerifyFailure;
  constructor(reason: WebhookVerifyFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Request headers: a fetch `Headers`, or a Node-style record (`req.headers`). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** Options of `verifyWebhook`. */
export interface VerifyWebhookOptions {
  /** The session's `webhook_secret` (`whsec_` + base64). */
  secret: string;
  /** The raw request body, exactly as received (not re-serialised JSON). */
  body: string | Uint8Array;
  /** The request's headers; `webhook-id`, `webhook-timestamp` and `webhook-signature` are read. */
  headers: WebhookHeaders;
  /** Largest allowed clock difference in seconds. Default 300, as the spec recommends. */
  toleranceSec?: number;
  /** Current unix time in seconds. Default now. */
  now?: number;
}

/** What a verified delivery carried. */
export interface VerifiedWebhook {
  /** `webhook-id`: the event id, stable across retries; drop duplicates by it. */
  id: string;
  /** `webhook-timestamp` in unix seconds. */
  timestamp: number;
  /** The body parsed as JSON. */
  payload: unknown;
}

const SECRET_PREFIX = 'whsec_';
const encoder = new TextEncoder();

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Constant-time for equal lengths, so the comparison does not leak how much of a guess was right. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function secretKey(secret: string): Uint8Array<ArrayBuffer> {
  const raw = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  try {
    // Secrets issued before the switch to Standard Webhooks were base64url; read both alphabets.
    return fromBase64(raw.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    throw new WebhookVerificationError('malformed', 'The webhook secret is not base64 after `whsec_`.');
  }
}

/** `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` as the spec defines it. */
export async function signWebhook(
  secret: string,
  id: string,
  timestamp: number,
  body: string | Uint8Array,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    secretKey(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`${id}.${timestamp}.${text}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/**
 * Verifies a Standard Webhooks delivery and returns its id, timestamp and parsed payload.
 * Throws `WebhookVerificationError` unless one of the `v1` signatures matches and the timestamp is
 * within the tolerance (which bounds how long a captured request can be replayed).
 */
export async function verifyWebhook(options: VerifyWebhookOptions): Promise<VerifiedWebhook> {
  const id = header(options.headers, 'webhook-id');
  const stamp = header(options.headers, 'webhook-timestamp');
  const signatures = header(options.headers, 'webhook-signature');
  if (!id || !stamp || !signatures || !/^\d+$/.test(stamp)) {
    throw new WebhookVerificationError(
      'malformed',
      'The webhook-id, webhook-timestamp or webhook-signature header is missing or malformed.',
    );
  }
  const timestamp = Number(stamp);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSec ?? 300)) {
    throw new WebhookVerificationError('timestamp', 'The webhook timestamp is too far from now.');
  }
  const expected = await signWebhook(options.secret, id, timestamp, options.body);
  // The header may list several space-separated signatures (during secret rotation); any v1 match counts.
  const matched = signatures.split(' ').some((s) => s.startsWith('v1,') && sameText(s, expected));
  if (!matched) throw new WebhookVerificationError('signature', 'No webhook signature matches the body.');
  const text = typeof options.body === 'string' ? options.body : new TextDecoder().decode(options.body);
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new WebhookVerificationError('malformed', 'The webhook body is not JSON.');
  }
  return { id, timestamp, payload };
}
