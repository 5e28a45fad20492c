/** The contract every SettingsStore adapter passes: the same cases, run against each. */
import type { SettingsStore } from '../../core/ports/settings-store.js';

export interface ContractOptions {
  /**
   * Whether the server behind the adapter isolates concurrent conditional writes. DynamoDB does;
   * moto_server, which stands in for it here, applies two concurrent conditional updates of one item
   * without isolation, so that case runs only where the server can keep the promise. The
   * conditions themselves are checked for every adapter by the sequential cases.
   */
  isolatesConcurrentWrites: boolean;
}

export function settingsStoreContract(name: string, make: () => Promise<SettingsStore>, options: ContractOptions): void {
  describe(`${name}: the settings store contract`, () => {
    let store: SettingsStore;
    beforeEach(async () => {
      store = await make();
    });

    it('creates, reads, lists by kind in name order, and counts versions', async () => {
      const created = await store.put('policies', 'web', { output: { quality: 70 } }, { expected: 'absent', by: 'ops' });
      expect(created).toMatchObject({ kind: 'policies', name: 'web', value: { output: { quality: 70 } }, version: 1, updatedBy: 'ops' });
      expect(Date.parse(created.updatedAt)).not.toBeNaN();
      await store.put('policies', 'avatar', { edits: { resize: { width: 64 } } });
      await store.put('origins', 'web', { type: 's3', bucket: 'images' });
      expect((await store.list('policies')).map((setting) => setting.name)).toEqual(['avatar', 'web']);
      expect(await store.get('origins', 'web')).toMatchObject({ value: { type: 's3', bucket: 'images' }, version: 1 });
      expect(await store.get('mappings', 'web')).toBeUndefined();
      const changed = await store.put('policies', 'web', { output: { quality: 80 } }, { expected: 1 });
      expect(changed).toMatchObject({ version: 2, value: { output: { quality: 80 } } });
      expect(changed.updatedBy).toBeUndefined();
    });

    it('refuses a write whose expected version no longer holds (412), and keeps the winner', async () => {
      await store.put('policies', 'web', { n: 1 }, { expected: 'absent' });
      await expect(store.put('policies', 'web', { n: 2 }, { expected: 'absent' })).rejects.toMatchObject({ code: 'Settings::VersionMismatch', status: 412 });
      await store.put('policies', 'web', { n: 2 }, { expected: 1 });
      await expect(store.put('policies', 'web', { n: 3 }, { expected: 1 })).rejects.toMatchObject({ code: 'Settings::VersionMismatch' });
      await expect(store.put('policies', 'missing', { n: 1 }, { expected: 4 })).rejects.toMatchObject({ code: 'Settings::VersionMismatch' });
      expect(await store.get('policies', 'web')).toMatchObject({ value: { n: 2 }, version: 2 });
    });

    if (options.isolatesConcurrentWrites) {
      it('lets exactly one of two concurrent saves of the same version win', async () => {
        await store.put('mappings', 'shop', { v: 0 });
        const results = await Promise.allSettled([store.put('mappings', 'shop', { v: 'a' }, { expected: 1 }), store.put('mappings', 'shop', { v: 'b' }, { expected: 1 })]);
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        expect((await store.get('mappings', 'shop'))?.version).toBe(2);
      });
    }

    it('deletes, conditionally or not', async () => {
      await store.put('origins', 'a', { type: 's3', bucket: 'a-bucket' });
      await store.put('origins', 'b', { type: 's3', bucket: 'b-bucket' });
      await expect(store.delete('origins', 'a', { expected: 7 })).rejects.toMatchObject({ code: 'Settings::VersionMismatch' });
      expect(await store.delete('origins', 'a', { expected: 1 })).toBe(true);
      expect(await store.delete('origins', 'b')).toBe(true);
      expect(await store.delete('origins', 'b')).toBe(false);
      expect(await store.list('origins')).toEqual([]);
    });
  });
}
