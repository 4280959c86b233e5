import { describe, expect, it } from 'vitest';
import { KMS_KEY_PREFIX, ObjectLayerKeyStore, SYSTEM_BUCKET } from './object-layer-key-store.js';
import { MemoryObjectStore } from './test-helpers.js';

describe('ObjectLayerKeyStore', () => {
  it('keeps records as objects under kms/ in the system bucket, created on first write', async () => {
    const objects = new MemoryObjectStore();
    const store = new ObjectLayerKeyStore(objects);
    expect(await store.get('keys/a/0000000001')).toBeUndefined();
    expect(await store.list('')).toEqual([]);
    expect(await store.create('keys/a/0000000001', Buffer.from('one'))).toBe(true);
    expect(objects.buckets.get(SYSTEM_BUCKET)?.has(`${KMS_KEY_PREFIX}keys/a/0000000001`)).toBe(true);
    expect(Buffer.from((await store.get('keys/a/0000000001')) ?? []).toString()).toBe('one');
    expect(await store.get('keys/a/0000000002')).toBeUndefined();
  });

  it('never replaces a record: create of an existing id writes nothing and says so', async () => {
    const store = new ObjectLayerKeyStore(new MemoryObjectStore());
    expect(await store.create('x', Buffer.from('first'))).toBe(true);
    expect(await store.create('x', Buffer.from('second'))).toBe(false);
    expect(Buffer.from((await store.get('x')) ?? []).toString()).toBe('first');
  });

  it('lists ids by prefix across listing pages, in order', async () => {
    const store = new ObjectLayerKeyStore(new MemoryObjectStore());
    const ids = Array.from({ length: 2500 }, (_, i) => `keys/k${String(i).padStart(5, '0')}/0000000001`);
    for (const id of ids) await store.create(id, Buffer.from('r'));
    await store.create('other/1', Buffer.from('r'));
    expect(await store.list('keys/')).toEqual(ids);
    expect(await store.list('keys/k00001/')).toEqual(['keys/k00001/0000000001']);
  });
});
