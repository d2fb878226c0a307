import { describe, expect, it } from 'vitest';
import { parseBlobUrl } from '../../src/storage/blob-url.js';

describe('parseBlobUrl', () => {
  it('reads a file URL as an absolute folder', () => {
    expect(parseBlobUrl('file:///var/lib/face-encode/blobs')).toEqual({
      kind: 'file',
      dir: '/var/lib/face-encode/blobs',
    });
    expect(parseBlobUrl('file:///data/blobs/')).toEqual({ kind: 'file', dir: '/data/blobs' });
    expect(parseBlobUrl('file://localhost/data/my%20blobs')).toEqual({ kind: 'file', dir: '/data/my blobs' });
    expect(parseBlobUrl('file:///')).toEqual({ kind: 'file', dir: '/' });
  });

  it('reads an s3 URL as a bucket and an optional prefix', () => {
    expect(parseBlobUrl('s3://face-blobs')).toEqual({ kind: 's3', bucket: 'face-blobs', prefix: '' });
    expect(parseBlobUrl('s3://face-blobs/')).toEqual({ kind: 's3', bucket: 'face-blobs', prefix: '' });
    expect(parseBlobUrl('s3://face.blobs/prod/eu-1/')).toEqual({
      kind: 's3',
      bucket: 'face.blobs',
      prefix: 'prod/eu-1',
    });
  });

  it.each([
    ['', 'not a URL'],
    ['/var/blobs', 'not a URL'],
    ['blobs', 'not a URL'],
    ['http://minio:9000/bucket', 'unsupported scheme "http:"'],
    ['gs://bucket', 'unsupported scheme "gs:"'],
    ['file:relative/dir', 'three slashes'],
    ['file://nas/share', 'no host'],
    ['file:///data?x=1', 'query strings'],
    ['s3://', 'the bucket must be'],
    ['s3:///prefix', 'the bucket must be'],
    ['s3://Upper', 'the bucket must be'],
    ['s3://ab', 'the bucket must be'],
    ['s3://under_score', 'the bucket must be'],
    ['s3://bucket:9000/x', 'no port'],
    ['s3://bucket/a%2Fb', 'prefix segments'],
    ['s3://bucket/a b', 'prefix segments'],
    ['s3://bucket/a//b', 'prefix segments'],
    ['s3://bucket/x#frag', 'fragments'],
  ])('refuses %j in one line that names what is accepted', (url, why) => {
    let message = '';
    try {
      parseBlobUrl(url);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(why);
    expect(message).toContain('accepted: file:///absolute/dir or s3://bucket[/prefix]');
    expect(message).not.toContain('\n');
  });

  it('never echoes a password it was given', () => {
    expect(() => parseBlobUrl('s3://key:hunter2@bucket/p')).toThrow(
      /s3:\/\/key:\*\*\*@bucket\/p.*AWS_ACCESS_KEY_ID/,
    );
    expect(() => parseBlobUrl('s3://key:hunter2@bucket/p')).not.toThrow(/hunter2/);
  });
});
