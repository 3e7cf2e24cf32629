import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@recert/eventstore';
import { Worker } from 'node:worker_threads';
import type { Projection } from './projection';
import type { ReadTx } from './read-store';

export type Row = Record<string, string | number | null>;

/** A table a row projection writes: its name, primary key and columns. */
export interface RowTable {
  name: string;
  key: string;
  columns: readonly string[];
  /**
   * Secondary indexes as `CREATE INDEX IF NOT EXISTS` statements. A rebuild from zero creates them at its end:
   * one sorted build costs a fraction of keeping them up to date through every write.
   */
  indexes?: readonly { name: string; create: string }[];
  /** The definition it was named from (`defineTable`): its `CREATE TABLE` in either dialect (`createTableSql`). */
  definition?: TableDefinition<ColumnSet>;
}

/**
 * One column of a row (#28.3): its SQL type and whether it may be null; `T` is the value a row holds in it.
 * `position` holds global log positions: INTEGER on SQLite, BIGINT on PostgreSQL (read back as numbers).
 */
export interface Column<T> {
  readonly type: 'text' | 'integer' | 'position';
  readonly nullable: boolean;
  readonly defaultValue?: number;
  /** Never set: carries `T` for `RowOf`. */
  readonly value?: T;
}

export const column = {
  text: <T extends string = string>(): Column<T> => ({ type: 'text', nullable: false }),
  nullableText: <T extends string = string>(): Column<T | null> => ({ type: 'text', nullable: true }),
  integer: (defaultValue?: number): Column<number> => ({ type: 'integer', nullable: false, defaultValue }),
  nullableInteger: (): Column<number | null> => ({ type: 'integer', nullable: true }),
  position: (defaultValue?: number): Column<number> => ({ type: 'position', nullable: false, defaultValue }),
};

export type ColumnSet = Record<string, Column<string | number | null>>;

/**
 * A table declared once (#28.3): columns in order with their types, the key, secondary indexes (by suffix and
 * definition, named after the table). The row interface is `RowOf<typeof definition>`, the column list and the
 * DDL of both dialects come from `named(definition, name)`: a column added here reaches all three.
 */
export interface TableDefinition<C extends ColumnSet> {
  readonly key: keyof C & string;
  readonly columns: C;
  readonly indexes?: readonly { suffix: string; on: string }[];
  /** SQLite: `WITHOUT ROWID` (default true): a keyed table's rows live in its key's B-tree, one lookup per read. */
  readonly withoutRowid?: boolean;
}

export type RowOf<D extends { readonly columns: ColumnSet }> = {
  -readonly [K in keyof D['columns']]: D['columns'][K] extends Column<infer T> ? T : never;
};

export function defineTable<C extends ColumnSet>(definition: TableDefinition<C>): TableDefinition<C> {
  return definition;
}

/** The definition as a table of this name (a generation's tables share one definition). */
export function named<C extends ColumnSet>(definition: TableDefinition<C>, name: string): RowTable {
  return {
    name,
    key: definition.key,
    columns: Object.keys(definition.columns),
    indexes: (definition.indexes ?? []).map(({ suffix, on }) => ({
      name: `${name}_${suffix}`,
      create: `CREATE INDEX IF NOT EXISTS ${name}_${suffix} ON ${name} ${on}`,
    })),
    definition: definition as unknown as TableDefinition<ColumnSet>,
  };
}

/** `CREATE TABLE IF NOT EXISTS` of a defined table, in SQLite's or PostgreSQL's words; indexes apart (`table.indexes`). */
export function createTableSql(table: RowTable, dialect: 'sqlite' | 'postgres'): string {
  const definition = table.definition;
  if (!definition) throw new Error(`${table.name}: no definition to create it from`);
  const typeOf = (type: Column<unknown>['type']): string =>
    type === 'text' ? 'TEXT' : type === 'position' && dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  const columns = Object.entries(definition.columns).map(([name, spec]) => {
    if (name === definition.key) return `${name} ${typeOf(spec.type)} PRIMARY KEY`;
    const notNull = spec.nullable ? '' : ' NOT NULL';
    const fallback = spec.defaultValue === undefined ? '' : ` DEFAULT ${spec.defaultValue}`;
    return `${name} ${typeOf(spec.type)}${notNull}${fallback}`;
  });
  const withoutRowid = dialect === 'sqlite' && definition.withoutRowid !== false ? ' WITHOUT ROWID' : '';
  return `CREATE TABLE IF NOT EXISTS ${table.name} (${columns.join(', ')})${withoutRowid}`;
}

/**
 * A projection whose read model is rows that are a pure function of the events: it folds a page of events given
 * each row's value before the page, and returns the rows the page touched, per table. Its writing is then generic,
 * which lets a rebuild from zero run the fold and the SQLite writes on two threads.
 */
export interface RowProjection extends Projection {
  readonly tables: readonly RowTable[];
  /**
   * `fromZero`: the pages come once each, in order, from the start of the log (a rebuild), so a row cannot exist
   * before the first event that makes it, and the fold may skip asking for it.
   */
  fold(
    events: readonly RecordedEvent[],
    current: (table: string, key: string) => Row | undefined,
    options?: { fromZero?: boolean },
  ): Map<string, Map<string, Row>>;
  /** Through the read-store port only: after its tables are created, in the same unit of work (`RowStoreProjection`). */
  afterStoreSetup?(tx: ReadTx): Promise<void>;
}

export function isRowProjection(projection: Projection): projection is RowProjection {
  return 'fold' in projection && 'tables' in projection;
}

/** Named parameters (`@column`) for rows as objects; positional (`?`, column order) for rows as value arrays. */
export function upsertSql(table: RowTable, parameters: 'named' | 'positional' = 'named'): string {
  const names = table.columns.join(', ');
  const values = table.columns.map((column) => (parameters === 'named' ? `@${column}` : '?')).join(', ');
  const updates = table.columns
    .filter((column) => column !== table.key)
    .map((column) => `${column} = excluded.${column}`)
    .join(', ');
  return `INSERT INTO ${table.name} (${names}) VALUES (${values}) ON CONFLICT(${table.key}) DO UPDATE SET ${updates}`;
}

/**
 * `rows` rows at once, `?` placeholders in column order, row after row: `INSERT … ON CONFLICT (key) DO UPDATE`, which
 * SQLite and PostgreSQL both speak (a page's rows in a few statements instead of one per row).
 */
export function upsertManySql(table: RowTable, rows: number): string {
  const one = `(${table.columns.map(() => '?').join(', ')})`;
  const updates = table.columns
    .filter((column) => column !== table.key)
    .map((column) => `${column} = excluded.${column}`)
    .join(', ');
  return `INSERT INTO ${table.name} (${table.columns.join(', ')}) VALUES ${Array.from({ length: rows }, () => one).join(', ')} ON CONFLICT (${table.key}) DO UPDATE SET ${updates}`;
}

/** Rows by key, `keys` of them: `SELECT … WHERE key IN (?, …)`. */
export function selectRowsSql(table: RowTable, keys: number): string {
  return `SELECT ${table.columns.join(', ')} FROM ${table.name} WHERE ${table.key} IN (${Array.from({ length: keys }, () => '?').join(', ')})`;
}

/** One row by its key, columns in the table's order. */
export function selectRowSql(table: RowTable): string {
  return `SELECT ${table.columns.join(', ')} FROM ${table.name} WHERE ${table.key} = ?`;
}

/** Writes touched rows with the statements of `prepare` (cached by the caller). */
export function writeRows(touched: Map<string, Map<string, Row>>, statementFor: (table: string) => Database.Statement): void {
  for (const [table, rows] of touched) {
    const statement = statementFor(table);
    for (const row of rows.values()) statement.run(row);
  }
}

/** Rows by table, then by key. */
export type RowsByTable = Map<string, Map<string, Row>>;

export function emptyRows(projection: RowProjection): RowsByTable {
  return new Map(projection.tables.map((table) => [table.name, new Map<string, Row>()]));
}

export function countRows(rows: RowsByTable): number {
  let count = 0;
  for (const table of rows.values()) count += table.size;
  return count;
}

/**
 * The writer thread of a pipelined rebuild, as source (a worker compiled nowhere else, so it runs from dist and
 * from tests alike). It opens the read database itself, gathers the rows of a flush as they arrive in chunks, and
 * on the flush's last message sorts them by key (each B-tree page is then visited once), upserts them, builds the
 * indexes it is given and moves the checkpoint, in one transaction; then acknowledges.
 */
const ROW_WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 10000');
db.pragma('cache_size = -16384');
const upserts = Object.fromEntries(Object.entries(workerData.upserts).map(([table, sql]) => [table, db.prepare(sql)]));
const lease = db.prepare('SELECT token FROM projector_leases WHERE name = ?');
const checkpoint = db.prepare('INSERT INTO projection_checkpoints (name, position, version, event_id, epoch) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position, version = excluded.version, event_id = excluded.event_id, epoch = excluded.epoch');
let gathered = new Map();
const write = db.transaction((message) => {
  for (const [table, rows] of gathered) {
    const k = workerData.keyIndex[table];
    rows.sort((a, b) => (a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : 0));
    for (const row of rows) upserts[table].run(...row);
  }
  for (const sql of message.indexes) db.exec(sql);
  // Fenced (#23.2): a writer whose projector lease another process has taken since writes nothing.
  if (workerData.token !== null && lease.get(workerData.name)?.token !== workerData.token) {
    throw new Error(workerData.name + ': the projector lease has been taken by another since token ' + workerData.token + '; its write is refused');
  }
  checkpoint.run(workerData.name, message.position, workerData.version, message.eventId, message.epoch);
});
parentPort.on('message', (message) => {
  if (message === 'close') { db.close(); parentPort.close(); return; }
  if (message.chunk) {
    const [table, rows] = message.chunk;
    const into = gathered.get(table);
    if (into) for (const row of rows) into.push(row); else gathered.set(table, rows);
    return;
  }
  try { write.immediate(message); parentPort.postMessage({ position: message.position }); }
  catch (error) { parentPort.postMessage({ error: String((error && error.message) || error) }); }
  finally { gathered = new Map(); }
});
`;

/** Rows per message to the writer: the main thread yields between chunks, so a flush never stalls requests. */
const CHUNK_ROWS = 2000;

/** The thread that writes a pipelined rebuild's rows: one transaction per `write`, answered in order. */
export class RowWriter {
  private readonly worker: Worker;
  private readonly waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** Set when the thread failed or ended: later writes are refused instead of waiting for an answer forever. */
  private failure: Error | undefined;

  constructor(
    file: string,
    private readonly projection: RowProjection,
    onCommitted: (position: number) => void,
    /** The projector lease's token the rows are written under (#23.2); none: unfenced. */
    token?: number,
  ) {
    this.worker = new Worker(ROW_WRITER_SOURCE, {
      eval: true,
      workerData: {
        sqlite: require.resolve('better-sqlite3'),
        file,
        name: projection.name,
        version: projection.version,
        token: token ?? null,
        upserts: Object.fromEntries(projection.tables.map((table) => [table.name, upsertSql(table, 'positional')])),
        keyIndex: Object.fromEntries(projection.tables.map((table) => [table.name, table.columns.indexOf(table.key)])),
      },
    });
    this.worker.on('message', (message: { position?: number; error?: string }) => {
      const next = this.waiting.shift();
      if (message.error !== undefined) return next?.reject(new Error(message.error));
      next?.resolve();
      if (message.position !== undefined) onCommitted(message.position);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`the row writer thread ended (exit code ${code})`)));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.waiting.splice(0).forEach((w) => w.reject(this.failure ?? error));
  }

  /**
   * Writes the rows, creates `indexes`, and moves the checkpoint to `position` (with the id of the event there and the
   * log's epoch, #24.2), in one transaction.
   */
  async write(
    rows: RowsByTable,
    position: number,
    indexes: readonly string[] = [],
    at: { eventId: string | null; epoch: string | null } = { eventId: null, epoch: null },
  ): Promise<void> {
    if (this.failure) throw this.failure;
    for (const table of this.projection.tables) {
      const byKey = rows.get(table.name);
      if (!byKey) continue;
      // Rows travel as value arrays in column order: cheaper to copy across threads than objects.
      let chunk: Row[keyof Row][][] = [];
      for (const row of byKey.values()) {
        chunk.push(table.columns.map((column) => row[column] ?? null));
        if (chunk.length === CHUNK_ROWS) {
          this.worker.postMessage({ chunk: [table.name, chunk] });
          chunk = [];
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      if (chunk.length > 0) this.worker.postMessage({ chunk: [table.name, chunk] });
    }
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.waiting.push({ resolve, reject });
      this.worker.postMessage({ position, indexes, eventId: at.eventId, epoch: at.epoch });
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage('close');
    await this.worker.terminate();
  }
}
