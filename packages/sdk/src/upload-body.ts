import type { UploadInput } from './types.js';

/** Wraps any main-entry input in a Blob (File keeps its name). */
export function toBlob(input: UploadInput): Blob {
  if (input instanceof Blob) return input;
  if (input instanceof ArrayBuffer) return new Blob([input]);
  if (input instanceof Uint8Array) return new Blob([input as Uint8Array<ArrayBuffer>]);
  throw new TypeError('Upload input must be a Blob, File, ArrayBuffer or Uint8Array.');
}

/** The name a Blob carries when it is a File. */
export function blobName(blob: Blob): string | undefined {
  const name = (blob as Partial<File>).name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** RFC 9530 `sha-256=:<b64>:` of the blob, or undefined where WebCrypto is missing (insecure origins). */
export async function contentDigest(blob: Blob): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return undefined;
  const hash = await subtle.digest('SHA-256', await blob.arrayBuffer());
  return `sha-256=:${toBase64(new Uint8Array(hash))}:`;
}

/** A random v4 UUID: crypto.randomUUID where available, else built from getRandomValues. */
export function randomId(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
