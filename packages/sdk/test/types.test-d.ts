import { assertType, describe, expectTypeOf, it } from 'vitest';
import {
  createFaceEncodeClient,
  type FaceEncodeClient,
  type Image,
  type Problem,
  type SessionList,
  type SessionSummary,
  type WithResponse,
} from '../src/index.js';
import { createFaceEncodeClient as createNodeClient } from '../src/node.js';

const client = createFaceEncodeClient();
const id = '3f9c1e2a-7b4d-4e8f-9a6b-1c2d3e4f5a6b';

describe('raw client types', () => {
  it('types responses from the contract', async () => {
    const { data, error } = await client.raw.GET('/v1/session/{session_id}', {
      params: { path: { session_id: id } },
    });
    expectTypeOf(data).toExtend<SessionSummary | undefined>();
    expectTypeOf<SessionSummary>().toExtend<NonNullable<typeof data>>();
    if (error) expectTypeOf(error).toExtend<Problem>();
    const list = await client.raw.GET('/v1/sessions', { params: { query: { limit: 10, status: 'open' } } });
    expectTypeOf(list.data).toExtend<SessionList | undefined>();
  });

  it('rejects wrong paths, params and bodies', () => {
    // @ts-expect-error unknown path
    void client.raw.GET('/v1/nope');
    // @ts-expect-error GET is not defined on /v1/session
    void client.raw.GET('/v1/session');
    // @ts-expect-error the path parameter is required
    void client.raw.GET('/v1/session/{session_id}', { params: { path: {} } });
    // @ts-expect-error the path parameter has another name
    void client.raw.GET('/v1/session/{session_id}', { params: { path: { id } } });
    // @ts-expect-error status must be a SessionStatus
    void client.raw.GET('/v1/sessions', { params: { query: { status: 'done' } } });
    // @ts-expect-error limit is a number
    void client.raw.GET('/v1/sessions', { params: { query: { limit: '10' } } });
    // @ts-expect-error vendor_data is a string
    void client.raw.POST('/v1/session', { body: { vendor_data: 1, ttl_seconds: 60 } });
    // @ts-expect-error ttl_seconds is a number
    void client.raw.POST('/v1/session', { body: { ttl_seconds: '60' } });
    void client.raw.POST('/v1/image/{session_id}', {
      params: { path: { session_id: id } },
      // @ts-expect-error the upload body needs a file
      body: { image_name: 'x' },
    });
    void client.raw.GET('/v1/image/{session_id}/{image_id}', {
      // @ts-expect-error include only accepts 'landmarks'
      params: { path: { session_id: id, image_id: id }, query: { include: 'all' } },
    });
  });
});

describe('high-level client types', () => {
  it('returns contract types', () => {
    expectTypeOf(client.getSession).returns.resolves.toEqualTypeOf<SessionSummary>();
    expectTypeOf(client.uploadImage).returns.resolves.toEqualTypeOf<Image>();
    expectTypeOf(client.encodeSelfie).returns.resolves.toEqualTypeOf<number[][]>();
    expectTypeOf(client.compare)
      .returns.resolves.toHaveProperty('samePerson')
      .toEqualTypeOf<boolean | null>();
    assertType<FaceEncodeClient>(client);
  });

  it('gives { data, response, requestId } from withResponse()', () => {
    expectTypeOf(client.getSession(id).withResponse()).resolves.toEqualTypeOf<WithResponse<SessionSummary>>();
    expectTypeOf(client.uploadImage(id, new Blob([])).withResponse())
      .resolves.toHaveProperty('response')
      .toEqualTypeOf<Response>();
    expectTypeOf(client.deleteSession(id).withResponse()).resolves.toHaveProperty('data').toBeVoid();
  });

  it('accepts browser inputs in the main entry and paths only in the node entry', () => {
    void client.uploadImage(id, new Blob([]));
    void client.uploadImage(id, new Uint8Array(1));
    // @ts-expect-error the main entry takes no file paths
    void client.uploadImage(id, '/tmp/a.jpg');
    // @ts-expect-error status must be a SessionStatus
    void client.listSessions({ status: 'done' });
    void createNodeClient().uploadImage(id, '/tmp/a.jpg');
    void createNodeClient().encode(['/tmp/a.jpg', { input: Buffer.from([]), imageName: 'b.jpg' }]);
  });
});
