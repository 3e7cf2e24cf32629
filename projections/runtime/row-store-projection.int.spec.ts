import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore, SqliteEventStore } from '@recert/eventstore';
import { projectRoot } from '@recert/kernel';
import { loadPolicyBook } from '@recert/renewals';
import { seedHoldingsLog } from '../../test/support/holdings-log';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from '../../test/support/postgres';
import { eventually } from '../../test/support/wait';
import { HoldingsProjection } from '../holdings/holdings.projection';
import { PostgresReadStore } from './postgres-read-store';
import { ProjectionRunner } from './projection-runner';
import { configureReadDb } from './read-db';
import { ReadStore, SqliteReadStore } from './read-store';
import { createRowTableSql, Row } from './rows';
import { StoreProjectionRunner } from './store-projection-runner';

const root = projectRoot();
const book = loadPolicyBook(join(root, 'config', 'policy.json'));
const GENERATION = 'spec';

/** Rows of every table of the model, by key, numbers as numbers (PostgreSQL and SQLite alike). */
async function rowsOf(read: (sql: string) => Promise<Row[]>, projection: HoldingsProjection): Promise<Record<string, Row[]>> {
  const result: Record<string, Row[]> = {};
  for (const table of projection.tables)
    result[table.name] = await read(`SELECT ${table.columns.join(', ')} FROM ${table.name} ORDER BY ${table.key}`);
  return result;
}

/**
 * #23.1/#28.3 (R135): any row projection runs through the read-store port with its pure fold (rows prefetched by key,
 * written with multi-row upserts), and its rows equal the synchronous runner's on `read.db` for the same log, on
 * SQLite and on PostgreSQL; the tables come from the one definition per table, the indexes are built after a rebuild.
 */
describe('R135 a row projection through the read-store port', () => {
  let dir: string;
  let store: SqliteEventStore;
  let expected: Record<string, Row[]>;
  let head: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-row-store-'));
    await seedHoldingsLog(dir, book);
    store = new SqliteEventStore({ file: join(dir, 'events.db'), synchronous: 'NORMAL', pollIntervalMs: 10 });
    head = await store.headPosition();
    const reference = new Database(':memory:');
    const projection = new HoldingsProjection(book, GENERATION);
    const runner = new ProjectionRunner(store, reference, [projection], { pipelinedRebuild: false });
    runner.start();
    expect(await runner.waitFor(head, 60_000)).toBe(true);
    await runner.stop();
    expected = await rowsOf((sql) => Promise.resolve(reference.prepare(sql).all() as Row[]), projection);
    reference.close();
    expect(expected[projection.holdings]?.length).toBeGreaterThan(100);
    expect(expected[projection.verifications]?.length).toBeGreaterThan(50);
  }, 120_000);

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A rebuild from zero stopped half-way, resumed by a second runner (pages no longer from zero): rows equal the reference. */
  const rebuildAndCompare = async (readStore: ReadStore): Promise<HoldingsProjection> => {
    const projection = new HoldingsProjection(book, GENERATION);
    // The first runner reads slowly (a slow disk), so it is stopped half-way through its rebuild.
    const slow = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property === 'readAll')
          return async (...args: Parameters<EventStore['readAll']>) => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            return target.readAll(...args);
          };
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const first = new StoreProjectionRunner(slow, readStore, [projection], {
      owner: 'host:1:a',
      batchSize: 97,
      rebuildBatchSize: 97,
      leaseMs: 60_000,
    });
    first.start();
    await eventually('a first page', async () => ((await first.checkpoint(projection.name)) > 0 ? true : undefined));
    await first.stop();
    expect(await first.checkpoint(projection.name)).toBeLessThan(head);
    const second = new StoreProjectionRunner(store, readStore, [projection], {
      owner: 'host:1:a',
      batchSize: 131,
      rebuildBatchSize: 131,
      leaseMs: 60_000,
    });
    second.start();
    expect(await second.waitFor(head, 60_000)).toBe(true);
    const [status] = await second.status();
    await second.stop();
    expect(status).toMatchObject({ name: projection.name, checkpoint: head, lag: 0, caughtUp: true });
    expect(await rowsOf((sql) => readStore.query<Row>(sql), projection)).toEqual(expected);
    return projection;
  };

  it("R135 on SQLite: rows equal the synchronous runner's, WITHOUT ROWID tables as on read.db, indexes built", async () => {
    const db = configureReadDb(new Database(join(dir, 'port.db')));
    try {
      const projection = await rebuildAndCompare(new SqliteReadStore(db));
      const sql = db.prepare<[string], { sql: string }>('SELECT sql FROM sqlite_master WHERE name = ?');
      for (const table of projection.tables)
        expect(`${sql.get(table.name)?.sql}`).toBe(createRowTableSql(table, 'sqlite').replace('IF NOT EXISTS ', ''));
      const indexes = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all();
      expect(indexes.map((index) => index.name).sort()).toEqual(
        projection.tables.flatMap((t) => (t.indexes ?? []).map((i) => i.name)).sort(),
      );
    } finally {
      db.close();
    }
  }, 120_000);

  describeWithPostgres('R135 on PostgreSQL', () => {
    const schema = uniqueName('recert_rows');
    let readStore: PostgresReadStore;

    beforeAll(async () => {
      readStore = await PostgresReadStore.open(`${PG_TEST_URL}?readStoreSchema=${schema}`);
    }, 60_000);

    afterAll(async () => {
      await readStore.close();
      await dropSchema(schema);
    }, 60_000);

    it("R135 on PostgreSQL: rows equal the synchronous runner's on read.db, indexes built", async () => {
      const projection = await rebuildAndCompare(readStore);
      const indexes = await readStore.query<{ indexname: string }>(
        'SELECT indexname FROM pg_indexes WHERE schemaname = ? AND indexname NOT LIKE ?',
        [schema, '%_pkey'],
      );
      const wanted = projection.tables.flatMap((t) => (t.indexes ?? []).map((i) => i.name));
      expect(
        indexes
          .map((index) => index.indexname)
          .filter((name) => wanted.includes(name))
          .sort(),
      ).toEqual([...wanted].sort());
    }, 120_000);
  });
});
