import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const help = (...args: string[]) =>
  execFileSync(process.execPath, [bin, ...args, '--help'], { encoding: 'utf8' });
// Help wraps long lines; compare with whitespace collapsed.
const flat = (text: string) => text.replace(/\s+/g, ' ');

describe('face-encode-server help', () => {
  it('start --help shows the default of every setting a user may leave out', () => {
    const text = flat(help('start'));
    for (const expected of [
      '--host <host> interface to bind (env FACE_ENCODE_HOST) (default: 127.0.0.1)',
      '(env FACE_ENCODE_PORT) (default: 3030)',
      '(env FACE_ENCODE_DATA_DIR) (default: ./.face-encode)',
      '(env FACE_ENCODE_AUTH) (default: api-key)',
      '(env FACE_ENCODE_MAX_FILE_MB) (default: 8)',
      '(env FACE_ENCODE_WORKERS) (default: the CPU count)',
      '(env FACE_ENCODE_DETECTOR) (default: ssd_mobilenetv1)',
      '(env FACE_ENCODE_THRESHOLD) (default: 0.6)',
      '(env FACE_ENCODE_LOG_LEVEL) (default: info)',
      '(env FACE_ENCODE_ENCODER) (default: faceapi)',
    ])
      expect(text).toContain(expected);
  });

  it('describes every keys subcommand, in the list and in its own help', () => {
    const list = flat(help('keys'));
    expect(list).toContain('create [options] Create an API key for a user and print it once.');
    expect(list).toContain('list [options] List API keys');
    expect(list).toContain('revoke [options] <id> Revoke an API key by its id');
    for (const sub of ['create', 'list', 'revoke'])
      expect(flat(help('keys', sub))).toMatch(/Example: face-encode-server keys/);
    expect(flat(help('keys', 'revoke'))).toContain('id the key id shown by keys create and keys list');
  });
});
