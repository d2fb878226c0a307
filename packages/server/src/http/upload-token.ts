import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a file-store upload token grants: one upload to this image's reservation, until `expiresAt`. */
export interface UploadGrant {
  imageId: string;
  expiresAt: number;
}

const IMAGE_ID = /^[0-9a-f-]{36}$/;

/**
 * Signs and checks the tokens of `PUT /v1/uploads/{token}`: `<image id>.<expiry, base 36>.<MAC>`, the
 * MAC an HMAC-SHA256 (base64url) of the two. The reservation it names holds the rest (upload key,
 * size, SHA-256), so the token stays short enough for a path parameter; nothing in it is secret.
 */
export class UploadTokens {
  readonly #key: Buffer;

  /** `secret`: the signing key; null draws a random one (tokens then verify in this process only). */
  constructor(secret: string | null) {
    this.#key = secret === null ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  sign(grant: UploadGrant): string {
    const payload = `${grant.imageId}.${grant.expiresAt.toString(36)}`;
    return `${payload}.${this.#mac(payload).toString('base64url')}`;
  }

  /** The grant of a genuine token, else null (tampered, malformed, or signed by another key). Expiry is the caller's. */
  verify(token: string): UploadGrant | null {
    const [imageId, expiry, mac, extra] = token.split('.');
    if (!imageId || !expiry || !mac || extra !== undefined || !IMAGE_ID.test(imageId)) return null;
    const given = Buffer.from(mac, 'base64url');
    const expected = this.#mac(`${imageId}.${expiry}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const expiresAt = parseInt(expiry, 36);
    return Number.isSafeInteger(expiresAt) ? { imageId, expiresAt } : null;
  }

  #mac(payload: string): Buffer {
    return createHmac('sha256', this.#key).update(`face-encode upload v1\n${payload}`).digest();
  }
}
