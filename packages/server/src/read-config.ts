// Reads the settings of one command from its parsed flags and the environment, through the one
// schema in config-schema.ts: a flag wins over its variable, an empty variable counts as unset, and
// both are read from their strings the same way and checked by the same ajv validator.
import { Ajv } from 'ajv';
import { Option } from 'commander';
import {
  CONFIG_OPTIONS,
  type CommandSettings,
  type ConfigOption,
  type SettingKey,
  type ValueSchema,
} from './config-schema.js';
import type { ServerConfig } from './config.js';

/** A setting no command can run with: `message` is the one line to show. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** How a command takes an option when it differs from the table (the encoder's own auth, say). */
export type OptionOverrides = Partial<
  Record<SettingKey, Partial<ConfigOption> & { env?: string | undefined }>
>;

export type Settings = Partial<ServerConfig & CommandSettings>;

/** The option as `command` takes it. */
export function effectiveOption(option: ConfigOption, overrides: OptionOverrides = {}): ConfigOption {
  return { ...option, ...overrides[option.key] };
}

const attributeOf = (flag: string) => new Option(flag).attributeName();

interface Raw {
  value: unknown;
  /** The flag or variable it came from, and the other name of the option. */
  source: string;
  alias: string | null;
}

/** Where an option's value comes from: flag, old flag, variable, old variable; undefined when unset. */
function rawOf(
  option: ConfigOption,
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Raw | undefined {
  const name = (flag: string) => flag.split(' ')[0] as string;
  for (const flag of [option.flag, option.oldFlag]) {
    if (flag === undefined) continue;
    const value = flags[attributeOf(flag)];
    if (value !== undefined) return { value, source: name(flag), alias: option.env ?? null };
  }
  for (const variable of [option.env, option.oldEnv]) {
    if (variable === undefined) continue;
    const value = env[variable];
    // `FOO=` in a compose file or unit means "not set", as it does for most tools.
    if (value !== undefined && value !== '') {
      return { value, source: variable, alias: option.flag ? name(option.flag) : null };
    }
  }
  return undefined;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off)$/i;

/** A value read from its string by the schema's type; a string that does not read stays as it is, for ajv to refuse. */
function fromString(value: unknown, schema: ValueSchema): unknown {
  if (typeof value !== 'string') return value;
  switch (schema.type) {
    case 'integer':
    case 'number':
      // Decimal only: Number() would also take "0x10", "Infinity" and " 5 ".
      return NUMBER.test(value) ? Number(value) : value;
    case 'boolean':
      return TRUE.test(value) ? true : FALSE.test(value) ? false : value;
    case 'array':
      return value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      return value;
  }
}

/** What a schema allows, in words. */
export function allowedOf(option: ConfigOption): string {
  if (option.allowed) return option.allowed;
  const s = option.schema;
  switch (s.type) {
    case 'integer':
      return s.maximum === undefined
        ? `an integer of at least ${s.minimum}`
        : `an integer from ${s.minimum} to ${s.maximum}`;
    case 'number':
      return `a number greater than ${s.exclusiveMinimum}`;
    case 'boolean':
      return option.env ? 'true or false (or 1/0, yes/no, on/off)' : 'a switch';
    case 'array':
      return 'a comma-separated list';
    default:
      if (s.enum) return `one of ${s.enum.join(', ')}`;
      if (s.pattern === '^https?://') return 'an http:// or https:// URL';
      return s.minLength && s.minLength > 1 ? `at least ${s.minLength} characters` : 'not empty';
  }
}

function shown(raw: unknown, option: ConfigOption): string {
  const text = Array.isArray(raw) ? raw.join(',') : String(raw);
  return option.secret ? `a secret of ${text.length} characters` : JSON.stringify(text);
}

const ajv = new Ajv({ allErrors: true });
const validators = new WeakMap<ConfigOption, ReturnType<typeof ajv.compile>>();
const validatorOf = (option: ConfigOption) => {
  let validate = validators.get(option);
  if (!validate) validators.set(option, (validate = ajv.compile(option.schema)));
  return validate;
};

/**
 * The settings given for one command: every option of the table read from `env` (except those the
 * overrides take from flags only) and from `flags` (commander's parsed options). Unset options are
 * left out, so defaults still come from DEFAULT_CONFIG. Throws ConfigError on the first bad value.
 */
export function readSettings(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  overrides: OptionOverrides = {},
): Settings {
  const settings: Record<string, unknown> = {};
  for (const table of CONFIG_OPTIONS) {
    const option = effectiveOption(table, overrides);
    const raw = rawOf(option, flags, env);
    if (raw === undefined) continue;
    const value = fromString(raw.value, option.schema);
    if (!validatorOf(option)(value)) {
      const names = raw.alias ? `${raw.source} (${raw.alias})` : raw.source;
      throw new ConfigError(`${names} must be ${allowedOf(option)} (got ${shown(raw.value, option)})`);
    }
    settings[option.key] = value;
  }
  return settings as Settings;
}
