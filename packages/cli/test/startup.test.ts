import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, CliHome } from './helpers/cli.js';

// What start-up loads, not how long it takes: timings belong to scripts/bench-startup.mjs.
const hooks = new URL('./helpers/module-log.mjs', import.meta.url).href;
const distDir = pathToFileURL(join(BIN, '..')).href + '/';

let home: CliHome;
beforeAll(() => {
  home = new CliHome();
});
afterAll(() => home?.close());

/** Runs the CLI and returns the URLs of the files it loaded as modules, in load order. */
async function loadedFiles(args: string[], name: string): Promise<{ code: number | null; files: string[] }> {
  const log = join(home.dir, `${name}.modules`);
  const r = await home.run(args, { nodeOptions: ['--import', hooks], env: { MODULE_LOG: log } });
  const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { code: r.code, files: urls.filter((url) => url.startsWith('file:') && url !== hooks) };
}

describe('start-up', () => {
  it.each([
    ['--help', 'help'],
    ['--version', 'version'],
  ])(
    '%s loads only the bundled CLI: no SDK, ora, conf or commander from node_modules',
    async (flag, name) => {
      const { code, files } = await loadedFiles([flag], name);
      expect(code).toBe(0);
      expect(files[0]).toBe(pathToFileURL(BIN).href);
      expect(files.filter((url) => /\/(sdk|ora|conf|commander)[@/]/.test(url))).toEqual([]);
      expect(files.filter((url) => !url.startsWith(distDir))).toEqual([]);
    },
  );

  it('--version loads fewer modules than --help (commander stays unloaded)', async () => {
    const help = await loadedFiles(['--help'], 'help-count');
    const version = await loadedFiles(['--version'], 'version-count');
    expect(version.files.length).toBeLessThan(help.files.length);
    expect(help.files).toEqual(expect.arrayContaining(version.files));
  });

  it('a command loads its dependencies on demand (the module log sees them)', async () => {
    const { code, files } = await loadedFiles(['config', 'list', '--json'], 'config-list');
    expect(code).toBe(0);
    expect(files.some((url) => url.includes('/node_modules/conf/'))).toBe(true);
  });
});
