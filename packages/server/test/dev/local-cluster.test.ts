// The printed commands of `pnpm cluster` must paste into a shell as they are; the cluster itself is exercised by
// test/cluster (the same processes) and by running `pnpm cluster`.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellCommand } from '../../src/dev/local-cluster.js';
import { schemaUrl } from '../../src/dev/scratch-engines.js';

describe('pnpm cluster helpers', () => {
  it('sets the schema as search_path in a URL node-postgres reads back', () => {
    const url = new URL(schemaUrl('postgres://postgres@127.0.0.1:5432/test', 'face_encode_cluster'));
    expect(url.searchParams.get('options')).toBe('-c search_path=face_encode_cluster');
    expect(url.pathname).toBe('/test');
  });

  it('quotes only the arguments a shell would split or expand', () => {
    const url = schemaUrl('postgres://postgres@127.0.0.1:5432/test', 'face_encode_cluster');
    const line = shellCommand(['start', '--port', '3031', '--database-url', url, '--note', "it's"]);
    expect(line.startsWith('face-encode-server start --port 3031 --database-url ')).toBe(true);
    // The shell hands every argument back unchanged.
    const echoed = execFileSync('sh', ['-c', `printf '%s\\n' ${line.slice('face-encode-server '.length)}`]);
    expect(echoed.toString().trimEnd().split('\n')).toEqual([
      'start',
      '--port',
      '3031',
      '--database-url',
      url,
      '--note',
      "it's",
    ]);
  });
});
