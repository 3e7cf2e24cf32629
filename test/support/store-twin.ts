import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@recert/eventstore';
import {
  configureReadDb,
  PostgresReadStore,
  Projection,
  ProjectionRunner,
  ReadStore,
  SqliteReadStore,
  StoreProjection,
  StoreProjectionRunner,
} from '@recert/projections';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from './postgres';

export interface StoreTwinCase {
  /** Test title, naming the rules it proves. */
  title: string;
  /** The log: appended once, before both runs. */
  append(store: SqliteEventStore): Promise<void>;
  /** The model's projection on read.db (the default mode), the reference. */
  readDb(): Projection;
  twin(): StoreProjection;
  /** Each query's rows must be the same on the read store as on read.db (ORDER BY every key). */
  queries: readonly string[];
  /** What the reference must hold (so an empty model cannot pass). */
  expectReference(rows: Record<string, unknown[]>): void;
}

/**
 * #23.1: a read model's `StoreProjection` twin gives the same rows through the read-store port, on SQLite and on
 * PostgreSQL (its half skipped with one line when it does not answer), as its projection on read.db through the
 * synchronous runner, for the same events.
 */
/**
 * A log (an SQLite event store in a folder of its own, `seed` appended) and a read store, opened before a suite's
 * tests and closed after them.
 */
export function logAndReadStore(
  open: () => Promise<ReadStore>,
  seed: (store: SqliteEventStore) => Promise<void>,
): { log(): SqliteEventStore; readStore(): ReadStore } {
  let dir: string | undefined;
  let store: SqliteEventStore | undefined;
  let readStore: ReadStore | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-log-'));
    store = new SqliteEventStore({ file: join(dir, 'events.db'), synchronous: 'NORMAL', pollIntervalMs: 10 });
    await seed(store);
    readStore = await open();
  }, 60_000);
  afterAll(async () => {
    await readStore?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('not opened yet');
    return value;
  };
  return { log: () => opened(store), readStore: () => opened(readStore) };
}

/**
 * `suite` once on a `read.db` adapter (a file of its own) and once on a PostgreSQL schema of its own, dropped after
 * (that half skipped with one SKIPPED line when PostgreSQL does not answer).
 */
export function describeOnReadStores(name: string, suite: (open: () => Promise<ReadStore>) => void): void {
  describe(`${name}: SQLite`, () => {
    let dir: string | undefined;
    let db: Database.Database | undefined;
    afterAll(() => {
      db?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    suite(() => {
      dir = mkdtempSync(join(tmpdir(), 'recert-read-'));
      db = configureReadDb(new Database(join(dir, 'read.db')));
      return Promise.resolve(new SqliteReadStore(db));
    });
  });

  describeWithPostgres(`${name}: PostgreSQL`, () => {
    const schema = uniqueName('recert_read');
    afterAll(() => dropSchema(schema), 30_000);
    suite(() => PostgresReadStore.open(`${PG_TEST_URL}?readStoreSchema=${schema}`));
  });
}

/**
 * #23.1: a read model's `StoreProjection` twin gives the same rows through the read-store port, on SQLite and on
 * PostgreSQL, as its projection on read.db through the synchronous runner, for the same events.
 */
export function describeStoreTwin(model: string, spec: StoreTwinCase): void {
  describeOnReadStores(`${model} on the read-store port`, (open) => {
    const opened = logAndReadStore(open, (store) => spec.append(store));

    it(
      spec.title,
      async () => {
        const store = opened.log();
        const readStore = opened.readStore();
        const head = await store.headPosition();
        const runner = new StoreProjectionRunner(store, readStore, [spec.twin()], {
          owner: 'spec:1:twin',
          batchSize: 37,
          rebuildBatchSize: 37,
        });
        runner.start();
        expect(await runner.waitFor(head, 60_000)).toBe(true);
        await runner.stop();

        const reference = new Database(':memory:');
        const sync = new ProjectionRunner(store, reference, [spec.readDb()]);
        sync.start();
        expect(await sync.waitFor(head, 60_000)).toBe(true);
        await sync.stop();
        const expected: Record<string, unknown[]> = {};
        for (const sql of spec.queries) expected[sql] = reference.prepare(sql).all();
        reference.close();
        spec.expectReference(expected);
        for (const sql of spec.queries) expect(await readStore.query(sql)).toEqual(expected[sql]);
      },
      120_000,
    );
  });
}
