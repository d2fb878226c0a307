import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// `pnpm test` runs with pnpm on PATH (as CI does); skipped where there is none.
const hasPnpm = !spawnSync('pnpm', ['--version'], { stdio: 'ignore' }).error;

it.skipIf(!hasPnpm)('`pnpm face-encode … --json` from the repository root prints only the JSON', () => {
  const home = mkdtempSync(join(tmpdir(), 'face-encode-root-bin-'));
  try {
    const stdout = execFileSync('pnpm', ['face-encode', 'config', 'list', '--json'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: home, FACE_ENCODE_CONFIG_DIR: home },
    });
    expect(() => JSON.parse(stdout)).not.toThrow();
    expect(stdout).not.toContain('> face-encode');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
