import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('main entry', () => {
  it('bundles for the browser without node: imports', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.includes('node-input') || i.startsWith('node:'))).toBe(false);
    const code = result.outputFiles[0]?.text ?? '';
    expect(code).not.toMatch(/["']node:/);
    expect(code).not.toMatch(/\bprocess\.env\b/);
  });
});
