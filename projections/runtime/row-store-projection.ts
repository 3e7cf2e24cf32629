import type { RecordedEvent } from '@recert/eventstore';
import type { ReadTx, ReadValue } from './read-store';
import { createRowTableSql, emptyRows, Row, RowProjection, RowsByTable, RowTable, selectRowsSql, upsertManySql } from './rows';
import { analyzeTables, type StoreProjection } from './projection';

/** Bound values per statement: under SQLite's 32,766 and PostgreSQL's 65,535, and a plan small enough to cache. */
const MAX_PARAMETERS = 8000;

/**
 * Any `RowProjection` through the read-store port (#23.1), on SQLite or PostgreSQL: its pure `fold` is run as it is on
 * `read.db`, and only the reading and writing of rows differ. `fold` asks for rows synchronously (`current(table,
 * key)`), which no network database answers: so a page is folded with a `current` that records the keys it lacks,
 * those are fetched with one `SELECT … WHERE key IN (…)` per table, and the page folded again until nothing is
 * missing (a fold is pure, so folding again is safe; a page needs two folds, a third only when a row's key comes from
 * another row). The touched rows are then written with multi-row upserts in the page's unit of work.
 * Tables come from their definitions (`defineTable`), so the DDL is the same as the projection's on `read.db`.
 */
export class RowStoreProjection implements StoreProjection {
  readonly name: string;
  readonly version: number;
  readonly eventTypes: readonly string[];
  readonly indexes: readonly { name: string; create: string }[];

  constructor(readonly projection: RowProjection) {
    this.name = projection.name;
    this.version = projection.version;
    this.eventTypes = projection.eventTypes;
    this.indexes = projection.tables.flatMap((table) => table.indexes ?? []);
    for (const table of projection.tables) createRowTableSql(table, 'sqlite'); // fails now, not mid-rebuild, without a definition
  }

  async setup(tx: ReadTx): Promise<void> {
    for (const table of this.projection.tables) await tx.run(createRowTableSql(table, tx.dialect));
    // A successor resuming a rebuild from zero finds the indexes not yet built: it builds them here.
    await this.createIndexes(tx);
    // The holdings model points its serving views at a generation here (#23.4).
    await this.projection.afterStoreSetup?.(tx);
  }

  async reset(tx: ReadTx): Promise<void> {
    // CASCADE on PostgreSQL: a view over a generation's table (the holdings' serving views) goes with it; `setup`,
    // in the same unit of work, puts it back.
    const cascade = tx.dialect === 'postgres' ? ' CASCADE' : '';
    for (const table of this.projection.tables) await tx.run(`DROP TABLE IF EXISTS ${table.name}${cascade}`);
  }

  /** A rebuild from zero builds the secondary indexes once at its end (`finishRebuild`). */
  async startRebuild(tx: ReadTx): Promise<void> {
    for (const index of this.indexes) await tx.run(`DROP INDEX IF EXISTS ${index.name}`);
  }

  /** The indexes a rebuild from zero left for its end, then the tables' statistics (R166). */
  async finishRebuild(tx: ReadTx): Promise<void> {
    await this.createIndexes(tx);
    await analyzeTables(
      tx,
      this.projection.tables.map((table) => table.name),
    );
  }

  async createIndexes(tx: ReadTx): Promise<void> {
    // Sorting millions of rows may take longer than a statement's deadline (PG_STATEMENT_TIMEOUT_MS): this unit's
    // index builds have none; the lease's renewal and fence still bound the unit.
    if (tx.dialect === 'postgres') await tx.run('SET LOCAL statement_timeout = 0');
    for (const index of this.indexes) await tx.run(index.create);
  }

  async applyPage(tx: ReadTx, events: readonly RecordedEvent[], options: { fromZero?: boolean } = {}): Promise<void> {
    if (events.length === 0) return;
    await writeTouched(tx, this.projection.tables, await foldWithPrefetch(tx, this.projection, events, options));
  }
}

/** Folds a page, fetching the rows it asks for until it asks for none it lacks (see `RowStoreProjection`). */
export async function foldWithPrefetch(
  tx: Pick<ReadTx, 'query'>,
  projection: RowProjection,
  events: readonly RecordedEvent[],
  options: { fromZero?: boolean } = {},
): Promise<RowsByTable> {
  const known = emptyRows(projection);
  const absent = new Map(projection.tables.map((table) => [table.name, new Set<string>()]));
  for (;;) {
    const missing = new Map<string, Set<string>>();
    const current = (table: string, key: string): Row | undefined => {
      const row = known.get(table)?.get(key);
      if (row !== undefined || absent.get(table)?.has(key)) return row;
      let keys = missing.get(table);
      if (!keys) missing.set(table, (keys = new Set()));
      keys.add(key);
      return undefined;
    };
    const touched = projection.fold(events, current, options);
    if (missing.size === 0) return touched;
    for (const [name, keys] of missing) {
      const table = projection.tables.find((t) => t.name === name);
      if (!table) throw new Error(`${projection.name}: fold asked for a row of ${name}, not one of its tables`);
      const all = [...keys];
      for (let i = 0; i < all.length; i += MAX_PARAMETERS) {
        const chunk = all.slice(i, i + MAX_PARAMETERS);
        for (const row of await tx.query<Row>(selectRowsSql(table, chunk.length), chunk)) known.get(name)?.set(String(row[table.key]), row);
      }
      for (const key of all) if (!known.get(name)?.has(key)) absent.get(name)?.add(key);
    }
  }
}

/** The touched rows, as multi-row upserts (rows in key order, as the SQLite writer thread does). */
export async function writeTouched(tx: Pick<ReadTx, 'run'>, tables: readonly RowTable[], touched: RowsByTable): Promise<void> {
  for (const table of tables) {
    const rows = [...(touched.get(table.name)?.values() ?? [])];
    if (rows.length === 0) continue;
    rows.sort((a, b) => {
      const x = String(a[table.key]);
      const y = String(b[table.key]);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / table.columns.length));
    for (let i = 0; i < rows.length; i += perStatement) {
      const chunk = rows.slice(i, i + perStatement);
      const values: ReadValue[] = [];
      for (const row of chunk) for (const column of table.columns) values.push(row[column] ?? null);
      await tx.run(upsertManySql(table, chunk.length), values);
    }
  }
}
