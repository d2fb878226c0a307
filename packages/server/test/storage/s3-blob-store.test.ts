// S3BlobStore against a real radosgw (Ceph), which checks SigV4 signatures and Content-MD5: one cluster per file.
import { createHash, randomBytes } from 'node:crypto';
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3BlobStore, S3BlobStoreError } from '../../src/storage/s3-blob-store.js';
import { radosgwMissing, startRadosgw, type Radosgw } from '../../src/dev/radosgw.js';
import { blobStoreConformance, collect } from './blob-store.conformance.js';

const missing = radosgwMissing();
// On CI a missing radosgw is a failure (beforeAll throws why); on a laptop the S3 tests step aside, loudly.
const skip = missing !== null && !process.env.CI;
if (skip) console.warn(`S3 blob store tests skipped: ${missing}. With CI set they fail instead.`);

// Counted as a failed test, not only a failed hook, so CI's tally says what is wrong. Defined only then, so
// a machine with radosgw does not report a skipped test.
if (missing !== null && !skip) {
  it('has radosgw installed for the S3 tests', () => {
    throw new Error(`radosgw is required when CI is set: ${missing}`);
  });
}

describe('S3BlobStore options', () => {
  it('takes either a client or the pieces to build one', () => {
    const client = {} as S3Client;
    expect(() => new S3BlobStore({ bucket: 'b', client, endpoint: 'http://x' })).toThrow(
      /either an S3 client/,
    );
    expect(() => new S3BlobStore({ bucket: 'b', client, forcePathStyle: true })).toThrow(
      /either an S3 client/,
    );
  });

  it('refuses prefixes and page sizes it could not honour', () => {
    const client = {} as S3Client;
    for (const prefix of ['a//b', '../x', 'a/./b', 'a b', 'é']) {
      expect(() => new S3BlobStore({ bucket: 'b', client, prefix }), prefix).toThrow(/Invalid S3 key prefix/);
    }
    expect(() => new S3BlobStore({ bucket: 'b', client, listPageSize: 0 })).toThrow(/listPageSize/);
    expect(() => new S3BlobStore({ bucket: 'b', client, listPageSize: 1001 })).toThrow(/listPageSize/);
  });
});

describe.skipIf(skip)('S3BlobStore on radosgw', () => {
  let rgw: Radosgw;
  let buckets = 0;
  /** A fresh, empty bucket: tests never see each other's objects. */
  const newBucket = async () => {
    const name = `test-${++buckets}`;
    await rgw.createBucket(name);
    return name;
  };

  beforeAll(async () => {
    rgw = await startRadosgw();
  });
  afterAll(async () => {
    await rgw?.stop();
  });

  blobStoreConformance('S3, bucket root', async () => {
    const client = rgw.client();
    const store = new S3BlobStore({ bucket: await newBucket(), client });
    return {
      store,
      async cleanup() {
        await store.close();
        client.destroy();
      },
    };
  });

  let tenants = 0;
  const shared = 'shared';
  blobStoreConformance('S3, prefix in a shared bucket', async () => {
    if (tenants === 0) await rgw.createBucket(shared);
    const client = rgw.client();
    // Each test its own prefix in one bucket: the listing must not see the other tests' blobs.
    const store = new S3BlobStore({ bucket: shared, prefix: `tenants/t${++tenants}`, client });
    return {
      store,
      async cleanup() {
        await store.close();
        client.destroy();
      },
    };
  });

  describe('S3 specifics', () => {
    const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('base64');
    const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');

    it('radosgw refuses a body that does not match its Content-MD5, and stores nothing', async () => {
      const bucket = await newBucket();
      const client = rgw.client();
      const put = client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'k',
          Body: Buffer.from('actual'),
          ContentMD5: md5(Buffer.from('declared')),
        }),
      );
      await expect(put).rejects.toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
      await expect(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }))).rejects.toMatchObject({
        name: 'NoSuchKey',
      });
      client.destroy();
    });

    it('sends Content-MD5 and SHA-256 of the exact bytes it stores', async () => {
      const client = rgw.client();
      const seen: Record<string, string>[] = [];
      client.middlewareStack.add(
        (next) => async (args) => {
          seen.push({ ...(args.request as { headers: Record<string, string> }).headers });
          return next(args);
        },
        { step: 'finalizeRequest', name: 'captureHeaders' },
      );
      const store = new S3BlobStore({ bucket: await newBucket(), client });
      const bytes = randomBytes(3000);
      await store.put('images/s1/i1', bytes);
      expect(seen).toHaveLength(1);
      expect(seen[0]?.['content-md5']).toBe(md5(bytes));
      expect(seen[0]?.['x-amz-checksum-sha256']).toBe(sha256(bytes));
      expect(seen[0]?.['content-length']).toBe('3000');
      client.destroy();
    });

    it('a body changed after hashing is refused by radosgw and leaves nothing', async () => {
      const client = rgw.client();
      // Corrupts the bytes before signing, so only the checksum the store computed can catch it.
      client.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { body?: unknown };
          if (request.body instanceof Uint8Array) {
            const corrupted = Buffer.from(request.body);
            corrupted[0] = (corrupted[0] ?? 0) ^ 0xff;
            request.body = corrupted;
          }
          return next(args);
        },
        { step: 'build', name: 'corruptBody' },
      );
      const store = new S3BlobStore({ bucket: await newBucket(), client });
      const failure = await store.put('images/s1/i1', randomBytes(2048)).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(S3BlobStoreError);
      expect(failure).toMatchObject({ code: 'BadDigest', status: 400 });
      expect((failure as Error).message).toMatch(
        /^S3 PutObject s3:\/\/test-\d+\/images\/s1\/i1 failed: BadDigest \(HTTP 400\)$/,
      );
      expect(await store.get('images/s1/i1')).toBeNull();
      client.destroy();
    });

    it('presigns a PUT that binds the length, Content-MD5 and one write', async () => {
      const client = rgw.client();
      const store = new S3BlobStore({ bucket: await newBucket(), prefix: 'p', client });
      const bytes = randomBytes(4000);
      const target = await store.presignPut({
        key: 'uploads/i1',
        sizeBytes: bytes.length,
        contentType: 'image/jpeg',
        md5: md5(bytes),
        expiresInSeconds: 60,
      });
      expect(target).toMatchObject({
        method: 'PUT',
        headers: { 'content-type': 'image/jpeg', 'content-md5': md5(bytes), 'if-none-match': '*' },
      });
      const put = (body: Uint8Array, headers = target.headers) =>
        fetch(target.url, { method: 'PUT', headers, body: new Uint8Array(body) });
      const other = randomBytes(4000);
      expect((await put(other)).status).toBe(400); // BadDigest
      expect((await put(Buffer.concat([bytes, Buffer.from('x')]))).status).toBe(403); // length is signed
      const { 'if-none-match': _, ...without } = target.headers;
      expect((await put(bytes, without)).status).toBe(403); // headers are signed
      expect(await store.get('uploads/i1')).toBeNull();
      expect((await put(bytes)).status).toBe(200);
      expect((await put(bytes)).status).toBe(412); // one write per key
      expect(Buffer.from((await store.get('uploads/i1')) ?? []).equals(bytes)).toBe(true);
      client.destroy();
    });

    it('radosgw does not check a presigned x-amz-checksum-sha256, which is why presignPut binds Content-MD5', async () => {
      const bucket = await newBucket();
      const client = rgw.client();
      const declared = randomBytes(100);
      const url = await getSignedUrl(
        client,
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'k',
          ContentLength: 100,
          ContentType: 'image/jpeg',
          ChecksumSHA256: sha256(declared),
        }),
        {
          expiresIn: 60,
          signableHeaders: new Set(['content-length', 'content-type', 'x-amz-checksum-sha256']),
        },
      );
      const res = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'image/jpeg', 'x-amz-checksum-sha256': sha256(declared) },
        body: new Uint8Array(randomBytes(100)),
      });
      // If a radosgw release starts refusing this (400), SHA-256 could replace MD5 in presignPut.
      expect(res.status).toBe(200);
      client.destroy();
    });

    it('keeps its keys under the prefix and lists only its own', async () => {
      const bucket = await newBucket();
      const client = rgw.client();
      const store = new S3BlobStore({ bucket, prefix: 'app/blobs', client });
      const neighbour = new S3BlobStore({ bucket, prefix: 'app/blobs2', client });
      await store.put('images/s1/i1', Buffer.from('mine'));
      await neighbour.put('images/s1/i1', Buffer.from('theirs'));
      // Objects some other tool put next to ours, one of them inside the prefix.
      for (const key of ['app/blobs/notes.txt', 'app/blobsx', 'top']) {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
      }
      const raw = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      expect((raw.Contents ?? []).map((o) => o.Key).sort()).toEqual([
        'app/blobs/images/s1/i1',
        'app/blobs/notes.txt',
        'app/blobs2/images/s1/i1',
        'app/blobsx',
        'top',
      ]);
      expect(await collect(store.list())).toEqual(['images/s1/i1']);
      expect(Buffer.from((await store.get('images/s1/i1')) ?? []).toString()).toBe('mine');
      await store.delete('images/s1/i1');
      expect(Buffer.from((await neighbour.get('images/s1/i1')) ?? []).toString()).toBe('theirs');
      client.destroy();
    });

    it('pages through the listing', async () => {
      const client = rgw.client();
      let pages = 0;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'ListObjectsV2Command') pages++;
          return next(args);
        },
        { step: 'initialize', name: 'countPages' },
      );
      const store = new S3BlobStore({ bucket: await newBucket(), prefix: 'p', client, listPageSize: 2 });
      const keys = ['a1', 'a2', 'b/c1', 'b/c2', 'z'];
      for (const key of keys) await store.put(key, Buffer.from(key));
      expect(await collect(store.list())).toEqual(keys);
      expect(pages).toBe(3);
      client.destroy();
    });

    it('is refused with a wrong secret key', async () => {
      const bucket = await newBucket();
      const client = rgw.client({ secretAccessKey: 'not-the-secret' });
      const store = new S3BlobStore({ bucket, client });
      await expect(store.put('images/s1/i1', Buffer.from('x'))).rejects.toMatchObject({
        code: 'SignatureDoesNotMatch',
        status: 403,
      });
      await expect(store.ping()).rejects.toMatchObject({ status: 403 });
      client.destroy();
    });

    it('fails ping on a missing bucket, naming it', async () => {
      const client = rgw.client();
      const store = new S3BlobStore({ bucket: 'no-such-bucket', client });
      await expect(store.ping()).rejects.toThrow(
        /^S3 HeadBucket s3:\/\/no-such-bucket failed: NotFound \(HTTP 404\)$/,
      );
      client.destroy();
    });

    it('sweeps stale multipart uploads under its prefix, and only those', async () => {
      const bucket = await newBucket();
      const client = rgw.client();
      const store = new S3BlobStore({ bucket, prefix: 'mine', client });
      for (const key of ['mine/images/s1/i1', 'mine/images/s1/i2', 'other/images/s1/i1']) {
        await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      }
      expect(await store.sweepTemp(60_000)).toBe(0);
      // radosgw stamps uploads to the millisecond; let the clock move past them.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await store.sweepTemp(0)).toBe(2);
      const left = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      expect((left.Uploads ?? []).map((u) => u.Key)).toEqual(['other/images/s1/i1']);
      expect(await store.sweepTemp(0)).toBe(0);
      client.destroy();
    });

    it('leaves an injected client open on close', async () => {
      const bucket = await newBucket();
      const client = rgw.client();
      await new S3BlobStore({ bucket, client }).close();
      await expect(client.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
      client.destroy();
    });

    it('builds its own client from endpoint and region, with credentials from the environment', async () => {
      const bucket = await newBucket();
      vi.stubEnv('AWS_ACCESS_KEY_ID', rgw.accessKeyId);
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', rgw.secretAccessKey);
      try {
        // No forcePathStyle: with an endpoint it defaults to path-style, which radosgw needs here.
        const store = new S3BlobStore({ bucket, endpoint: rgw.endpoint, region: rgw.region });
        await store.ping();
        const bytes = randomBytes(5000);
        await store.put('images/s1/i1', bytes);
        expect(Buffer.from((await store.get('images/s1/i1')) ?? []).equals(bytes)).toBe(true);
        expect(await collect(store.list())).toEqual(['images/s1/i1']);
        await store.close();
      } finally {
        vi.unstubAllEnvs();
      }
    });
  });
});
