import { createHmac, timingSafeEqual } from 'node:crypto';

/** `Face-Encode-Signature` value for `body` at unix time `t`: `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signWebhookPayload(
  secret: string,
  body: string,
  t: number = Math.floor(Date.now() / 1000),
): string {
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${mac}`;
}

export type WebhookVerifyFailure = 'malformed' | 'timestamp' | 'signature';

export class WebhookVerificationError extends Error {
  readonly reason: WebhookVerifyFailure;
  constructor(reason: WebhookVerifyFailure, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

export interface VerifyWebhookOptions {
  /** The session's `webhook_secret`. */
  secret: string;
  /** The raw request body, exactly as received. */
  body: string;
  /** The `Face-Encode-Signature` header. */
  header: string | null | undefined;
  /** Largest allowed clock difference in seconds. Default 300. */
  toleranceSec?: number;
  /** Current unix time in seconds. Default now. */
  now?: number;
}

/** For receivers: throws WebhookVerificationError unless the signature is valid and fresh. */
export function verifyWebhookSignature(o: VerifyWebhookOptions): true {
  const parts = new Map(
    (o.header ?? '').split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) {
    throw new WebhookVerificationError('malformed', 'The signature header is malformed.');
  }
  const now = o.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (o.toleranceSec ?? 300)) {
    throw new WebhookVerificationError('timestamp', 'The signature timestamp is too far from now.');
  }
  const expected = createHmac('sha256', o.secret).update(`${t}.${o.body}`).digest();
  if (!timingSafeEqual(expected, Buffer.from(v1, 'hex'))) {
    throw new WebhookVerificationError('signature', 'The signature does not match the body.');
  }
  return true;
}
