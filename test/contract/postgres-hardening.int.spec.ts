import { Client } from 'pg';
import { APPEND_LOCK_KEY, EventStoreUnavailableError, InvalidStoreInputError, PostgresEventStore } from '@recert/eventstore';
import { PostgresSharedState } from '@recert/kernel';
import { createDatabase, dropDatabase, postgresUnavailableReason, uniqueName } from '../support/postgres';
import { newEvent, uniqueStream } from './event-store.contract';

/**
 * The PostgreSQL adapters in production conditions (#24): a database whose defaults are not ours, a held append lock,
 * bad input inside a group commit. Each case works in a database of its own, dropped at the end.
 */
const unavailable = postgresUnavailableReason();
if (unavailable) process.stdout.write(`PostgreSQL hardening suite SKIPPED: ${unavailable}\n`);

(unavailable ? describe.skip : describe)('PostgreSQL in production conditions (#24)', () => {
  const databases: string[] = [];
  const freshDatabase = async (): Promise<string> => {
    const name = uniqueName('recert_hard');
    databases.push(name);
    return createDatabase(name);
  };
  afterAll(async () => {
    for (const name of databases) await dropDatabase(name);
  }, 60_000);

  it('R57: on a database whose default isolation is REPEATABLE READ, concurrent appends of three processes all succeed, each position once', async () => {
    const url = await freshDatabase();
    const admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET default_transaction_isolation = 'repeatable read'`);
    await admin.end();
    const stores: PostgresEventStore[] = [];
    try {
      // One after the other: the appends, not the migrations, are what runs at once.
      for (let i = 0; i < 3; i += 1) {
        stores.push(new PostgresEventStore({ connectionString: url, poolSize: 4 }));
        await stores[i]?.ready();
      }
      const results = await Promise.all(
        stores.flatMap((store) =>
          Array.from({ length: 15 }, () =>
            store.append(uniqueStream('iso'), [newEvent('A'), newEvent('B')], { expectedRevision: 'no_stream' }),
          ),
        ),
      );
      const positions = results.flatMap((result) => result.positions).sort((x, y) => x - y);
      expect(positions).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
      // The shared state's connections are pinned too: a claim is still taken exactly once.
      const [a, b] = await Promise.all([PostgresSharedState.open(url), PostgresSharedState.open(url)]);
      try {
        const lookups = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).idempotency.claim('k', 'h', Date.now())));
        expect(lookups.filter((lookup) => lookup.kind === 'new')).toHaveLength(1);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  }, 90_000);

  it("R58: in one group commit, an append with bad input (a NUL in text, an id twice) fails alone and as the caller's fault; the others commit", async () => {
    const store = new PostgresEventStore({ connectionString: await freshDatabase() });
    try {
      await store.append(uniqueStream('warm'), [newEvent('A')], { expectedRevision: 'no_stream' });
      const twice = newEvent('A');
      const good = Array.from({ length: 6 }, () => uniqueStream('good'));
      // All in one tick: they go to PostgreSQL as one statement (group commit).
      const settled = await Promise.allSettled([
        ...good.slice(0, 3).map((stream) => store.append(stream, [newEvent('A')], { expectedRevision: 'no_stream' })),
        store.append(`${uniqueStream('bad')}\u0000`, [newEvent('A')], { expectedRevision: 'no_stream' }),
        store.append(uniqueStream('bad'), [twice, twice], { expectedRevision: 'no_stream' }),
        store.append(uniqueStream('bad'), [newEvent('Nul\u0000Type')], { expectedRevision: 'no_stream' }),
        ...good.slice(3).map((stream) => store.append(stream, [newEvent('A')], { expectedRevision: 'no_stream' })),
      ]);
      const [fulfilled, rejected] = [settled.slice(0, 3).concat(settled.slice(6)), settled.slice(3, 6)];
      expect(fulfilled.map((result) => result.status)).toEqual(Array(6).fill('fulfilled'));
      for (const result of rejected) {
        expect(result.status).toBe('rejected');
        const reason = (result as PromiseRejectedResult).reason as Error;
        expect(reason).toBeInstanceOf(InvalidStoreInputError);
        expect(reason).not.toBeInstanceOf(EventStoreUnavailableError);
      }
      for (const stream of good) expect(await store.readStream(stream)).toHaveLength(1);
      // Positions still follow each other without a gap.
      const all = await store.readAll({ after: 0 });
      expect(all.map((event) => event.position)).toEqual(Array.from({ length: 7 }, (_, i) => i + 1));
    } finally {
      await store.close();
    }
  }, 60_000);

  it('R55: while another session holds the append lock, an append fails within its deadline as unavailable, the queue is bounded, the write probe fails; released, all works again', async () => {
    const url = await freshDatabase();
    const store = new PostgresEventStore({ connectionString: url, deadlines: { lockTimeoutMs: 200 }, maxPendingAppends: 5 });
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      await store.append(uniqueStream('before'), [newEvent('A')], { expectedRevision: 'no_stream' });
      await store.ping();
      // An operator's open transaction that appended (or just took the lock) and went to lunch.
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [APPEND_LOCK_KEY, 'eventstore']);

      // Seven appends in one tick: five fill the queue (its bound), two more are refused at once, unsent.
      const results = await Promise.all(
        Array.from({ length: 7 }, () =>
          store.append(uniqueStream('held'), [newEvent('A')], { expectedRevision: 'no_stream' }).catch((error: unknown) => error),
        ),
      );
      for (const refused of results.slice(5)) {
        expect(refused).toBeInstanceOf(EventStoreUnavailableError);
        expect((refused as Error).message).toMatch(/appends already wait/);
      }
      // The five sent wait for the lock no longer than lock_timeout: unavailable (503), not a hang.
      for (const failed of results.slice(0, 5)) {
        expect(failed).toBeInstanceOf(EventStoreUnavailableError);
        expect(((failed as Error).cause as { code?: string }).code).toBe('55P03');
      }
      await expect(store.ping()).rejects.toBeInstanceOf(EventStoreUnavailableError);

      await holder.query('ROLLBACK');
      await store.ping();
      const after = await store.append(uniqueStream('after'), [newEvent('A')], { expectedRevision: 'no_stream' });
      expect(after.positions).toEqual([2]);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await store.close();
    }
  }, 60_000);
});
