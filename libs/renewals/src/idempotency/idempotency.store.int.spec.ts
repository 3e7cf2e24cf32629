import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdempotencyStore } from './idempotency.store';

describe('idempotency store', () => {
  let dir: string;
  let store: IdempotencyStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'recert-idem-'));
    store = new IdempotencyStore(dir, 1000, 10_000);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('API.md Idempotency-Key: claims once, answers the stored result again, and frees a refused key', () => {
    const key = IdempotencyStore.keyOf('exam-system', 'k-1');
    const hash = IdempotencyStore.hashOf('POST', '/x', { a: 1 });
    expect(store.claim(key, hash, 0)).toEqual({ kind: 'new' });
    expect(store.claim(key, hash, 10)).toEqual({ kind: 'in-progress' });
    store.complete(key, 201, { ok: true }, 20);
    expect(store.claim(key, hash, 30)).toEqual({ kind: 'done', status: 201, body: { ok: true }, sameRequest: true });
    expect(store.claim(key, IdempotencyStore.hashOf('POST', '/x', { a: 2 }), 40)).toMatchObject({ kind: 'done', sameRequest: false });
    const refused = IdempotencyStore.keyOf('exam-system', 'k-2');
    expect(store.claim(refused, hash, 0)).toEqual({ kind: 'new' });
    store.release(refused);
    expect(store.claim(refused, hash, 1)).toEqual({ kind: 'new' });
  });

  it('a claim left by a crashed request goes stale and can be taken again; old answers are purged', () => {
    const key = IdempotencyStore.keyOf('s', 'k');
    const hash = IdempotencyStore.hashOf('POST', '/x', {});
    store.claim(key, hash, 0);
    expect(store.claim(key, hash, 500)).toEqual({ kind: 'in-progress' });
    expect(store.claim(key, hash, 2000)).toEqual({ kind: 'new' });
    store.complete(key, 200, {}, 2000);
    expect(store.purge(5000)).toBe(0);
    expect(store.purge(20_000)).toBe(1);
    expect(store.claim(key, hash, 20_001)).toEqual({ kind: 'new' });
  });
});
