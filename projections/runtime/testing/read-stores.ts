import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from '../../../test/support/postgres';
import { PostgresReadStore } from '../postgres-read-store';
import { configureReadDb } from '../read-db';
import { ReadStore, SqliteReadStore } from '../read-store';
import { createRowTableSql, RowTable } from '../rows';
import { createTableStatements, TableDefinition } from '../table-definition';

/** A model's tables: its definitions (a statement model's) or its row tables (named per generation, rows.ts). */
export type SpecTables = readonly (TableDefinition | RowTable)[];

/** Specs only: one adapter of the read store, opened for a suite, and how to create a model's tables on it. */
export interface SpecReadStore {
  readonly store: ReadStore;
  /** Creates the tables and their indexes from their one definition, in this adapter's dialect (#28.3). */
  createTables(tables: SpecTables): Promise<void>;
}

async function createTables(store: ReadStore, tables: SpecTables): Promise<void> {
  for (const table of tables) {
    const statements =
      'key' in table
        ? [createRowTableSql(table, store.kind), ...(table.indexes ?? []).map((index) => index.create)]
        : createTableStatements(table, store.kind);
    for (const sql of statements) await store.run(sql);
  }
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
      const store = new SqliteReadStore(db);
      opened = { store, createTables: (tables) => createTables(store, tables) };
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
      opened = { store, createTables: (tables) => createTables(store, tables) };
    }, 30_000);
    afterAll(async () => {
      await opened?.store.close();
      await dropSchema(schema);
    }, 30_000);
    body(() => opened as SpecReadStore);
  });
}
