import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@recert/eventstore';
import type { Projection } from './projection';

export type Row = Record<string, string | number | null>;

/** A table a row projection writes: its name, primary key and columns. */
export interface RowTable {
  name: string;
  key: string;
  columns: readonly string[];
}

/**
 * A projection whose read model is rows that are a pure function of the events: it folds a page of events given
 * each row's value before the page, and returns the rows the page touched, per table. Its writing is then generic,
 * which lets a rebuild from zero run the fold and the SQLite writes on two threads.
 */
export interface RowProjection extends Projection {
  readonly tables: readonly RowTable[];
  fold(events: readonly RecordedEvent[], current: (table: string, key: string) => Row | undefined): Map<string, Map<string, Row>>;
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

/** Writes touched rows with the statements of `prepare` (cached by the caller). */
export function writeRows(touched: Map<string, Map<string, Row>>, statementFor: (table: string) => Database.Statement): void {
  for (const [table, rows] of touched) {
    const statement = statementFor(table);
    for (const row of rows.values()) statement.run(row);
  }
}

/**
 * The writer thread of a pipelined rebuild, as source (a worker compiled nowhere else, so it runs from dist and
 * from tests alike). It opens the read database itself and, per message, upserts the page's rows and moves the
 * checkpoint in one transaction, then acknowledges.
 */
export const ROW_WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 10000');
db.pragma('cache_size = -16384');
const upserts = Object.fromEntries(Object.entries(workerData.upserts).map(([table, sql]) => [table, db.prepare(sql)]));
const checkpoint = db.prepare('INSERT INTO projection_checkpoints (name, position, version) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position, version = excluded.version');
const write = db.transaction((message) => {
  for (const [table, rows] of message.rows) for (const row of rows) upserts[table].run(...row);
  checkpoint.run(workerData.name, message.position, workerData.version);
});
parentPort.on('message', (message) => {
  if (message === 'close') { db.close(); parentPort.close(); return; }
  try { write.immediate(message); parentPort.postMessage({ position: message.position }); }
  catch (error) { parentPort.postMessage({ error: String((error && error.message) || error) }); }
});
`;
