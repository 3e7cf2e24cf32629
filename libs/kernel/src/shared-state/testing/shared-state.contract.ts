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

    it('R61: storedKeys pages the stored keys by subject (erased ones left out); replaceKey swaps a key only if it is unchanged', async () => {
      const prefix = id('rot');
      const keys = [randomBytes(32), randomBytes(32), randomBytes(32)];
      await Promise.all(keys.map((key, i) => a.keys.keyOrCreate(`${prefix}-${i}`, key)));
      await a.keys.erase(`${prefix}-1`, new Date());
      const mine = async (after: string, limit: number) =>
        (await b.keys.storedKeys(after, limit)).filter((entry) => entry.subject.startsWith(prefix));
      expect(await mine(prefix, 10_000)).toEqual([
        { subject: `${prefix}-0`, key: keys[0] },
        { subject: `${prefix}-2`, key: keys[2] },
      ]);
      expect((await b.keys.storedKeys(`${prefix}-0`, 1))[0]?.subject).not.toBe(`${prefix}-0`);
      const next = randomBytes(40);
      expect(await b.keys.replaceKey(`${prefix}-0`, randomBytes(32), next)).toBe(false);
      expect(await b.keys.replaceKey(`${prefix}-0`, keys[0] as Buffer, next)).toBe(true);
      expect(await a.keys.key(`${prefix}-0`)).toEqual(next);
      expect(await b.keys.replaceKey(`${prefix}-1`, keys[1] as Buffer, next)).toBe(false);
      expect(await a.keys.key(`${prefix}-1`)).toBeNull();
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

    it("R43: releasing by owner hands back every lease of that owner, on every instance, and no other owner's", async () => {
      const [first, second, others] = [id('n'), id('n'), id('n')];
      const now = Date.now();
      const owner = id('owner');
      expect(await a.leases.acquire([first, second], owner, now + 60_000, now)).toHaveLength(2);
      expect(await b.leases.acquire([others], 'owner-b', now + 60_000, now)).toEqual([others]);
      expect(await b.leases.releaseOwner(owner)).toBe(2);
      expect(await b.leases.acquire([first, second, others], 'owner-c', now + 60_000, now)).toEqual([first, second]);
      expect(await a.leases.releaseOwner(owner)).toBe(0);
    });
  });

  describe('WebhookStateStore', () => {
    const endpoint = (endpointId: string, position: number): Parameters<SharedState['webhooks']['ingest']>[0]['registered'][number] => ({
      id: endpointId,
      url: 'http://127.0.0.1:9/hook',
      events: '["certification.earned"]',
      secret: '{"sealed":true}',
      status: 'active',
      registered_at: '2026-01-01T00:00:00.000Z',
      registered_position: position,
      failing_since: null,
      disabled_reason: null,
    });
    const delivery = (
      endpointId: string,
      holding: string,
      position: number,
    ): Parameters<SharedState['webhooks']['ingest']>[0]['deliveries'][number] => ({
      id: id('d'),
      endpoint_id: endpointId,
      event_id: id('e'),
      type: 'certification.earned',
      holding,
      position,
      payload: '{}',
    });

    it('R43: a batch ingested on one instance (twice: the repeat changes nothing) is seen on the other; the cursor never goes back', async () => {
      const endpointId = id('ep');
      const first = delivery(endpointId, 'h1', 11);
      const batch = { registered: [endpoint(endpointId, 10)], disabled: [], deliveries: [first] };
      const before = await a.webhooks.cursor();
      await a.webhooks.ingest(batch, before + 20);
      await b.webhooks.ingest(batch, before + 20);
      await b.webhooks.ingest({ registered: [], disabled: [], deliveries: [] }, before + 5);
      expect(await a.webhooks.cursor()).toBe(before + 20);
      expect(await b.webhooks.endpoint(endpointId)).toMatchObject({ status: 'active', registered_position: 10 });
      expect(await b.webhooks.deliveries(endpointId, 10)).toMatchObject([{ id: first.id, state: 'pending', position: 11, log: [] }]);
    });

    it('R36/R43: only the first pending delivery of a holding is due; an attempt recorded on one instance moves the queue for all', async () => {
      const endpointId = id('ep');
      const [d1, d2, other] = [delivery(endpointId, 'h1', 21), delivery(endpointId, 'h1', 22), delivery(endpointId, 'h2', 23)];
      await a.webhooks.ingest({ registered: [endpoint(endpointId, 20)], disabled: [], deliveries: [d1, d2, other] }, null);
      const dueIds = async (): Promise<string[]> =>
        (await b.webhooks.due('2026-01-02T00:00:00.000Z', 1000)).filter((d) => d.endpoint_id === endpointId).map((d) => d.id);
      expect(await dueIds()).toEqual([d1.id, other.id]);
      const at = '2026-01-02T00:00:00.000Z';
      const base = { endpointId, attempt: 1, at, firstAttemptAt: at };
      expect(
        await a.webhooks.recordAttempt({
          ...base,
          deliveryId: d1.id,
          status: 500,
          error: 'HTTP 500',
          state: 'pending',
          nextAttemptAt: '2026-01-02T00:01:00.000Z',
        }),
      ).toBe(at);
      expect(await dueIds()).toEqual([other.id]);
      expect(
        await b.webhooks.recordAttempt({
          ...base,
          deliveryId: d1.id,
          attempt: 2,
          status: 204,
          error: null,
          state: 'delivered',
          nextAttemptAt: null,
        }),
      ).toBeNull();
      expect(await dueIds()).toEqual([d2.id, other.id]);
      expect(await a.webhooks.delivery(d1.id)).toMatchObject({ state: 'delivered', attempts: 2, delivered_at: at, last_status: 204 });
      const log = (await b.webhooks.deliveries(endpointId, 10)).find((d) => d.id === d1.id)?.log;
      expect(log).toEqual([
        { attempt: 1, at, status: 500, error: 'HTTP 500' },
        { attempt: 2, at, status: 204, error: null },
      ]);
    });

    it('R37/R38/R43: a disable and a redelivery made on one instance hold on the other', async () => {
      const endpointId = id('ep');
      const d1 = delivery(endpointId, 'h1', 31);
      await a.webhooks.ingest({ registered: [endpoint(endpointId, 30)], disabled: [], deliveries: [d1] }, null);
      await a.webhooks.recordAttempt({
        deliveryId: d1.id,
        endpointId,
        attempt: 1,
        at: '2026-01-02T00:00:00.000Z',
        firstAttemptAt: '2026-01-01T00:00:00.000Z',
        status: null,
        error: 'refused',
        state: 'failed',
        nextAttemptAt: null,
      });
      expect(await b.webhooks.redeliver('another-endpoint', d1.id)).toBeUndefined();
      expect(await b.webhooks.redeliver(endpointId, d1.id)).toMatchObject({
        state: 'pending',
        first_attempt_at: null,
        next_attempt_at: null,
      });
      await b.webhooks.ingest({ registered: [], disabled: [{ endpointId, reason: 'admin' }], deliveries: [] }, null);
      expect(await a.webhooks.endpoint(endpointId)).toMatchObject({ status: 'disabled', disabled_reason: 'admin' });
      expect((await a.webhooks.due('2026-01-03T00:00:00.000Z', 1000)).filter((d) => d.endpoint_id === endpointId)).toEqual([]);
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
