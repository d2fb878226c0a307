import { rmSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

// Both builds below write into dist/ at the same time, so tsup's per-build `clean` could delete the other
// build's files: clear dist/ once here instead (tsup resolves outDir against the same working directory).
rmSync('dist', { recursive: true, force: true });

const common: Options = {
  format: ['esm'],
  sourcemap: true,
  clean: false,
  target: 'node20',
  platform: 'node',
  // Commands and what only they use become chunks loaded on demand, so `--help` never reads them.
  splitting: true,
};

export default defineConfig([
  {
    // The `face-encode` binary, tuned for start-up: see the "CLI start-up" section of BENCHMARKS.md.
    ...common,
    entry: ['src/bin.ts'],
    // Inlined, commander is part of one bundle instead of seven CommonJS files that Node resolves through the
    // pnpm symlinks, reads, wraps and scans for exports (cjs-module-lexer) on every start.
    noExternal: ['commander'],
    // Commander is CommonJS and require()s Node built-ins; an ESM bundle has no `require` of its own.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  },
  {
    // The programmatic API (`@face-encode/cli`): dependencies stay external for the consumer to share.
    ...common,
    entry: ['src/index.ts'],
    dts: { entry: 'src/index.ts' },
  },
]);
