import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliHome } from '../helpers/cli.js';

let home: CliHome;
beforeAll(() => {
  home = new CliHome();
});
afterAll(() => home?.close());

const hasBash = spawnSync('bash', ['--version']).status === 0;

describe('completion', () => {
  it.each(['bash', 'zsh', 'fish'])('prints a %s script naming every command', async (shell) => {
    const r = await home.run(['completion', shell]);
    expect(r.code).toBe(0);
    for (const word of ['session', 'encode', 'compare', 'upload', 'json']) expect(r.stdout).toContain(word);
  });

  it.skipIf(!hasBash)('the bash script parses and completes subcommands', async () => {
    const script = (await home.run(['completion', 'bash'])).stdout;
    const probe = `${script}\nCOMP_WORDS=(face-encode session cr); COMP_CWORD=2; _face_encode; echo "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', probe], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('create');
  });
});
