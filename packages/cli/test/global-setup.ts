// Builds the SDK, the server and the CLI when their dist is missing or older than their sources,
// because the tests spawn the built binary against the real server.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function buildIfStale(pkg: string, output: string): void {
  const dir = join(packagesDir, pkg);
  const built = join(dir, 'dist', output);
  const stale = !existsSync(built) || newestMtime(join(dir, 'src')) > statSync(built).mtimeMs;
  if (!stale) return;
  try {
    execFileSync('npx', ['tsup'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (err) {
    // The unit tests still run; the tests that need this package fail with its import error.
    console.warn(`global-setup: building packages/${pkg} failed: ${(err as Error).message}`);
  }
}

export default function setup(): void {
  buildIfStale('sdk', 'node.js');
  buildIfStale('server', 'index.js');
  buildIfStale('cli', 'bin.js');
}
