import type { ProfileValues } from './settings.js';

/** Options of {@link ProfileStore.open}. */
export interface ProfileStoreOptions {
  /** Directory holding config.json. Default: the per-user config dir of `face-encode` (e.g. ~/.config/face-encode). */
  cwd?: string | undefined;
}

type ConfigShape = { profiles: Record<string, ProfileValues> };
type ConfInstance = {
  path: string;
  get(key: 'profiles'): Record<string, ProfileValues>;
  set(key: 'profiles', value: Record<string, ProfileValues>): void;
};

/** Named profiles (url, API key, user id) in one 0600 config file, via conf. */
export class ProfileStore {
  private constructor(private readonly conf: ConfInstance) {}

  /** Loads conf lazily so `--help` never pays for it. */
  static async open(options: ProfileStoreOptions = {}): Promise<ProfileStore> {
    const { default: Conf } = await import('conf');
    const conf = new Conf<ConfigShape>({
      projectName: 'face-encode',
      projectSuffix: '',
      // The file holds API keys: owner-only.
      configFileMode: 0o600,
      // Profile names may contain dots.
      accessPropertiesByDotNotation: false,
      defaults: { profiles: {} },
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    return new ProfileStore(conf as unknown as ConfInstance);
  }

  /** The config file's path. */
  get path(): string {
    return this.conf.path;
  }

  get(name: string): ProfileValues {
    return { ...(this.conf.get('profiles')[name] ?? {}) };
  }

  names(): string[] {
    return Object.keys(this.conf.get('profiles')).sort();
  }

  /** Merges `values` into the profile; `undefined` fields are removed. */
  update(name: string, values: Partial<Record<keyof ProfileValues, string | undefined>>): ProfileValues {
    const profiles = { ...this.conf.get('profiles') };
    const next: Record<string, string | undefined> = { ...(profiles[name] ?? {}), ...values };
    for (const key of Object.keys(next)) if (next[key] === undefined) delete next[key];
    profiles[name] = next as ProfileValues;
    this.conf.set('profiles', profiles);
    return { ...next } as ProfileValues;
  }

  /** Removes the profile; false when there was none. */
  delete(name: string): boolean {
    const profiles = { ...this.conf.get('profiles') };
    if (!(name in profiles)) return false;
    delete profiles[name];
    this.conf.set('profiles', profiles);
    return true;
  }
}
