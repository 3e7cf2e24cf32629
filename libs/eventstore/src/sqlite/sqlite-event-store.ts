import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  AppendResult,
  EventFilter,
  EventStore,
  ExpectedRevision,
  matchesFilter,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  SubscriptionHandlers,
} from '../event-store.port';
import { GroupCommitQueue } from '../group-commit';
import { pollingSubscription } from '../polling-subscription';
import { toRecorded } from '../sql-event-row';
import { Committer, createCommitter, outcomeError, ThreadWriter, WireAppend, WireOutcome } from './writer';

export interface SqliteEventStoreOptions {
  /** Path of the database file, or `:memory:` for throwaway stores. */
  file: string;
  /**
   * SQLite `synchronous` level. FULL (default) fsyncs the WAL on every commit, so an acknowledged append
   * survives a killed process and a power loss; NORMAL survives a killed process only.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How often a live subscription looks for events appended by other processes sharing the file. */
  pollIntervalMs?: number;
  /** Events read per batch by readAll pages and subscriptions. */
  batchSize?: number;
  /** Store time for `recordedAt`; domain time lives in metadata. */
  now?: () => Date;
  /**
   * After a live wake-up, how long a subscription lets appends gather before it reads them: under load one
   * transaction then carries many events instead of one each. Read-your-writes waits this much longer.
   */
  liveBatchDelayMs?: number;
  /** Bytes of the file read through a memory map (0 turns it off). */
  mmapBytes?: number;
  /**
   * Commit on a thread of its own (default for a file): the fsync no longer holds the event loop. Off, the
   * commit runs on the caller's thread, as a `:memory:` store must (a thread cannot open the same memory database).
   */
  writerThread?: boolean;
}

interface PendingAppend {
  wire: WireAppend;
  resolve: (result: AppendResult) => void;
  reject: (error: Error) => void;
}

/**
 * A stored event as the statements return it: an array in EVENT_COLUMNS order. Rows read in raw mode cost a
 * fraction of rows as objects, which matters when a rebuild reads millions of them.
 */
type EventRow = [
  position: number,
  stream: string,
  revision: number,
  id: string,
  type: string,
  data: string,
  metadata: string,
  recordedAt: string,
];
const EVENT_COLUMNS = 'position, stream, revision, id, type, data, metadata, recorded_at';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY,
  stream      TEXT    NOT NULL,
  revision    INTEGER NOT NULL,
  id          TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  data        TEXT    NOT NULL,
  metadata    TEXT    NOT NULL,
  recorded_at TEXT    NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_stream_revision ON events (stream, revision);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_stream_id ON events (stream, id);
-- The log's epoch (#24.2): written once when the file is created; \`npm run store:new-epoch\` changes it after a restore.
CREATE TABLE IF NOT EXISTS store_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), epoch TEXT NOT NULL);
`;

/**
 * The embedded event store: one SQLite file in WAL mode. SQLite admits one writer at a time (across processes
 * too, through its file locks), so positions from INTEGER PRIMARY KEY are gap-free and a reader never sees
 * position n+1 before n.
 */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly appended = new EventEmitter();
  private readonly subscriptions = new Set<Subscription>();
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly now: () => Date;
  private closed = false;

  private readonly readAfterStmt: Database.Statement<[number, number], EventRow>;
  private readonly readTypesAfterStmts = new Map<number, Database.Statement<(string | number)[], EventRow>>();
  private readonly headStmt: Database.Statement<[], { head: number | null }>;
  private readonly readForwardStmt: Database.Statement<[string, number, number], EventRow>;
  private readonly readBackwardStmt: Database.Statement<[string, number, number], EventRow>;
  private readonly liveBatchDelayMs: number;
  /** Commits a group on the writer thread, or inline for a store without one. */
  private readonly commitGroup: (appends: WireAppend[]) => Promise<WireOutcome[]>;
  private readonly writer: ThreadWriter | undefined;
  private readonly queue = new GroupCommitQueue<PendingAppend>((appends) => this.flush(appends));

  constructor(options: SqliteEventStoreOptions) {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    // Another process may hold the write lock for a moment; wait rather than fail.
    this.db.pragma('busy_timeout = 10000');
    // Stream reads hit random pages of a large file: a bigger cache than the 2 MB default (mmap on request).
    this.db.pragma(`mmap_size = ${options.mmapBytes ?? 0}`);
    this.db.pragma('cache_size = -16384');
    this.db.exec(SCHEMA);
    this.db.prepare('INSERT OR IGNORE INTO store_epoch (id, epoch) VALUES (1, ?)').run(randomUUID());
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.batchSize = options.batchSize ?? 1000;
    this.now = options.now ?? (() => new Date());
    this.appended.setMaxListeners(0);

    this.readAfterStmt = this.db
      .prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`)
      .raw(true) as Database.Statement<[number, number], EventRow>;
    this.headStmt = this.db.prepare('SELECT max(position) AS head FROM events');
    this.readForwardStmt = this.db
      .prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`)
      .raw(true) as Database.Statement<[string, number, number], EventRow>;
    this.readBackwardStmt = this.db
      .prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`)
      .raw(true) as Database.Statement<[string, number, number], EventRow>;
    this.liveBatchDelayMs = options.liveBatchDelayMs ?? 2;

    if (options.writerThread ?? options.file !== ':memory:') {
      const writer = new ThreadWriter(options.file, options.synchronous ?? 'FULL');
      this.writer = writer;
      this.commitGroup = (appends) => writer.commit(appends);
    } else {
      const commit: Committer = createCommitter(this.db);
      this.commitGroup = (appends) => new Promise((resolve) => resolve(commit(appends)));
    }
  }

  /**
   * Group commit: appends arriving while a group commits (or in the same turn of the event loop) share the next
   * transaction, so one fsync acknowledges them all. Each is acknowledged only once its transaction has committed.
   */
  append(stream: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    return this.settled(() => {
      if (events.length === 0) throw new Error('append needs at least one event');
      // Serialised here, so the writer thread receives strings (cheap to pass) and a payload the caller
      // changes after the call is stored as it was.
      const wire: WireAppend = {
        stream,
        expected: options.expectedRevision,
        recordedAt: this.now().toISOString(),
        events: events.map((event) => ({
          id: event.id,
          type: event.type,
          data: JSON.stringify(event.data),
          metadata: JSON.stringify(event.metadata),
        })),
      };
      return wire;
    }).then(
      (wire) =>
        new Promise<AppendResult>((resolve, reject) => {
          this.queue.push({ wire, resolve, reject });
        }),
    );
  }

  private async flush(appends: readonly PendingAppend[]): Promise<void> {
    let outcomes: WireOutcome[];
    try {
      outcomes = await this.commitGroup(appends.map((append) => append.wire));
    } catch (error) {
      // The commit itself failed (disk full, lock timeout): nothing of the group was stored.
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const append of appends) append.reject(failure);
      return;
    }
    let newest = 0;
    appends.forEach((append, index) => {
      const outcome = outcomes[index] as WireOutcome;
      if (!outcome.ok) return append.reject(outcomeError(outcome));
      if (!outcome.result.duplicate) newest = Math.max(newest, outcome.result.position);
      append.resolve(outcome.result);
    });
    if (newest > 0) this.appended.emit('appended', newest);
  }

  readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.settled(() => {
      const backwards = options.direction === 'backwards';
      const from = options.fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0);
      const limit = options.maxCount ?? -1;
      const rows = (backwards ? this.readBackwardStmt : this.readForwardStmt).all(stream, from, limit);
      return rows.map(toRecorded);
    });
  }

  readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.settled(() => {
      const maxCount = options.maxCount ?? this.batchSize;
      const result: RecordedEvent[] = [];
      let after = options.after ?? 0;
      const types = options.filter?.eventTypes;
      if (types?.length === 0) return result;
      // Types are filtered inside SQLite: rows of other types never become JavaScript strings.
      const page = types ? this.readTypesAfter(types.length) : undefined;
      // With a filter, keep scanning pages until maxCount matching events or the end of the log.
      for (;;) {
        const rows = page && types ? page.all(after, ...types, this.batchSize) : this.readAfterStmt.all(after, this.batchSize);
        for (const row of rows) {
          after = row[0];
          if (matchesFilter(options.filter, row[4], row[1])) {
            result.push(toRecorded(row));
            if (result.length >= maxCount) return result;
          }
        }
        if (rows.length < this.batchSize) return result;
      }
    });
  }

  countEvents(options: { after?: number; upTo: number; filter?: EventFilter }): Promise<number> {
    return this.settled(() => {
      const after = options.after ?? 0;
      const types = options.filter?.eventTypes;
      if (types?.length === 0) return 0;
      const typeClause = types ? ` AND type IN (${types.map(() => '?').join(', ')})` : '';
      const parameters = [after, options.upTo, ...(types ?? [])];
      if (!options.filter?.streamPrefixes) {
        const row = this.db
          .prepare(`SELECT count(*) AS n FROM events WHERE position > ? AND position <= ?${typeClause}`)
          .get(...parameters);
        return (row as { n: number }).n;
      }
      // Stream prefixes are matched as readAll matches them; only the two columns needed leave SQLite.
      let count = 0;
      const rows = this.db.prepare(`SELECT type, stream FROM events WHERE position > ? AND position <= ?${typeClause}`).raw(true);
      for (const [type, stream] of rows.iterate(...parameters) as Iterable<[string, string]>)
        if (matchesFilter(options.filter, type, stream)) count += 1;
      return count;
    });
  }

  /** `readAll`'s statement for a type filter of `count` types (bound as parameters), prepared once per count. */
  private readTypesAfter(count: number): Database.Statement<(string | number)[], EventRow> {
    let statement = this.readTypesAfterStmts.get(count);
    if (!statement) {
      const placeholders = Array.from({ length: count }, () => '?').join(', ');
      statement = this.db
        .prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? AND type IN (${placeholders}) ORDER BY position LIMIT ?`)
        .raw(true) as Database.Statement<(string | number)[], EventRow>;
      this.readTypesAfterStmts.set(count, statement);
    }
    return statement;
  }

  /** Raw page of the log for subscriptions: filters on type and stream before paying for JSON.parse. */
  private readPage(
    after: number,
    filter: EventFilter | undefined,
    limit: number,
  ): { events: RecordedEvent[]; scannedTo: number; scannedId?: string; rowCount: number } {
    const rows = this.readAfterStmt.all(after, limit);
    const events: RecordedEvent[] = [];
    let scannedTo = after;
    let scannedId: string | undefined;
    for (const row of rows) {
      scannedTo = row[0];
      scannedId = row[3];
      if (matchesFilter(filter, row[4], row[1])) events.push(toRecorded(row));
    }
    return { events, scannedTo, scannedId, rowCount: rows.length };
  }

  subscribe(options: SubscribeOptions, handlers: SubscriptionHandlers): Subscription {
    // Appends in this process wake it at once; other processes sharing the file are seen by polling.
    return pollingSubscription(
      {
        readPage: (after, filter, limit) => this.readPage(after, filter, limit),
        appended: this.appended,
        pollIntervalMs: this.pollIntervalMs,
        liveBatchDelayMs: this.liveBatchDelayMs,
        subscriptions: this.subscriptions,
      },
      { ...options, limit: options.batchSize ?? this.batchSize },
      handlers,
    );
  }

  headPosition(): Promise<number> {
    return this.settled(() => this.headStmt.get()?.head ?? 0);
  }

  async ping(): Promise<void> {
    await this.headPosition();
  }

  epoch(): Promise<string> {
    return this.settled(() => (this.db.prepare('SELECT epoch FROM store_epoch WHERE id = 1').get() as { epoch: string }).epoch);
  }

  /** A new epoch, after the file was restored from a copy (`npm run store:new-epoch`): every checkpoint is rebuilt. */
  newEpoch(): Promise<string> {
    const epoch = randomUUID();
    return this.settled(() => (this.db.prepare('UPDATE store_epoch SET epoch = ? WHERE id = 1').run(epoch), epoch));
  }

  eventIdAt(position: number): Promise<string | undefined> {
    return this.settled(
      () => (this.db.prepare('SELECT id FROM events WHERE position = ?').get(position) as { id: string } | undefined)?.id,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.drain();
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.writer?.close();
    this.db.close();
  }

  /** Runs synchronous SQLite work on an open store as a promise: thrown errors become rejections. */
  private settled<T>(work: () => T): Promise<T> {
    try {
      this.assertOpen();
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The event store is closed');
  }
}
