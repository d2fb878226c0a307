import { describe, expect, it } from 'vitest';
import { loadOpenApiDocument } from '../../src/http/openapi-document.js';
import { bodyRules, isMultipart } from '../../src/http/request-body.js';

describe('bodyRules', () => {
  const rules = bodyRules(loadOpenApiDocument());

  it('reads each operation’s body from the document, keyed as Fastify names the route', () => {
    expect(rules.get('POST /v1/session')).toEqual({ required: false, mediaTypes: ['application/json'] });
    expect(rules.get('POST /v1/image/:session_id')).toEqual({
      required: true,
      mediaTypes: ['multipart/form-data'],
    });
    expect(rules.get('GET /v1/session/:session_id')).toEqual({ required: false, mediaTypes: [] });
    expect(rules.get('DELETE /v1/session/:session_id')).toEqual({ required: false, mediaTypes: [] });
  });

  it('marks exactly the operations that take a file as multipart', () => {
    const multipart = [...rules].filter(([, rule]) => isMultipart(rule)).map(([key]) => key);
    expect(multipart.sort()).toEqual([
      'POST /v1/collections/:collection_id/search',
      'POST /v1/image/:session_id',
      'POST /v1/selfie',
    ]);
  });
});
