import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { UploadInput } from './types.js';
import { toBlob } from './upload-body.js';

/** What the node entry uploads: the browser inputs plus a file path, a Buffer or a Readable stream. */
export type NodeUploadInput = UploadInput | string | NodeJS.ReadableStream;

/** Reads an image file into a File named after its basename. */
export async function readImageFile(path: string): Promise<File> {
  const bytes = await readFile(path);
  return new File([bytes], basename(path));
}

function isReadable(value: unknown): value is NodeJS.ReadableStream {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as NodeJS.ReadableStream).pipe === 'function' &&
    Symbol.asyncIterator in value
  );
}

/** Whether a value is a node-entry upload input (as opposed to an `{ input, imageName }` wrapper). */
export function isNodeUploadInput(value: unknown): value is NodeUploadInput {
  return (
    typeof value === 'string' ||
    value instanceof Blob ||
    value instanceof ArrayBuffer ||
    value instanceof Uint8Array ||
    isReadable(value)
  );
}

/** Turns a node-entry input into a Blob; streams are read fully since the upload needs a digest. */
export async function nodeInputToBlob(input: NodeUploadInput): Promise<Blob> {
  if (typeof input === 'string') return readImageFile(input);
  if (isReadable(input)) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of input) {
      chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : (chunk as Uint8Array));
    }
    const pathName = (input as { path?: unknown }).path;
    const blob = new Blob(chunks as Uint8Array<ArrayBuffer>[]);
    return typeof pathName === 'string' ? new File([blob], basename(pathName)) : blob;
  }
  return toBlob(input);
}
