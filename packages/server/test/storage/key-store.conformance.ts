// The behaviour every KeyStore adapter must have; the factory gives each test a fresh, empty store.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyStore } from '../../src/storage/key-store.js';

export interface KeyStoreFixture {
  keys: KeyStore;
  cleanup(): Promise<void>;
}

export function keyStoreConformance(name: string, factory: () => Promise<KeyStoreFixture>) {
  describe(`KeyStore conformance: ${name}`, () => {
    let fixture: KeyStoreFixture;
    beforeEach(async () => {
      fixture = await factory();
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('stores, replaces and destroys a wrapped key', async () => {
      const { keys } = fixture;
      expect(await keys.get('c1')).toBeNull();
      await keys.put('c1', Buffer.from('first'));
      await keys.put('c2', Buffer.from('other'));
      await keys.put('c1', Buffer.from('rewrapped'));
      expect(Buffer.from((await keys.get('c1'))!).toString()).toBe('rewrapped');
      expect(await keys.delete('c1')).toBe(true);
      expect(await keys.delete('c1')).toBe(false);
      expect(await keys.get('c1')).toBeNull();
      expect(Buffer.from((await keys.get('c2'))!).toString()).toBe('other');
    });
  });
}
