// docs/server-options.md is the settings table rendered from the one schema (src/config-schema.ts),
// so every option there is documented and the doc says what the server checks. After changing the
// schema, regenerate it with `npx -y pnpm@10.34.9 exec vitest run packages/server/test/config-docs.test.ts -u`.
import { describe, expect, it } from 'vitest';
import { CONFIG_OPTIONS, defaultTextOf, type ConfigOption } from '../src/config-schema.js';
import { allowedOf } from '../src/read-config.js';

const cell = (text: string) => text.replace(/\|/g, '\\|');
const code = (text: string | undefined) => (text ? `\`${text}\`` : '–');
const names = (main: string | undefined, old: string | undefined) =>
  main ? `${code(main)}${old ? ` (old name ${code(old)})` : ''}` : '–';

function row(o: ConfigOption): string {
  const flag = names(o.flag?.split(' ')[0], o.oldFlag?.split(' ')[0]);
  const fallback = defaultTextOf(o);
  return `| ${[flag, names(o.env, o.oldEnv), allowedOf(o), fallback === null ? '–' : fallback, o.doc]
    .map(cell)
    .join(' | ')} |`;
}

function render(): string {
  return [
    '# face-encode-server settings',
    '',
    '<!-- Generated from packages/server/src/config-schema.ts by packages/server/test/config-docs.test.ts: do not edit. -->',
    '',
    'Every setting of `face-encode-server`, as a flag, an environment variable or both. A flag wins over its',
    'variable; an empty variable counts as unset. A value that is not allowed stops the command before it does',
    'anything: it exits 2 with one line naming the setting, the value and what is allowed, e.g.',
    '`face-encode-server: FACE_ENCODE_AUTH (--auth) must be one of demo, api-key, jwt (got "JWT")`.',
    'Secrets are never echoed. `face-encode-server encoder` takes host, port and auth from its flags only',
    '(defaults `127.0.0.1`, `8000`, `none`; auth `none`, `api-key` or `jwt`).',
    '',
    '| flag | env | allowed | default | what it does |',
    '| --- | --- | --- | --- | --- |',
    ...CONFIG_OPTIONS.map(row),
    '',
  ].join('\n');
}

describe('the settings table', () => {
  it('docs/server-options.md is generated from the schema', async () => {
    await expect(render()).toMatchFileSnapshot('../../../docs/server-options.md');
  });

  it('names every option with a flag or a variable, once', () => {
    const seen = CONFIG_OPTIONS.flatMap((o) => [o.flag?.split(' ')[0], o.env].filter(Boolean));
    expect(CONFIG_OPTIONS.every((o) => o.flag || o.env)).toBe(true);
    expect(new Set(seen).size).toBe(seen.length);
  });
});
