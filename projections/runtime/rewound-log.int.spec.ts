import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EventStore, NewEvent, PostgresEventStore, SqliteEventStore } from '@recert/eventstore';
import { dropSchema, PG_TEST_URL, postgresUnavailableReason, uniqueName } from '../../test/support/postgres';
import { configureReadDb } from './read-db';
import { SeenProjection } from './testing/seen-projection';
import { ProjectionRunner } from './projection-runner';

const event = (type: string, n: number): NewEvent => ({
  id: randomUUID(),
  type,
  data: { n },
  metadata: { correlationId: 'c', causationId: 'c', actor: 'spec', occurredAt: '2026-01-01T00:00:00.000Z' },
});

/** One event per stream, so the tail can be cut anywhere; every third is of a type the projection skips. */
async function append(store: EventStore, ns: readonly number[]): Promise<void> {
  for (const n of ns) await store.append(`seen-${n}`, [event(n % 3 === 2 ? 'Other' : 'Seen', n)], { expectedRevision: 'no_stream' });
}

interface Rig {
  store: PostgresEventStore | SqliteEventStore;
  /** What a restore to `position` leaves: the rows after it gone, as if never written. */
  cutAfter(position: number): Promise<void>;
  close(): Promise<void>;
}

const pgReason = postgresUnavailableReason();
if (pgReason) process.stdout.write(`rewound log on PostgreSQL SKIPPED: ${pgReason}\n`);

const rigs: [string, () => Promise<Rig>][] = [
  [
    'SQLite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'recert-rewound-'));
      const file = join(dir, 'events.db');
      const store = new SqliteEventStore({ file, pollIntervalMs: 10 });
      return {
        store,
        cutAfter: async (position) => {
          const raw = new Database(file);
          raw.prepare('DELETE FROM events WHERE position > ?').run(position);
          raw.close();
        },
        close: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  ...(pgReason
    ? []
    : ([
        [
          'PostgreSQL',
          async () => {
            const schema = uniqueName('rewound');
            const store = new PostgresEventStore({ connectionString: PG_TEST_URL, schema, pollIntervalMs: 20 });
            await store.ready();
            return {
              store,
              cutAfter: async (position) => {
                const client = new Client({ connectionString: PG_TEST_URL });
                await client.connect();
                await client.query(`DELETE FROM ${schema}.events WHERE position > $1`, [position]);
                await client.end();
              },
              close: async () => {
                await store.close();
                await dropSchema(schema);
              },
            };
          },
        ],
      ] as [string, () => Promise<Rig>][])),
];

describe.each(rigs)('a rewound log on %s (#24.2)', (_name, open) => {
  let rig: Rig;
  let dir: string;
  const closing: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    rig = await open();
    dir = mkdtempSync(join(tmpdir(), 'recert-rewound-read-'));
  });

  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const readDb = (name: string): Database.Database => {
    const db = configureReadDb(new Database(join(dir, `${name}.db`)));
    closing.push(async () => {
      db.close();
    });
    return db;
  };
  const seen = (db: Database.Database): number[] =>
    db
      .prepare<[], { n: number }>('SELECT n FROM seen ORDER BY n')
      .all()
      .map((row) => row.n);
  /** Runs the projection over the log until caught up, and stops; what it saw and logged. */
  const project = async (db: Database.Database, options: { rewoundLog?: 'rebuild' | 'stop' } = {}) => {
    const logs: string[] = [];
    const rewound: string[] = [];
    const runner = new ProjectionRunner(rig.store, db, [new SeenProjection()], {
      pipelinedRebuild: false,
      log: (m) => logs.push(m),
      ...options,
    });
    runner.onRewound((name, reason) => rewound.push(`${name}: ${reason}`));
    runner.start();
    closing.push(() => runner.stop());
    return { runner, logs, rewound };
  };
  const caughtUp = async (runner: ProjectionRunner): Promise<void> => {
    expect(await runner.waitFor(await rig.store.headPosition(), 20_000)).toBe(true);
    await runner.stop();
  };
  /** A read model built from zero over the log as it is now: what the rewound one must equal. */
  const rebuilt = async (): Promise<number[]> => {
    const db = readDb(`fresh-${randomUUID()}`);
    await caughtUp((await project(db)).runner);
    return seen(db);
  };

  it.each([
    ['R60: the checkpoint lies beyond the new head', [20, 21]],
    ['R60: another event stands at the checkpoint position', [20, 21, 22, 23, 24, 25]],
  ])(
    '%s: the projection rebuilds from zero (log line, metric): the new events in, the lost ones out',
    async (_case, fresh) => {
      await append(rig.store, [0, 1, 3, 4, 6, 7, 8]);
      const db = readDb('read');
      await caughtUp((await project(db)).runner);
      expect(seen(db)).toEqual([0, 1, 3, 4, 6, 7]);

      // A restore to position 3 loses 4..7 (facts 4, 6, 7, 8); the service goes on, handing positions 4.. out again.
      await rig.cutAfter(3);
      await append(rig.store, fresh);

      const again = await project(db);
      await caughtUp(again.runner);
      expect(again.rewound).toHaveLength(1);
      expect(again.logs.join('\n')).toMatch(/seen: rewound log: position 7 .*; rebuilding from zero/);
      expect(seen(db)).toEqual(await rebuilt());
      expect(seen(db)).toEqual([0, 1, 3, ...fresh.filter((n) => n % 3 !== 2)]);
    },
    30_000,
  );

  it('R60: a new epoch (the restore procedure, npm run store:new-epoch) rebuilds even when positions and ids still match', async () => {
    await append(rig.store, [0, 1]);
    const db = readDb('read');
    await caughtUp((await project(db)).runner);
    const before = await rig.store.epoch();
    const after = await rig.store.newEpoch();
    expect(after).not.toBe(before);

    const again = await project(db);
    await caughtUp(again.runner);
    expect(again.logs.join('\n')).toMatch(new RegExp(`seen: rewound log: position 2 of epoch ${before}, the log is at epoch ${after}`));
    expect(seen(db)).toEqual([0, 1]);
    // A plain restart on the same log resumes: nothing rewound.
    const third = await project(db);
    await caughtUp(third.runner);
    expect(third.rewound).toEqual([]);
  }, 30_000);

  it('R60: with REWOUND_LOG=stop the projection stops with the reason as its error, says it is not caught up, and keeps its rows', async () => {
    await append(rig.store, [0, 1, 3]);
    const db = readDb('read');
    await caughtUp((await project(db)).runner);
    await rig.cutAfter(1);
    await append(rig.store, [20]);

    const stopped = await project(db, { rewoundLog: 'stop' });
    for (let i = 0; i < 2000 && stopped.rewound.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const [status] = await stopped.runner.status();
    expect(status).toMatchObject({ caughtUp: false, lastError: expect.stringMatching(/^rewound log: position 3 beyond the head 2/) });
    expect(stopped.logs.join('\n')).toMatch(/stopped \(REWOUND_LOG=stop\)/);
    expect(seen(db)).toEqual([0, 1, 3]);
  }, 30_000);
});
