import { Client } from 'pg';
import { APPEND_LOCK_KEY, ConcurrencyError, createEventStore, PostgresEventStore, RecordedEvent } from '@recert/eventstore';
import { loadConfig } from '@recert/kernel';
import { dropSchema, PG_TEST_URL, postgresUnavailableReason, uniqueName } from '../support/postgres';
import { collect, describeEventStoreContract, newEvent, uniqueStream, waitFor } from './event-store.contract';
import { runAppender } from './fixtures/run-appender';

/**
 * The PostgreSQL half of the contract suite, plus what only several processes on one server can show: each run
 * in a schema of its own, dropped at the end. Skipped, with one line saying why, when the server does not answer.
 */
const unavailable = postgresUnavailableReason();
if (unavailable) process.stdout.write(`PostgreSQL contract suite SKIPPED: ${unavailable}\n`);

function urlFor(schema: string): string {
  const url = new URL(PG_TEST_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
}

(unavailable ? describe.skip : describe)('PostgreSQL event store', () => {
  const schema = uniqueName('contract');
  let store: PostgresEventStore;

  beforeAll(async () => {
    store = new PostgresEventStore({ connectionString: urlFor(schema), pollIntervalMs: 50 });
    await store.ready();
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await dropSchema(schema);
  }, 60_000);

  // Through the factory production uses (R54), on this adapter.
  describeEventStoreContract('postgres', () => ({
    store: createEventStore(loadConfig({ EVENTSTORE_CONNECTION_STRING: urlFor(schema) }), store),
    adapter: store,
  }));

  describe('group commit (#11.4)', () => {
    it('appends made at once share a commit yet are judged one by one: of two clashing, exactly one is stored; a retry is a duplicate', async () => {
      const [clash, fresh, retried] = [uniqueStream(), uniqueStream(), uniqueStream()];
      await store.append(clash, [newEvent('A')], { expectedRevision: 'no_stream' });
      const stored = newEvent('D');
      await store.append(retried, [stored], { expectedRevision: 'no_stream' });
      const [b, c, many, again] = await Promise.allSettled([
        store.append(clash, [newEvent('B')], { expectedRevision: 0 }),
        store.append(clash, [newEvent('C')], { expectedRevision: 0 }),
        store.append(fresh, [newEvent('A'), newEvent('B'), newEvent('C')], { expectedRevision: 'no_stream' }),
        store.append(retried, [stored], { expectedRevision: 'no_stream' }),
      ]);
      const clashing = [b, c].map((r) => r?.status);
      expect(clashing.sort()).toEqual(['fulfilled', 'rejected']);
      expect(([b, c].find((r) => r?.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
      expect((await store.readStream(clash)).map((e) => e.revision)).toEqual([0, 1]);
      expect(many?.status === 'fulfilled' && many.value.positions).toHaveLength(3);
      expect(again?.status === 'fulfilled' && again.value.duplicate).toBe(true);
      expect(await store.readStream(retried)).toHaveLength(1);
      // The rows written by the group carry one transaction id: one commit, one WAL flush.
      const client = new Client({ connectionString: PG_TEST_URL });
      await client.connect();
      const transactions = await client
        .query<{
          n: string;
        }>(`SELECT count(DISTINCT xmin::text) AS n FROM ${schema}.events WHERE stream = $1 OR (stream = $2 AND revision = 1)`, [
          fresh,
          clash,
        ])
        .finally(() => client.end());
      expect(Number(transactions.rows[0]?.n)).toBe(1);
    });
  });

  describe('expected revisions sent as numbers (#11.4, migration 3)', () => {
    it('a negative expected revision is never taken for one of the named cases (-1 no stream, -2 any, -3 exists): it matches nothing', async () => {
      const [fresh, existing] = [uniqueStream(), uniqueStream()];
      await store.append(existing, [newEvent('A')], { expectedRevision: 'no_stream' });
      for (const [stream, expected] of [
        [fresh, -1],
        [fresh, -2],
        [existing, -2],
        [existing, -3],
        [existing, 0.5],
      ] as const) {
        await expect(store.append(stream, [newEvent('B')], { expectedRevision: expected })).rejects.toBeInstanceOf(ConcurrencyError);
      }
      expect(await store.readStream(fresh)).toEqual([]);
      expect(await store.readStream(existing)).toHaveLength(1);
    });
  });

  describe('schema migrations (#11.1)', () => {
    it('two processes starting at once on an empty schema both come up, and each migration is applied once', async () => {
      const fresh = uniqueName('migrate');
      const stores = [0, 1, 2].map(() => new PostgresEventStore({ connectionString: urlFor(fresh), poolSize: 2 }));
      try {
        await Promise.all(stores.map((s) => s.ready()));
        const applied = await (stores[0] as PostgresEventStore).migrations();
        expect(applied).toEqual([1, 2, 3, 4, 5]);
        // Each can append at once: the schema is complete for all of them.
        const results = await Promise.all(stores.map((s, i) => s.append(`m-${i}`, [newEvent('A')], { expectedRevision: 'no_stream' })));
        expect(results.map((r) => r.positions[0]).sort()).toEqual([1, 2, 3]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await dropSchema(fresh);
      }
    }, 60_000);
  });

  describe('the global position never lets a reader skip a late commit (#11.1, ADR 0007)', () => {
    // The held append runs the function the store runs (append_one), and the one of the previous release
    // (append_events), as a process not yet upgraded would: both take the same lock.
    const heldAppends = [
      [
        'append_one',
        (s: string) => `SELECT outcome, ARRAY[first_position] AS positions FROM ${s}.append_one($1, -1, $2, $3, $4, $5, now())`,
      ],
      ['append_events', (s: string) => `SELECT outcome, positions FROM ${s}.append_events($1, 'no_stream', $2, $3, $4, $5, now())`],
    ] as const;
    it.each(heldAppends)(
      'an append held open before commit (%s) holds back every later append; once it commits, readers see it first, then the rest in order',
      async (_name, heldSql) => {
        // A second store (its own pool) stands for another process.
        const other = new PostgresEventStore({ connectionString: urlFor(schema), pollIntervalMs: 50 });
        const slowClient = new Client({ connectionString: PG_TEST_URL });
        await slowClient.connect();
        const category = `h${uniqueName('x').slice(2, 12)}`;
        const head = await store.headPosition();
        const received: RecordedEvent[] = [];
        const subscription = store.subscribe(
          { after: head, filter: { streamPrefixes: [`${category}-`] } },
          { onEvents: (events) => void received.push(...events) },
        );
        try {
          // The slow transaction: its append has run (positions given, rows written) but it has not committed.
          await slowClient.query('BEGIN');
          const slow = newEvent('Slow');
          const held = await slowClient.query<{ outcome: string; positions: string[] }>(heldSql(schema), [
            `${category}-slow`,
            [slow.id],
            [slow.type],
            [JSON.stringify(slow.data)],
            [JSON.stringify(slow.metadata)],
          ]);
          expect(held.rows[0]?.outcome).toBe('appended');

          // Meanwhile two "processes" append to other streams.
          const fast = [
            store.append(`${category}-a`, [newEvent('Fast')], { expectedRevision: 'no_stream' }),
            other.append(`${category}-b`, [newEvent('Fast'), newEvent('Fast')], { expectedRevision: 'no_stream' }),
          ];
          // Wait until both are queued behind the slow one's append lock (a condition, not a delay).
          await until(async () => {
            const r = await slowClient.query<{ n: string }>(
              `SELECT count(*) AS n FROM pg_locks
              WHERE locktype = 'advisory' AND classid = ${APPEND_LOCK_KEY} AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
            );
            return Number(r.rows[0]?.n ?? 0) >= 2;
          });

          // While the slow one is open, no reader sees anything past the head it started from.
          expect((await store.readAll({ after: head, filter: { streamPrefixes: [`${category}-`] } })).length).toBe(0);
          expect(await other.headPosition()).toBe(head);
          expect(received).toEqual([]);

          await slowClient.query('COMMIT');
          const results = await Promise.all(fast);
          await waitForCount(() => received.length, 4);

          const slowPosition = Number(held.rows[0]?.positions[0]);
          expect(received.map((e) => e.type)).toEqual(['Slow', 'Fast', 'Fast', 'Fast']);
          expect(received[0]?.position).toBe(slowPosition);
          const positions = received.map((e) => e.position);
          expect([...positions].sort((a, b) => a - b)).toEqual(positions);
          expect(new Set(positions).size).toBe(4);
          for (const result of results) for (const position of result.positions) expect(position).toBeGreaterThan(slowPosition);
          // readAll from the start agrees with the live subscription.
          const all = await store.readAll({ after: head, filter: { streamPrefixes: [`${category}-`] } });
          expect(all.map((e) => e.position)).toEqual(positions);
        } finally {
          await slowClient.query('ROLLBACK').catch(() => undefined);
          await slowClient.end();
          await subscription.stop();
          await other.close();
        }
      },
      60_000,
    );
  });

  describe('several processes on one schema (#11.1)', () => {
    it('two appender processes on one stream: expected revisions hold, nothing lost or doubled; this process, subscribed, sees every event once in order', async () => {
      const stream = uniqueStream('counter');
      const head = await store.headPosition();
      const seen: RecordedEvent[] = [];
      const subscription = store.subscribe(
        { after: head, filter: { streamPrefixes: [stream] } },
        { onEvents: (events) => void seen.push(...events) },
      );
      const [a, b] = await Promise.all([
        runAppender([urlFor(schema), stream, '100', 'a']),
        runAppender([urlFor(schema), stream, '100', 'b']),
      ]);

      const events = await store.readStream(stream);
      expect(events).toHaveLength(200);
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect([...a.acks, ...b.acks].sort((x, y) => x - y)).toEqual(events.map((e) => e.position));
      expect([...a.ids, ...b.ids].sort()).toEqual(events.map((e) => e.id).sort());
      for (const tag of ['a', 'b']) {
        expect(events.filter((e) => e.data['tag'] === tag).map((e) => e.data['n'])).toEqual(Array.from({ length: 100 }, (_, i) => i));
      }
      await waitForCount(() => seen.length, 200);
      await subscription.stop();
      expect(seen.map((e) => e.position)).toEqual(events.map((e) => e.position));
    }, 120_000);

    it('a subscriber catching up from the start while two processes append sees each event exactly once, in position order', async () => {
      const category = `p${uniqueName('x').slice(2, 12)}`;
      const [a, b] = [`${category}-a`, `${category}-b`];
      const appenders = Promise.all([runAppender([urlFor(schema), a, '60', 'a']), runAppender([urlFor(schema), b, '60', 'b'])]);
      const received = await collect(store, 0, 120, {
        filter: { streamPrefixes: [`${category}-`] },
        timeoutMs: 90_000,
        whileRunning: () => appenders.then(() => undefined),
      });
      const stored = await store.readAll({ after: 0, maxCount: 100_000, filter: { streamPrefixes: [`${category}-`] } });
      expect(stored).toHaveLength(120);
      expect(received.map((e) => e.position)).toEqual(stored.map((e) => e.position));
    }, 120_000);

    it('a refused append (clash) from another process stores nothing and names the actual revision', async () => {
      const stream = uniqueStream();
      const other = new PostgresEventStore({ connectionString: urlFor(schema) });
      try {
        await store.append(stream, [newEvent('A')], { expectedRevision: 'no_stream' });
        const error = await other.append(stream, [newEvent('B')], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect((error as ConcurrencyError).actual).toBe(0);
        expect(await store.readStream(stream)).toHaveLength(1);
      } finally {
        await other.close();
      }
    });
  });

  describe('durability (#11 done-when)', () => {
    it('a process killed with SIGKILL during appends loses no acknowledged event, and stores none twice', async () => {
      const stream = uniqueStream('durable');
      let acknowledged = 0;
      const result = await runAppender([urlFor(schema), stream, '100000', 'k'], (_position, kill) => {
        acknowledged += 1;
        if (acknowledged === 40) kill();
      });
      expect(result.signal).toBe('SIGKILL');
      expect(result.ids.length).toBeGreaterThanOrEqual(40);

      // A new connection, as a restarted process would open.
      const reopened = new PostgresEventStore({ connectionString: urlFor(schema) });
      const stored = await reopened.readStream(stream);
      await reopened.close();
      const count = new Map<string, number>();
      for (const event of stored) count.set(event.id, (count.get(event.id) ?? 0) + 1);
      result.ids.forEach((id, i) => {
        expect(count.get(id)).toBe(1);
        expect(stored.find((e) => e.id === id)?.position).toBe(result.acks[i]);
      });
      // At most the append in flight when the signal landed is stored without its acknowledgement.
      expect(stored.length - result.ids.length).toBeLessThanOrEqual(1);
    }, 120_000);
  });
});

/** Polls an asynchronous condition until it holds (generous deadline: the machine may be busy). */
async function until(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function waitForCount(count: () => number, expected: number): Promise<void> {
  await waitFor(() => count() >= expected, 60_000);
}
