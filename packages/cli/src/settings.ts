/** Environment variables the CLI understands; `bin.ts` reads them and passes them in. */
export interface CliEnv {
  FACE_ENCODE_URL?: string | undefined;
  FACE_ENCODE_API_KEY?: string | undefined;
  FACE_ENCODE_PROFILE?: string | undefined;
  FACE_ENCODE_USER_ID?: string | undefined;
  /** Overrides the directory of the config file (tests, portable setups). */
  FACE_ENCODE_CONFIG_DIR?: string | undefined;
  NO_COLOR?: string | undefined;
  CI?: string | undefined;
}

/** The global flags as commander parsed them. */
export interface GlobalFlags {
  url?: string;
  apiKey?: string;
  profile?: string;
  userId?: string;
  json?: boolean;
  quiet?: boolean;
  /** `--no-color` sets this to false. */
  color?: boolean;
  /** Seconds. */
  timeout?: number;
  debug?: boolean;
}

/** What a profile stores. */
export interface ProfileValues {
  url?: string;
  apiKey?: string;
  userId?: string;
}

export type SettingSource = 'flag' | 'env' | 'profile' | 'default' | 'none';

/** The effective settings of one invocation. */
export interface Settings {
  profile: string;
  url: string;
  apiKey: string | undefined;
  userId: string | undefined;
  sources: { url: SettingSource; apiKey: SettingSource; userId: SettingSource };
  json: boolean;
  quiet: boolean;
  color: boolean;
  /** Per-request and wait timeout in ms; undefined keeps the SDK defaults. */
  timeoutMs: number | undefined;
  debug: boolean;
}

export const DEFAULT_URL = 'http://127.0.0.1:3030';
export const DEFAULT_PROFILE = 'default';

const nonEmpty = (v: string | undefined): string | undefined => (v && v.trim() !== '' ? v : undefined);

/** The profile to use: `--profile` > FACE_ENCODE_PROFILE > `default`. */
export function resolveProfileName(flags: GlobalFlags, env: CliEnv): string {
  return nonEmpty(flags.profile) ?? nonEmpty(env.FACE_ENCODE_PROFILE) ?? DEFAULT_PROFILE;
}

function pick(
  flag: string | undefined,
  envValue: string | undefined,
  profileValue: string | undefined,
): [string | undefined, SettingSource] {
  if (nonEmpty(flag)) return [flag, 'flag'];
  if (nonEmpty(envValue)) return [envValue, 'env'];
  if (nonEmpty(profileValue)) return [profileValue, 'profile'];
  return [undefined, 'none'];
}

/** Precedence for each value: flag > environment > profile > built-in default. */
export function resolveSettings(
  flags: GlobalFlags,
  env: CliEnv,
  profile: ProfileValues,
  terminal: { stdoutIsTTY: boolean },
): Settings {
  const [url, urlSource] = pick(flags.url, env.FACE_ENCODE_URL, profile.url);
  const [apiKey, apiKeySource] = pick(flags.apiKey, env.FACE_ENCODE_API_KEY, profile.apiKey);
  const [userId, userIdSource] = pick(flags.userId, env.FACE_ENCODE_USER_ID, profile.userId);
  const noColorEnv = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return {
    profile: resolveProfileName(flags, env),
    url: (url ?? DEFAULT_URL).replace(/\/+$/, ''),
    apiKey,
    userId,
    sources: { url: url ? urlSource : 'default', apiKey: apiKeySource, userId: userIdSource },
    json: flags.json === true,
    quiet: flags.quiet === true,
    color: flags.color !== false && !noColorEnv && terminal.stdoutIsTTY,
    timeoutMs: flags.timeout === undefined ? undefined : Math.round(flags.timeout * 1000),
    debug: flags.debug === true,
  };
}
