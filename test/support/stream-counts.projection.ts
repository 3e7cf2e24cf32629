import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@recert/eventstore';
import { ReadTx, Row, RowProjection, RowTable, selectRowSql, StoreProjection, upsertSql, writeRows } from '@recert/projections';

const TABLE: RowTable = { name: 'rm_stream_counts', key: 'stream', columns: ['stream', 'n', 'total', 'last_position'] };

/**
 * A row projection for the failover specs (#23.2): per stream, how many `Seen` events, their sum and the last
 * position. On purpose not replay-safe, so an event applied twice (or skipped) shows against a rebuild.
 */
export class StreamCountsProjection implements RowProjection {
  readonly name = 'stream-counts';
  readonly version = 1;
  readonly eventTypes = ['Seen'];
  readonly tables = [TABLE];

  setup(db: Database.Database): void {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${TABLE.name} (stream TEXT PRIMARY KEY, n INTEGER NOT NULL, total INTEGER NOT NULL, last_position INTEGER NOT NULL)`,
    );
  }

  reset(db: Database.Database): void {
    db.exec(`DROP TABLE IF EXISTS ${TABLE.name}`);
  }

  fold(events: readonly RecordedEvent[], current: (table: string, key: string) => Row | undefined): Map<string, Map<string, Row>> {
    const rows = new Map<string, Row>();
    for (const event of events) {
      const before = rows.get(event.stream) ?? current(TABLE.name, event.stream);
      rows.set(event.stream, {
        stream: event.stream,
        n: Number(before?.['n'] ?? 0) + 1,
        total: Number(before?.['total'] ?? 0) + Number(event.data['n']),
        last_position: event.position,
      });
    }
    return new Map([[TABLE.name, rows]]);
  }

  applyBatch(db: Database.Database, events: readonly RecordedEvent[]): void {
    const select = db.prepare<[string], Row>(selectRowSql(TABLE));
    writeRows(
      this.fold(events, (_, key) => select.get(key)),
      () => db.prepare(upsertSql(TABLE)),
    );
  }

  apply(db: Database.Database, event: RecordedEvent): void {
    this.applyBatch(db, [event]);
  }
}

/** The same counts through the read-store port (#23.1), on SQLite or PostgreSQL: an event applied twice shows too. */
export class StreamCountsStoreProjection implements StoreProjection {
  readonly name = 'stream-counts';
  readonly version = 1;
  readonly eventTypes = ['Seen'];

  async setup(tx: ReadTx): Promise<void> {
    await tx.run(
      `CREATE TABLE IF NOT EXISTS ${TABLE.name} (stream TEXT PRIMARY KEY, n INTEGER NOT NULL, total INTEGER NOT NULL, last_position BIGINT NOT NULL)`,
    );
  }

  async reset(tx: ReadTx): Promise<void> {
    await tx.run(`DROP TABLE IF EXISTS ${TABLE.name}`);
  }

  async applyPage(tx: ReadTx, events: readonly RecordedEvent[]): Promise<void> {
    for (const event of events) {
      await tx.run(
        `INSERT INTO ${TABLE.name} (stream, n, total, last_position) VALUES (?, 1, ?, ?)
         ON CONFLICT (stream) DO UPDATE SET n = ${TABLE.name}.n + 1, total = ${TABLE.name}.total + excluded.total, last_position = excluded.last_position`,
        [event.stream, Number(event.data['n']), event.position],
      );
    }
  }
}
