import { describe, expect, it } from 'vitest';
import { DEFAULT_URL, resolveProfileName, resolveSettings } from '../src/settings.js';

const tty = { stdoutIsTTY: true };

describe('resolveSettings', () => {
  it('takes flag over env over profile over the default', () => {
    const profile = { url: 'http://profile', apiKey: 'p-key', userId: 'p-user' };
    const env = {
      FACE_ENCODE_URL: 'http://env',
      FACE_ENCODE_API_KEY: 'e-key',
      FACE_ENCODE_USER_ID: 'e-user',
    };
    expect(resolveSettings({ url: 'http://flag/' }, env, profile, tty)).toMatchObject({
      url: 'http://flag',
      apiKey: 'e-key',
      userId: 'e-user',
    });
    expect(resolveSettings({}, {}, profile, tty)).toMatchObject({
      url: 'http://profile',
      apiKey: 'p-key',
      sources: { url: 'profile' },
    });
    expect(resolveSettings({}, {}, {}, tty)).toMatchObject({
      url: DEFAULT_URL,
      apiKey: undefined,
      sources: { url: 'default' },
    });
  });

  it('picks the profile from --profile, then FACE_ENCODE_PROFILE, then default', () => {
    expect(resolveProfileName({ profile: 'a' }, { FACE_ENCODE_PROFILE: 'b' })).toBe('a');
    expect(resolveProfileName({}, { FACE_ENCODE_PROFILE: 'b' })).toBe('b');
    expect(resolveProfileName({}, {})).toBe('default');
  });

  it('turns colors off for --no-color, NO_COLOR and a non-TTY stdout', () => {
    expect(resolveSettings({}, {}, {}, tty).color).toBe(true);
    expect(resolveSettings({ color: false }, {}, {}, tty).color).toBe(false);
    expect(resolveSettings({}, { NO_COLOR: '1' }, {}, tty).color).toBe(false);
    expect(resolveSettings({}, {}, {}, { stdoutIsTTY: false }).color).toBe(false);
  });

  it('converts --timeout seconds to milliseconds', () => {
    expect(resolveSettings({ timeout: 2.5 }, {}, {}, tty).timeoutMs).toBe(2500);
    expect(resolveSettings({}, {}, {}, tty).timeoutMs).toBeUndefined();
  });
});
