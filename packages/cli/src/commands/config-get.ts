import { CliError } from '../cli-errors.js';
import type { CommandContext } from '../context.js';
import type { CommandInput } from '../program.js';
import { CONFIG_KEYS, parseConfigKey } from './config-keys.js';

/** `config get <key>`: prints one saved value of the profile; exit 1 when it is not set. */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const key = parseConfigKey(String(input.args[0]));
  const value = ctx.store.get(ctx.settings.profile)[CONFIG_KEYS[key]];
  if (value === undefined) {
    throw new CliError(`${key} is not set in profile ${ctx.settings.profile}.`, {
      hint: `Set it with face-encode config set ${key} <value>.`,
    });
  }
  ctx.out.result({ profile: ctx.settings.profile, key, value });
  ctx.out.line(value);
}
