import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from '../../../test/support/postgres';
import { PostgresReadStore } from '../postgres-read-store';
import { configureReadDb } from '../read-db';
import { ReadStore, SqliteReadStore } from '../read-store';

/** A model's `read.db` set-up (`Projection.setup`): the one place its tables are declared today. */
export type SqliteSetup = (db: Database.Database) => void;

/** Specs only: one adapter of the read store, opened for a suite, and how to create a model's tables on it. */
export interface SpecReadStore {
  readonly store: ReadStore;
  /** Creates the tables `setup` declares, in this adapter's dialect. */
  createTables(setup: SqliteSetup): Promise<void>;
}

/**
 * Specs only: the PostgreSQL DDL of a model whose set-up is written for SQLite (#23.1), from the very statements it
 * runs, so a spec reads the model's own columns: `WITHOUT ROWID` dropped and INTEGER widened to BIGINT (positions
 * and epoch milliseconds pass 2^31; the adapter gives BIGINT back as numbers). Until the rows helper's per-dialect
 * DDL from one definition (#28.3) replaces it.
 */
export function postgresDdlOf(setup: SqliteSetup): string[] {
  const statements: string[] = [];
  setup({ exec: (sql: string) => statements.push(sql) } as unknown as Database.Database);
  return statements
    .flatMap((sql) => sql.split(';'))
    .map((sql) => sql.trim())
    .filter((sql) => sql.length > 0)
    .map((sql) => sql.replace(/\)\s*WITHOUT ROWID\s*$/i, ')').replace(/\bINTEGER\b/g, 'BIGINT'));
}

/**
 * Specs only: `body` once on each adapter, its answers to be the same on both: SQLite (`read.db` in a temporary
 * directory), then PostgreSQL in a schema of its own named at random (`readStoreSchema`), dropped afterwards; one
 * SKIPPED line when PostgreSQL does not answer. `body` registers its own hooks and tests; `adapter()` is ready in them.
 */
export function onEachReadStore(title: string, body: (adapter: () => SpecReadStore) => void): void {
  describe(`${title}: SQLite`, () => {
    let dir: string;
    let db: Database.Database;
    let opened: SpecReadStore | undefined;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'recert-read-store-'));
      db = configureReadDb(new Database(join(dir, 'read.db')));
      opened = {
        store: new SqliteReadStore(db),
        createTables: (setup) => Promise.resolve(setup(db)),
      };
    });
    afterAll(() => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    body(() => opened as SpecReadStore);
  });

  describeWithPostgres(`${title}: PostgreSQL`, () => {
    const schema = uniqueName('recert_read');
    let opened: SpecReadStore | undefined;
    beforeAll(async () => {
      const store = await PostgresReadStore.open(`${PG_TEST_URL}?readStoreSchema=${schema}`);
      opened = {
        store,
        createTables: async (setup) => {
          for (const sql of postgresDdlOf(setup)) await store.run(sql);
        },
      };
    }, 30_000);
    afterAll(async () => {
      await opened?.store.close();
      await dropSchema(schema);
    }, 30_000);
    body(() => opened as SpecReadStore);
  });
}
