import { UsageError } from '../cli-errors.js';
import type { CommandContext } from '../context.js';
import type { CommandInput } from '../program.js';
import { CONFIG_KEYS, maskSecret, parseConfigKey } from './config-keys.js';

/** `config set <key> <value>`: saves one value in the profile (no server call). */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const key = parseConfigKey(String(input.args[0]));
  let value = String(input.args[1]);
  if (key === 'url') {
    if (!/^https?:\/\//.test(value) || !URL.canParse(value))
      throw new UsageError(`"${value}" is not an http(s) URL.`, 'Example: https://faces.example.com');
    value = value.replace(/\/+$/, '');
  }
  ctx.store.update(ctx.settings.profile, { [CONFIG_KEYS[key]]: value });
  const shown = key === 'api-key' ? maskSecret(value) : value;
  ctx.out.result({ profile: ctx.settings.profile, key, value: shown });
  ctx.out.line(`Set ${key} = ${shown} in profile ${ctx.settings.profile}.`);
}
