import { describe, expect, it } from 'vitest';
import { ENCODER_OPERATIONS, encoderDocument } from '../../src/http/encoder-document.js';
import { loadOpenApiDocument } from '../../src/http/openapi-document.js';

describe('encoderDocument', () => {
  const full = loadOpenApiDocument();

  it('keeps only the encoder operations, and with auth none asks for no credentials', () => {
    const doc = encoderDocument(full, 'none');
    const operations = Object.values(doc.paths).flatMap((item) =>
      Object.values(item).map((op) => (op as { operationId?: string }).operationId),
    );
    expect(operations.sort()).toEqual([...ENCODER_OPERATIONS].sort());
    expect(doc.security).toEqual([]);
    expect(doc.paths['/v1/selfie']?.post?.security).toEqual([]);
    expect(doc.servers).toEqual([expect.objectContaining({ url: 'http://127.0.0.1:8000' })]);
  });

  it('keeps the security of the document with auth api-key, and never changes the full document', () => {
    const before = JSON.stringify(full);
    const doc = encoderDocument(full, 'api-key');
    expect(doc.security).toEqual(full.security);
    expect(doc.paths['/v1/selfie']?.post?.security).toBeUndefined();
    expect(JSON.stringify(full)).toBe(before);
  });
});
