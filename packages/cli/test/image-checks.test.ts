import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/cli-errors.js';
import { checkImageFiles, sniffImageType } from '../src/image-checks.js';

const dir = mkdtempSync(join(tmpdir(), 'face-encode-checks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: number[] | string): string {
  const path = join(dir, name);
  writeFileSync(path, typeof bytes === 'string' ? bytes : Buffer.from(bytes));
  return path;
}

describe('sniffImageType', () => {
  it('reads JPEG, PNG, WebP and GIF from their magic bytes', () => {
    expect(sniffImageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffImageType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe(
      'image/png',
    );
    expect(sniffImageType(new Uint8Array(Buffer.from('RIFF\0\0\0\0WEBPVP8 ')))).toBe('image/webp');
    expect(sniffImageType(new Uint8Array(Buffer.from('GIF89a\x01\0\x01\0')))).toBe('image/gif');
    expect(sniffImageType(new Uint8Array(Buffer.from('GIF87a\x01\0\x01\0')))).toBe('image/gif');
  });

  it('refuses anything else, including a TIFF and a truncated header', () => {
    expect(sniffImageType(new Uint8Array([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]))).toBeNull();
    expect(sniffImageType(new Uint8Array(Buffer.from('GIF8')))).toBeNull();
    expect(sniffImageType(new Uint8Array([0xff, 0xd8]))).toBeNull();
    expect(sniffImageType(new Uint8Array(Buffer.from('hello world')))).toBeNull();
  });
});

describe('checkImageFiles', () => {
  const jpeg = file('ok.jpg', [0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

  it('returns the bytes, name and type of good files', async () => {
    const [checked] = await checkImageFiles([jpeg]);
    expect(checked).toMatchObject({ name: 'ok.jpg', type: 'image/jpeg', size: 7 });
    expect(checked?.bytes.length).toBe(7);
  });

  it('refuses more than 5 files before looking at them', async () => {
    await expect(checkImageFiles(Array.from({ length: 6 }, () => 'nope.jpg'))).rejects.toThrow(
      /6 files given/,
    );
  });

  it('refuses a missing, empty, oversized or non-image file with InputError', async () => {
    await expect(checkImageFiles([join(dir, 'missing.jpg')])).rejects.toBeInstanceOf(InputError);
    await expect(checkImageFiles([file('empty.jpg', '')])).rejects.toThrow(/empty/);
    await expect(checkImageFiles([jpeg], { maxFileBytes: 3 })).rejects.toThrow(/over the/);
    await expect(checkImageFiles([file('text.jpg', 'not an image')])).rejects.toThrow(
      /not a JPEG, PNG, WebP or GIF/,
    );
    await expect(checkImageFiles([dir])).rejects.toThrow(/not a file/);
  });
});
