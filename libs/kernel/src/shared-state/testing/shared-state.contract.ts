import { randomBytes } from 'node:crypto';
import { Lease, SharedState, StaleLeaseError } from '../shared-state.ports';

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
      // Stale once it is older than the TTL by the store's clock (here a TTL of 1 ms, so no test waits a minute).
      expect(await eventuallyNew(() => b.idempotency.claim(abandoned, 'h', Date.now(), 1))).toEqual({ kind: 'new' });
    });

    it("R56 (#24.4): a claim ages on the store's clock: a process whose clock runs 61 s ahead does not take a live claim", async () => {
      const key = id('k');
      expect(await a.idempotency.claim(key, 'h', Date.now())).toEqual({ kind: 'new' });
      const ahead = Date.now() + 61_000;
      const skewed = jest.spyOn(Date, 'now').mockImplementation(() => ahead);
      try {
        expect(await b.idempotency.claim(key, 'h', Date.now())).toEqual({ kind: 'in-progress' });
      } finally {
        skewed.mockRestore();
      }
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
    const names = (leases: readonly { name: string }[]): string[] => leases.map((lease) => lease.name);

    it('#11.2: two instances acquiring the same names at once split them: each name leased to exactly one', async () => {
      const wanted = Array.from({ length: 40 }, () => id('n'));
      const [leasedA, leasedB] = await Promise.all([
        a.leases.acquire(wanted, 'owner-a', 10_000),
        b.leases.acquire([...wanted].reverse(), 'owner-b', 10_000),
      ]);
      const [byA, byB] = [names(leasedA), names(leasedB)];
      expect(byA.filter((name) => byB.includes(name))).toEqual([]);
      expect([...byA, ...byB].sort()).toEqual([...wanted].sort());
    });

    it('#22.1: overlapping acquisitions in opposite orders, many at once, never deadlock and lease each name once; a name given twice counts once', async () => {
      for (let round = 0; round < 8; round += 1) {
        const wanted = Array.from({ length: 30 }, () => id('n'));
        const shuffled = [...wanted].sort(() => Math.random() - 0.5);
        const results = await Promise.all([
          a.leases.acquire(wanted, `owner-a-${round}`, 10_000),
          b.leases.acquire([...wanted].reverse(), `owner-b-${round}`, 10_000),
          a.leases.acquire(shuffled, `owner-c-${round}`, 10_000),
          b.leases.acquire([...shuffled].reverse(), `owner-d-${round}`, 10_000),
        ]);
        const all = names(results.flat());
        expect(new Set(all).size).toBe(all.length);
        expect([...all].sort()).toEqual([...wanted].sort());
      }
      const twice = id('n');
      expect(names(await a.leases.acquire([twice, twice], 'owner-e', 10_000))).toEqual([twice]);
    });

    it('#11.2: a lease is taken again once it expires or is released, and renewed by its owner', async () => {
      const [expiring, released, renewed] = [id('n'), id('n'), id('n')];
      expect(await a.leases.acquire([released, renewed], 'owner-a', 60_000)).toHaveLength(2);
      expect(await b.leases.acquire([released, renewed], 'owner-b', 60_000)).toEqual([]);
      expect(names(await a.leases.acquire([renewed], 'owner-a', 60_000))).toEqual([renewed]);
      await a.leases.release(released, 'owner-a');
      expect(names(await b.leases.acquire([released], 'owner-b', 60_000))).toEqual([released]);
      // A lease of 1 ms of the store's time: another owner takes it once the store's clock has passed it.
      expect(await a.leases.acquire([expiring], 'owner-a', 1)).toHaveLength(1);
      expect(names(await eventuallyNonEmpty(() => b.leases.acquire([expiring], 'owner-b', 60_000)))).toEqual([expiring]);
    });

    it("R43: releasing by owner hands back every lease of that owner, on every instance, and no other owner's", async () => {
      const [first, second, others] = [id('n'), id('n'), id('n')];
      const owner = id('owner');
      expect(await a.leases.acquire([first, second], owner, 60_000)).toHaveLength(2);
      expect(names(await b.leases.acquire([others], 'owner-b', 60_000))).toEqual([others]);
      expect(await b.leases.releaseOwner(owner)).toBe(2);
      expect(names(await b.leases.acquire([first, second, others], 'owner-c', 60_000))).toEqual([first, second]);
      expect(await a.leases.releaseOwner(owner)).toBe(0);
    });

    it("R56 (#24.4): lease time is the store's: an instance whose process clock runs 12 s ahead cannot take a 10 s lease another holds", async () => {
      const name = id('n');
      expect(names(await a.leases.acquire([name], 'owner-a', 10_000))).toEqual([name]);
      const ahead = Date.now() + 12_000;
      const skewed = jest.spyOn(Date, 'now').mockImplementation(() => ahead);
      try {
        expect(await b.leases.acquire([name], 'owner-b', 10_000)).toEqual([]);
      } finally {
        skewed.mockRestore();
      }
    });

    it('R56 (#24.4): the version is a fencing token: once the lease is renewed or taken by another, the old version no longer holds', async () => {
      const name = id('n');
      const [first] = await a.leases.acquire([name], 'owner-a', 60_000);
      expect(first && (await b.leases.holds(first, 'owner-a'))).toBe(true);
      // Renewed by its owner (a second run of the same owner, say): the first version is stale.
      const [renewed] = await a.leases.acquire([name], 'owner-a', 1);
      expect(renewed && first && renewed.version > first.version).toBe(true);
      expect(first && (await b.leases.holds(first, 'owner-a'))).toBe(false);
      // Run out and taken by another: the old holder's version and owner are both refused; the new one holds.
      const [taken] = await eventuallyNonEmpty(() => b.leases.acquire([name], 'owner-b', 60_000));
      expect(renewed && (await a.leases.holds(renewed, 'owner-a'))).toBe(false);
      expect(taken && (await a.leases.holds(taken, 'owner-b'))).toBe(true);
      // Released and taken again: versions keep growing, so no holder from before matches by chance.
      await b.leases.release(name, 'owner-b');
      const [again] = await a.leases.acquire([name], 'owner-a', 60_000);
      expect(again && taken && again.version > taken.version).toBe(true);
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
    it("R56 (#24.4): a stale holder's attempt record (its lease since taken by another) is refused and stores nothing; the new holder's stands", async () => {
      const endpointId = id('ep');
      const pending = delivery(endpointId, 'h1', 41);
      await a.webhooks.ingest({ registered: [endpoint(endpointId, 40)], disabled: [], deliveries: [pending] }, null);
      const name = id('webhook-lease');
      // The old holder's lease runs out (1 ms of the store's time) and another sender takes it.
      const [stale] = await a.leases.acquire([name], 'sender-a', 1);
      const [current] = await eventuallyNonEmpty(() => b.leases.acquire([name], 'sender-b', 60_000));
      const at = '2026-01-02T00:00:00.000Z';
      const outcome = (status: number) => ({
        deliveryId: pending.id,
        endpointId,
        attempt: 1,
        at,
        firstAttemptAt: at,
        status,
        error: status === 204 ? null : `HTTP ${status}`,
        state: status === 204 ? ('delivered' as const) : ('pending' as const),
        nextAttemptAt: status === 204 ? null : '2026-01-02T00:01:00.000Z',
      });
      await expect(a.webhooks.recordAttempt(outcome(500), { lease: stale as Lease, owner: 'sender-a' })).rejects.toBeInstanceOf(
        StaleLeaseError,
      );
      expect(await b.webhooks.delivery(pending.id)).toMatchObject({ state: 'pending', attempts: 0, last_status: null });
      await b.webhooks.recordAttempt(outcome(204), { lease: current as Lease, owner: 'sender-b' });
      expect(await a.webhooks.delivery(pending.id)).toMatchObject({ state: 'delivered', attempts: 1, last_status: 204 });
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

/** Calls `attempt` until it answers a lease (the store's clock moved past the one before); bounded, not timed. */
async function eventuallyNonEmpty<T>(attempt: () => Promise<T[]>): Promise<T[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await attempt();
    if (result.length > 0 || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function eventuallyNew<T extends { kind: string }>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await attempt();
    if (result.kind === 'new' || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
