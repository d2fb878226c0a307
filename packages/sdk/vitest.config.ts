import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Integration tests run the reference server from source, so they need no server build.
    alias: { '@face-encode/server': fileURLToPath(new URL('../server/src/index.ts', import.meta.url)) },
  },
  test: {
    name: 'sdk',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Type tests (test/**/*.test-d.ts): wrong paths, params and bodies must fail to compile.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
