import { cp, mkdir } from 'node:fs/promises';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/bin.ts',
    'src/pipeline/encode-worker.ts',
    'src/accuracy.ts',
    'src/bench.ts',
    'src/bench-cluster.ts',
    'src/bench-api.ts',
    'src/bench-direct.ts',
    'src/bench-burst.ts',
    'src/bench-search.ts',
    'src/cluster.ts',
    'src/detect-eval.ts',
  ],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  // The published package carries its own copy of the contract it serves.
  async onSuccess() {
    await mkdir('openapi', { recursive: true });
    await cp('../../openapi/face-encode.yaml', 'openapi/face-encode.yaml');
  },
});
