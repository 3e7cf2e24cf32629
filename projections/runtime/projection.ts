import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@recert/eventstore';
import type { ReadTx } from './read-store';

/**
 * A read model fed from the global log. `apply` writes synchronously inside the runner's transaction, which
 * also moves the checkpoint: a crash at any point leaves both or neither, so no event is lost or applied twice.
 */
export interface Projection {
  /** Unique name; also the checkpoint key. */
  readonly name: string;
  /** Bump to rebuild from zero on the next start (schema or logic change). */
  readonly version: number;
  /** Event types it reads; others still move its checkpoint. */
  readonly eventTypes: readonly string[];
  /** Creates its tables (idempotent). */
  setup(db: Database.Database): void;
  /** Drops its data for a rebuild from zero. */
  reset(db: Database.Database): void;
  apply(db: Database.Database, event: RecordedEvent): void;
  /** Optional: a whole page at once (to fold it in memory and write each touched row once). Same result as apply per event. */
  applyBatch?(db: Database.Database, events: readonly RecordedEvent[]): void;
}

/**
 * A read model written through the read-store port (#23.1): any adapter, asynchronous. Each page is one unit of work
 * with its checkpoint, fenced by the projector lease (R91).
 */
export interface StoreProjection {
  readonly name: string;
  readonly version: number;
  readonly eventTypes: readonly string[];
  /** Creates its tables (idempotent). */
  setup(tx: ReadTx): Promise<void>;
  /** Drops its data for a rebuild from zero. */
  reset(tx: ReadTx): Promise<void>;
  /** `fromZero`: pages of a rebuild from zero, once each and in order (see `RowProjection.fold`). */
  applyPage(tx: ReadTx, events: readonly RecordedEvent[], options?: { fromZero?: boolean }): Promise<void>;
  /**
   * Optional: the page's work that needs other I/O (the key vault), done before its unit of work opens, so no
   * transaction sits idle while it waits; returns the unit's writes. The runner uses it instead of `applyPage`.
   */
  preparePage?(events: readonly RecordedEvent[], options?: { fromZero?: boolean }): Promise<(tx: ReadTx) => Promise<void>>;
  /**
   * Optional: in the unit that starts a rebuild from zero, after `setup`: what is better built once at the end (a row
   * model's secondary indexes: a sorted build beats upkeep per write) is dropped until `finishRebuild`.
   */
  startRebuild?(tx: ReadTx): Promise<void>;
  /**
   * Optional: in the unit that ends a rebuild from zero (it reached the head): what was left for the end (a row
   * model's indexes) and the planner's statistics of its tables, which a table filled in one go has none of.
   */
  finishRebuild?(tx: ReadTx): Promise<void>;
}

/** `ANALYZE` of `tables` on PostgreSQL (SQLite's planner needs none here): a rebuilt table's plans use its real sizes. */
export async function analyzeTables(tx: ReadTx, tables: readonly string[]): Promise<void> {
  if (tx.dialect !== 'postgres') return;
  for (const table of tables) await tx.run(`ANALYZE ${table}`);
}
