import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@recert/eventstore';
import { analyzeTables, type Projection } from './projection';
import type { ReadTx, Write } from './read-store';
import { Statements } from './statements';
import type { StoreProjection } from './store-projection-runner';
import { createTableStatements, TableDefinition } from './table-definition';

export type { Write } from './read-store';

/**
 * A read model whose every event is a few portable statements on its tables (#23.1): the event-to-row logic is
 * written once, as `writes`, and run either on `read.db` by the synchronous runner (`ReadDbStatementProjection`)
 * or through the read-store port on either adapter (`StoreStatementProjection`).
 */
export interface StatementModel {
  readonly name: string;
  readonly version: number;
  readonly eventTypes: readonly string[];
  readonly tables: readonly TableDefinition[];
  writes(event: RecordedEvent): Write[];
}

/** The model on `read.db` (the default mode): statements prepared once each, run inside the runner's transaction. */
export abstract class ReadDbStatementProjection implements Projection, StatementModel {
  abstract readonly name: string;
  abstract readonly version: number;
  abstract readonly eventTypes: readonly string[];
  abstract readonly tables: readonly TableDefinition[];
  abstract writes(event: RecordedEvent): Write[];
  private readonly sql = new Statements();

  setup(db: Database.Database): void {
    for (const table of this.tables) for (const statement of createTableStatements(table, 'sqlite')) db.exec(statement);
  }

  reset(db: Database.Database): void {
    this.sql.clear();
    for (const table of this.tables) db.exec(`DROP TABLE IF EXISTS ${table.name}`);
  }

  apply(db: Database.Database, event: RecordedEvent): void {
    for (const write of this.writes(event)) this.sql.get(db, write.sql).run(...write.params);
  }
}

/** The same model through the read-store port (the PostgreSQL mode): same tables, same rows. */
export class StoreStatementProjection implements StoreProjection {
  readonly name: string;
  readonly version: number;
  readonly eventTypes: readonly string[];

  constructor(private readonly model: StatementModel) {
    this.name = model.name;
    this.version = model.version;
    this.eventTypes = model.eventTypes;
  }

  async setup(tx: ReadTx): Promise<void> {
    for (const table of this.model.tables) for (const statement of createTableStatements(table, tx.dialect)) await tx.run(statement);
  }

  async reset(tx: ReadTx): Promise<void> {
    for (const table of this.model.tables) await tx.run(`DROP TABLE IF EXISTS ${table.name}`);
  }

  /** The tables' statistics after a rebuild from zero (R166): their plans otherwise guess at an empty table's. */
  async finishRebuild(tx: ReadTx): Promise<void> {
    await analyzeTables(
      tx,
      this.model.tables.map((table) => table.name),
    );
  }

  /** The page's statements in one call: on PostgreSQL a few round trips for the page, not one per statement (#23.7). */
  async applyPage(tx: ReadTx, events: readonly RecordedEvent[]): Promise<void> {
    await tx.runAll(events.flatMap((event) => this.model.writes(event)));
  }
}
