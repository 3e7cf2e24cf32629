import { randomBytes } from 'node:crypto';
import type { SharedState } from '../shared-state.ports';

/**
 * One contract for every shared-state adapter, run on two instances opened on the same store (as two processes
 * of one deployment would): what one writes the other reads, and claims, leases and counters are atomic across them.
 */
export function sharedStateContract(open: () => Promise<SharedState>): void {
  let a: SharedState;
  let b: SharedState;
  beforeAll(async () => {
    a = await open();
    b = await open();
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });
  let seq = 0;
  const id = (prefix: string): string => `${prefix}-${++seq}-${randomBytes(3).toString('hex')}`;

  it('#11.2: a third instance opening a migrated store keeps its data (the schema migration is idempotent)', async () => {
    const subject = id('s');
    const key = randomBytes(32);
    await a.keys.keyOrCreate(subject, key);
    const c = await open();
    try {
      expect(await c.keys.key(subject)).toEqual(key);
    } finally {
      await c.close();
    }
  });

  describe('KeyVaultStore', () => {
    it('#11.2: the first key stored for a subject wins, and every instance reads it', async () => {
      const subject = id('s');
      const first = randomBytes(32);
      const [fromA, fromB] = await Promise.all([a.keys.keyOrCreate(subject, first), b.keys.keyOrCreate(subject, randomBytes(32))]);
      expect(fromA).toEqual(fromB);
      expect(await b.keys.key(subject)).toEqual(fromA);
      expect(await a.keys.key(id('unknown'))).toBeNull();
    });

    it('#14.3: keysOrCreate keeps an existing key, stores the new ones, and answers null for an erased subject', async () => {
      const [kept, fresh, erased] = [id('s'), id('s'), id('s')];
      const existing = randomBytes(32);
      await a.keys.keyOrCreate(kept, existing);
      await a.keys.erase(erased, new Date('2026-05-01T00:00:00Z'));
      const given = randomBytes(32);
      expect(
        await b.keys.keysOrCreate([
          { subject: kept, fresh: randomBytes(32) },
          { subject: fresh, fresh: given },
          { subject: erased, fresh: randomBytes(32) },
        ]),
      ).toEqual([existing, given, null]);
      expect(await a.keys.key(fresh)).toEqual(given);
      expect(await a.keys.keysOrCreate([])).toEqual([]);
    });

    it('#11.2/#16.5: an erasure on one instance destroys the key for all, for good', async () => {
      const subject = id('s');
      await a.keys.keyOrCreate(subject, randomBytes(32));
      expect(await b.keys.isErased(subject)).toBe(false);
      await a.keys.erase(subject, new Date('2026-05-01T00:00:00Z'));
      expect(await b.keys.key(subject)).toBeNull();
      expect(await b.keys.isErased(subject)).toBe(true);
      expect(await b.keys.keyOrCreate(subject, randomBytes(32))).toBeNull();
    });

    it('#11.2: erasing a subject that never had a key still records the erasure', async () => {
      const subject = id('s');
      await b.keys.erase(subject, new Date());
      expect(await a.keys.isErased(subject)).toBe(true);
      expect(await a.keys.keyOrCreate(subject, randomBytes(32))).toBeNull();
    });
  });

  describe('IdempotencyStore', () => {
    it('#11.2: concurrent twins with one key on two instances: exactly one claims it, the others see it in progress', async () => {
      const key = id('k');
      const lookups = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).idempotency.claim(key, 'h', Date.now())),
      );
      expect(lookups.filter((lookup) => lookup.kind === 'new')).toHaveLength(1);
      expect(lookups.filter((lookup) => lookup.kind === 'in-progress')).toHaveLength(11);
    });

    it('#11.2: the answer completed on one instance is the answer on the other, whatever body the repeat carries', async () => {
      const key = id('k');
      expect(await a.idempotency.claim(key, 'h1', 1_000)).toEqual({ kind: 'new' });
      await a.idempotency.complete(key, 201, { position: 7 }, 1_001);
      expect(await b.idempotency.claim(key, 'h1', 1_002)).toEqual({ kind: 'done', status: 201, body: { position: 7 }, sameRequest: true });
      expect(await b.idempotency.claim(key, 'h2', 1_003)).toEqual({ kind: 'done', status: 201, body: { position: 7 }, sameRequest: false });
    });

    it('#11.2: a released claim frees the key; a claim abandoned by a crash goes stale after its TTL', async () => {
      const released = id('k');
      const now = Date.now();
      await a.idempotency.claim(released, 'h', now);
      await a.idempotency.release(released);
      expect(await b.idempotency.claim(released, 'h', now)).toEqual({ kind: 'new' });
      const abandoned = id('k');
      await a.idempotency.claim(abandoned, 'h', now);
      expect(await b.idempotency.claim(abandoned, 'h', now + 1_000)).toEqual({ kind: 'in-progress' });
      expect(await b.idempotency.claim(abandoned, 'h', now + 61_000)).toEqual({ kind: 'new' });
    });

    it('#11.2: answers older than the retention are purged; younger ones stay', async () => {
      const old = id('k');
      const young = id('k');
      const now = Date.now();
      for (const [key, at] of [
        [old, now - 8 * 24 * 3600_000],
        [young, now],
      ] as const) {
        await a.idempotency.claim(key, 'h', at);
        await a.idempotency.complete(key, 200, {}, at);
      }
      expect(await b.idempotency.purge(now)).toBeGreaterThanOrEqual(1);
      expect((await a.idempotency.claim(old, 'h', now)).kind).toBe('new');
      expect((await a.idempotency.claim(young, 'h', now)).kind).toBe('done');
    });
  });

  describe('LeaseStore', () => {
    it('#11.2: two instances acquiring the same names at once split them: each name leased to exactly one', async () => {
      const names = Array.from({ length: 40 }, () => id('n'));
      const now = Date.now();
      const [byA, byB] = await Promise.all([
        a.leases.acquire(names, 'owner-a', now + 10_000, now),
        b.leases.acquire([...names].reverse(), 'owner-b', now + 10_000, now),
      ]);
      expect(byA.filter((name) => byB.includes(name))).toEqual([]);
      expect([...byA, ...byB].sort()).toEqual([...names].sort());
    });

    it('#11.2: a lease is taken again once it expires or is released, and renewed by its owner', async () => {
      const [expiring, released] = [id('n'), id('n')];
      const now = Date.now();
      expect(await a.leases.acquire([expiring, released], 'owner-a', now + 1_000, now)).toHaveLength(2);
      expect(await b.leases.acquire([expiring, released], 'owner-b', now + 1_000, now + 500)).toEqual([]);
      expect(await a.leases.acquire([expiring], 'owner-a', now + 5_000, now + 500)).toEqual([expiring]);
      await a.leases.release(released, 'owner-a');
      expect(await b.leases.acquire([released], 'owner-b', now + 1_000, now + 600)).toEqual([released]);
      expect(await b.leases.acquire([expiring], 'owner-b', now + 9_000, now + 5_001)).toEqual([expiring]);
    });
  });

  describe('RateCounterStore', () => {
    it('#11.2/#16.10: hits from two instances add up in one window, exactly, under concurrency', async () => {
      const key = id('ip');
      const counts = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).rateCounters.hit(key, 60_000)));
      expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(await a.rateCounters.hit(key, 120_000)).toBe(1);
      expect(await b.rateCounters.hit(id('ip'), 60_000)).toBe(1);
    });
  });
}
