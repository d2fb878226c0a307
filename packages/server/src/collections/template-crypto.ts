import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** 128 float32 numbers: the sealed form of one encoding. */
export const ENCODING_DIMS = 128;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID_BYTES = 8;
const WRAP_VERSION = 1;

/**
 * Parses FACE_ENCODE_MASTER_KEY: 32 random bytes as base64 (44 characters) or hex (64). Throws a
 * one-line message saying how to make one.
 */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (
    key.length !== KEY_BYTES ||
    (!/^[0-9a-fA-F]{64}$/.test(trimmed) && key.toString('base64') !== trimmed)
  ) {
    throw new Error(
      'FACE_ENCODE_MASTER_KEY must be 32 random bytes as base64 or hex: make one with `openssl rand -base64 32`.',
    );
  }
  return key;
}

const keyIdOf = (key: Buffer) =>
  createHash('sha256').update('face-encode:master-key-id').update(key).digest().subarray(0, KEY_ID_BYTES);

function gcmSeal(key: Buffer, aad: string, plain: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function gcmOpen(key: Buffer, aad: string, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

export interface KeyWrapOptions {
  /** The master key new data keys are wrapped with (parseMasterKey). Required. */
  masterKey: Buffer;
  /** Master keys being rotated out: keys they wrapped still open, and are rewrapped. Default []. */
  previousMasterKeys?: Buffer[];
}

/** A collection's data key in the clear, and whether its wrapping should be renewed (rotation). */
export interface UnwrappedKey {
  key: Buffer;
  stale: boolean;
}

/**
 * Envelope encryption of templates: each collection has a random AES-256 data key, stored only
 * wrapped (AES-256-GCM) by the master key. A wrapped key names its master key by a short id, so
 * rotation keeps old keys opening until they are rewrapped.
 */
export class KeyWrap {
  readonly #current: { id: Buffer; key: Buffer };
  readonly #all: Array<{ id: Buffer; key: Buffer }>;

  constructor(options: KeyWrapOptions) {
    this.#current = { id: keyIdOf(options.masterKey), key: options.masterKey };
    this.#all = [
      this.#current,
      ...(options.previousMasterKeys ?? []).map((key) => ({ id: keyIdOf(key), key })),
    ];
  }

  /** A new random data key for `collectionId`, and its wrapped form to store. */
  newDataKey(collectionId: string): { key: Buffer; wrapped: Buffer } {
    const key = randomBytes(KEY_BYTES);
    return { key, wrapped: this.wrap(collectionId, key) };
  }

  wrap(collectionId: string, key: Buffer): Buffer {
    const header = Buffer.concat([Buffer.from([WRAP_VERSION]), this.#current.id]);
    return Buffer.concat([header, gcmSeal(this.#current.key, `collection-key:${collectionId}`, key)]);
  }

  /** Opens a wrapped key; throws when no master key held here wrapped it. */
  unwrap(collectionId: string, wrapped: Buffer): UnwrappedKey {
    const id = wrapped.subarray(1, 1 + KEY_ID_BYTES);
    const master = this.#all.find((m) => m.id.equals(id));
    if (wrapped[0] !== WRAP_VERSION || !master)
      throw new Error('The collection key was wrapped by an unknown master key.');
    const key = gcmOpen(master.key, `collection-key:${collectionId}`, wrapped.subarray(1 + KEY_ID_BYTES));
    return { key, stale: master !== this.#current };
  }
}

/** Seals one encoding (as float32) under a data key, bound to its collection and face ids. */
export function sealEncoding(
  key: Buffer,
  collectionId: string,
  faceId: string,
  encoding: ArrayLike<number>,
): Buffer {
  const plain = Buffer.from(Float32Array.from(encoding).buffer);
  return gcmSeal(key, `face:${collectionId}:${faceId}`, plain);
}

/** Opens a sealed encoding into `into` at `offset` (a row of the search matrix); throws when tampered or the key is wrong. */
export function openEncoding(
  key: Buffer,
  collectionId: string,
  faceId: string,
  sealed: Buffer,
  into: Float32Array,
  offset: number,
): void {
  const plain = gcmOpen(key, `face:${collectionId}:${faceId}`, sealed);
  into.set(new Float32Array(plain.buffer, plain.byteOffset, ENCODING_DIMS), offset);
}
