import { UsageError } from '../cli-errors.js';
import type { ProfileValues } from '../settings.js';

/** The settings a profile stores, by their command-line names. */
export const CONFIG_KEYS = { url: 'url', 'api-key': 'apiKey', 'user-id': 'userId' } as const satisfies Record<
  string,
  keyof ProfileValues
>;
export type ConfigKey = keyof typeof CONFIG_KEYS;

export function parseConfigKey(key: string): ConfigKey {
  if (key in CONFIG_KEYS) return key as ConfigKey;
  throw new UsageError(`Unknown setting "${key}".`, `Use one of: ${Object.keys(CONFIG_KEYS).join(', ')}.`);
}

/** Shows enough of a key to recognise it, never all of it. */
export function maskSecret(value: string): string {
  return value.length <= 8 ? '****' : `${value.slice(0, 4)}…${value.slice(-4)}`;
}
