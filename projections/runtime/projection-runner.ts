import type Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { EventStore, RecordedEvent, rewoundReason, Subscription } from '@recert/eventstore';
import type { Projection } from './projection';
import { LAG_COUNT_CAP, ProjectionStatus, Projector, rewoundLogMessage } from './projector';
import { projectorOwner, SqliteReadStore, StaleProjectorError } from './read-store';
import { countRows, emptyRows, isRowProjection, Row, RowProjection, RowWriter, selectRowSql } from './rows';

export type { ProjectionStatus } from './projector';

export interface ProjectionRunnerOptions {
  /** Rebuilds from zero of row projections write on a worker thread (default on; off with false). */
  pipelinedRebuild?: boolean;
  /** Events per transaction; large pages matter: one commit per page is most of a rebuild's cost. */
  batchSize?: number;
  /**
   * Changed rows a rebuild from zero holds in memory before it writes them (default 50,000): bounds its memory
   * however large the population, and sets how often its checkpoint moves.
   */
  rebuildCacheRows?: number;
  /** Delay before a failed projection resubscribes from its stored checkpoint. */
  retryDelayMs?: number;
  /**
   * How long a projector's lease lasts on the read database's clock (#23.2, default 10 s): of several processes
   * sharing the read models, one projects each model; when it dies, another takes over within this time (at once
   * when the dead one was a process of this machine). Renewed every third of it.
   */
  leaseMs?: number;
  /** This process as the leases' owner (default: host, pid and a random part). */
  owner?: string;
  /** Test hook: runs inside the transaction after the read-model writes, before the checkpoint moves. */
  beforeCheckpoint?: (projection: string, lastEvent: RecordedEvent | undefined) => void;
  log?: (message: string) => void;
  /**
   * A checkpoint the log no longer holds (beyond its head, another event at its position, another epoch: a restore or
   * failover rewound the log, #24.2) is never resumed: `rebuild` from zero (default), or `stop` the projection with
   * the reason as its error (REWOUND_LOG).
   */
  rewoundLog?: 'rebuild' | 'stop';
}

/** A stored checkpoint: the position, and what tells a rewound log (the event there, the log's epoch; null before #24.2). */
interface StoredCheckpoint {
  position: number;
  version: number;
  store: string | null;
  event_id: string | null;
  epoch: string | null;
}

interface Running {
  projection: Projection;
  subscription?: Subscription;
  caughtUp: boolean;
  lastError: string | null;
  retryTimer?: NodeJS.Timeout;
  /** Failures in a row, for the back-off before resubscribing. */
  failures: number;
  /** A rebuild from zero under way: stopping waits for it, so no flush of it lands after the runner has stopped. */
  rebuilding?: Promise<void>;
  /** Stopped on a rewound log (REWOUND_LOG=stop): not resumed until restarted. */
  halted?: boolean;
  /** Its checkpoint is being checked against the log (#24.2): until then it proves nothing to a waiter. */
  checking?: boolean;
  /** This process holds the model's projector lease, with this fencing token; otherwise it waits to take over. */
  token?: number;
  /** Renews the lease while leading; tries to take it while waiting. */
  leaseTimer?: NodeJS.Timeout;
}

export { LAG_COUNT_CAP } from './projector';
/** Longest pause before a failed projection resubscribes. */
const MAX_RETRY_DELAY_MS = 60_000;

/**
 * Runs projections: each subscribes to the global log from its own checkpoint, kept in the read database in
 * the same transaction as its writes. The checkpoint is read again inside that transaction, so two processes
 * sharing the read database never apply one event twice. A failing projection logs, waits and resubscribes
 * from its checkpoint; it never skips an event, and the others keep running.
 */
export class ProjectionRunner implements Projector {
  private readonly running = new Map<string, Running>();
  private readonly advanced = new EventEmitter();
  private stopped = false;
  private started = false;
  private readonly projections: Projection[];
  private readonly getCheckpoint: Database.Statement<[string], StoredCheckpoint>;
  private readonly setCheckpoint: Database.Statement<[string, number, number, string, string | null, string | null]>;
  /** The log's epoch as last read (on start and resume), kept with every checkpoint (#24.2); null without epochs. */
  private epoch: string | null = null;
  private readonly rewound = new EventEmitter();
  /** Which log checkpoints are positions of: a read model built on another store is rebuilt, not resumed (#12.11). */
  private readonly storeId: string;
  /** Projector leases (#23.2) beside the read models and their checkpoints. */
  private readonly readStore: SqliteReadStore;
  private readonly owner: string;
  private readonly leaseMs: number;

  constructor(
    private readonly store: EventStore,
    private readonly db: Database.Database,
    projections: readonly Projection[],
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    this.projections = [...projections];
    this.advanced.setMaxListeners(0);
    db.exec(
      'CREATE TABLE IF NOT EXISTS projection_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL, version INTEGER NOT NULL, store TEXT)',
    );
    // Read databases from before #12.11 lack the column: their checkpoints name no store, so they are rebuilt once.
    const columns = db.prepare<[], { name: string }>('PRAGMA table_info(projection_checkpoints)').all();
    if (!columns.some((column) => column.name === 'store')) db.exec('ALTER TABLE projection_checkpoints ADD COLUMN store TEXT');
    // Before #24.2 a checkpoint was a bare position: such a one is checked against the head only, once.
    for (const column of ['event_id', 'epoch'])
      if (!columns.some((existing) => existing.name === column)) db.exec(`ALTER TABLE projection_checkpoints ADD COLUMN ${column} TEXT`);
    this.storeId = `${store.kind}:${store.identity ?? ''}`;
    this.readStore = new SqliteReadStore(db);
    this.owner = options.owner ?? projectorOwner();
    this.leaseMs = Math.max(30, options.leaseMs ?? 10_000);
    this.getCheckpoint = db.prepare('SELECT position, version, store, event_id, epoch FROM projection_checkpoints WHERE name = ?');
    this.setCheckpoint = db.prepare(
      `INSERT INTO projection_checkpoints (name, position, version, store, event_id, epoch) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET position = excluded.position, version = excluded.version, store = excluded.store,
         event_id = excluded.event_id, epoch = excluded.epoch`,
    );
  }

  start(): void {
    this.stopped = false;
    this.started = true;
    for (const projection of this.projections) this.launch(projection);
  }

  /** Adds a projection while running (a blue/green rebuild): it starts from its own checkpoint, zero when new. */
  add(projection: Projection): void {
    if (this.projections.some((p) => p.name === projection.name)) return;
    this.projections.push(projection);
    if (this.started && !this.stopped) this.launch(projection);
  }

  /** Stops a projection and drops its data and checkpoint (the old side of a swap). */
  async remove(name: string): Promise<void> {
    const index = this.projections.findIndex((p) => p.name === name);
    if (index < 0) return;
    const [projection] = this.projections.splice(index, 1);
    const entry = this.running.get(name);
    if (entry?.retryTimer) clearTimeout(entry.retryTimer);
    this.running.delete(name);
    await entry?.rebuilding;
    await entry?.subscription?.stop();
    if (entry) this.giveUp(entry);
    this.db
      .transaction(() => {
        projection?.reset(this.db);
        this.db.prepare('DELETE FROM projection_checkpoints WHERE name = ?').run(name);
      })
      .immediate();
  }

  private launch(projection: Projection): void {
    const entry: Running = { projection, caughtUp: false, lastError: null, failures: 0 };
    this.running.set(projection.name, entry);
    this.lead(entry);
  }

  /**
   * Takes the model's projector lease and projects; while another process holds it, tries again every third of
   * the lease's time (its checkpoint, in the shared read database, still answers `waitFor` and `status`).
   */
  private lead(entry: Running): void {
    const { projection } = entry;
    if (this.stopped || this.running.get(projection.name) !== entry) return;
    const every = Math.max(10, Math.floor(this.leaseMs / 3));
    let lease;
    try {
      lease = this.readStore.acquireSync(projection.name, this.owner, this.leaseMs);
    } catch (error) {
      entry.lastError = error instanceof Error ? error.message : String(error);
      lease = null;
    }
    if (!lease) {
      entry.leaseTimer = setTimeout(() => this.lead(entry), every);
      return;
    }
    entry.token = lease.token;
    entry.leaseTimer = setInterval(() => this.renew(entry), every);
    try {
      this.claim(entry);
    } catch (error) {
      entry.lastError = error instanceof Error ? error.message : String(error);
      this.options.log?.(`${projection.name}: ${entry.lastError}`);
      void this.demote(entry);
      return;
    }
    this.begin(entry);
  }

  /** Renews the lease; lost (taken by another after a pause, or its token changed), the projection stands down. */
  private renew(entry: Running): void {
    if (entry.token === undefined) return;
    let lease;
    try {
      lease = this.readStore.acquireSync(entry.projection.name, this.owner, this.leaseMs);
    } catch {
      return; // a busy database: the next renewal tries again, and the fence guards every write meanwhile
    }
    if (lease?.token !== entry.token) void this.demote(entry);
  }

  /** Stops projecting (its writes would be refused anyway) and waits to take the lease again. */
  private async demote(entry: Running): Promise<void> {
    if (entry.token === undefined) return;
    this.options.log?.(`${entry.projection.name}: projector lease lost (token ${entry.token}); standing by`);
    entry.token = undefined;
    entry.caughtUp = false;
    clearInterval(entry.leaseTimer);
    if (entry.retryTimer) clearTimeout(entry.retryTimer);
    await entry.rebuilding;
    await entry.subscription?.stop();
    entry.subscription = undefined;
    if (entry.token === undefined) this.lead(entry);
  }

  /** Hands the lease back (a stop), so another process takes over at once. */
  private giveUp(entry: Running): void {
    clearInterval(entry.leaseTimer);
    clearTimeout(entry.leaseTimer);
    const token = entry.token;
    entry.token = undefined;
    if (token === undefined || !this.db.open) return;
    try {
      this.readStore.releaseSync(entry.projection.name, this.owner, token);
    } catch {
      // The lease runs out on its own.
    }
  }

  /** Under the lease: the model's tables, and a rebuild from zero when its version or store changed. */
  private claim(entry: Running): void {
    const { projection } = entry;
    const token = entry.token ?? 0;
    this.db
      .transaction(() => {
        this.readStore.fenceSync(projection.name, token);
        projection.setup(this.db);
        const stored = this.getCheckpoint.get(projection.name);
        const otherStore = stored !== undefined && stored.store !== this.storeId;
        if (stored && (stored.version !== projection.version || otherStore)) {
          const why = otherStore
            ? `checkpoint of ${stored.store ?? 'an unnamed store'}, not of ${this.storeId}`
            : `version ${stored.version} -> ${projection.version}`;
          this.options.log?.(`${projection.name}: ${why}, rebuilding from zero`);
          projection.reset(this.db);
          projection.setup(this.db);
          this.setCheckpoint.run(projection.name, 0, projection.version, this.storeId, null, null);
        } else if (!stored) {
          this.setCheckpoint.run(projection.name, 0, projection.version, this.storeId, null, null);
        }
      })
      .immediate();
  }

  /** Called with the projection's name and why, each time a checkpoint of a rewound log is met (#24.2): a metric. */
  onRewound(listener: (projection: string, reason: string) => void): void {
    this.rewound.on('rewound', listener);
  }

  /**
   * On start and on every resume: checks the checkpoint against the log (#24.2), rebuilds from zero when it must (on
   * two threads for a row projection), then follows the log from the checkpoint.
   */
  private begin(entry: Running): void {
    const { projection } = entry;
    entry.checking = true;
    entry.rebuilding = (async (): Promise<boolean> => {
      if (entry.token === undefined) return false;
      try {
        if (!(await this.checkAgainstLog(entry))) return false;
      } catch (error) {
        // The log could not be asked (unreachable): as a subscription that failed, try again from the checkpoint.
        this.failed(entry, error instanceof Error ? error : new Error(String(error)));
        return false;
      } finally {
        entry.checking = false;
      }
      if (
        this.checkpoint(projection.name) === 0 &&
        isRowProjection(projection) &&
        this.db.name !== ':memory:' &&
        this.options.pipelinedRebuild !== false
      ) {
        // From zero: fold on this thread, write on another; then follow the log as usual from where it got.
        await this.pipelinedRebuild(entry, projection).catch((error: unknown) => {
          entry.lastError = error instanceof Error ? error.message : String(error);
          this.options.log?.(`${projection.name}: pipelined rebuild stopped (${entry.lastError}); going on from its checkpoint`);
        });
      }
      return true;
    })().then((go) => {
      if (go && this.running.get(projection.name) === entry) this.subscribe(entry);
    });
  }

  /**
   * A checkpoint is resumed only if the log still holds it: the same epoch, a position not beyond the head, the same
   * event at that position. Else the log was rewound (a point-in-time restore, a backup, a standby missing the last
   * commits) and positions are being handed out again: resuming would skip the new events and keep the lost ones.
   * Returns false when the projection stops on it (REWOUND_LOG=stop).
   */
  private async checkAgainstLog(entry: Running): Promise<boolean> {
    const { projection } = entry;
    if (!this.store.epoch && !this.store.eventIdAt) return true;
    const epoch = this.store.epoch ? await this.store.epoch() : null;
    this.epoch = epoch;
    const stored = this.getCheckpoint.get(projection.name);
    // At zero nothing was read: nothing to lose (the epoch is written with the next move).
    if (!stored || stored.position === 0) return true;
    const reason = await rewoundReason(this.store, { position: stored.position, eventId: stored.event_id, epoch: stored.epoch }, epoch);
    if (reason === undefined) return true;
    const stop = this.options.rewoundLog === 'stop';
    this.options.log?.(rewoundLogMessage(projection.name, reason, stop));
    this.rewound.emit('rewound', projection.name, reason);
    if (stop) {
      entry.halted = true;
      entry.caughtUp = false;
      entry.lastError = `rewound log: ${reason}`;
      return false;
    }
    this.db
      .transaction(() => {
        this.readStore.fenceSync(projection.name, entry.token ?? 0);
        projection.reset(this.db);
        projection.setup(this.db);
        this.setCheckpoint.run(projection.name, 0, projection.version, this.storeId, null, epoch);
      })
      .immediate();
    return true;
  }

  /**
   * A rebuild from zero on two threads. This one reads the log and folds it into rows held in memory (write-back):
   * once `rebuildCacheRows` rows have changed, they go to a worker thread that writes them, sorted by key, with the
   * checkpoint in one transaction, while this thread folds on. A row that changes many times between two flushes is
   * written once, and sorted writes touch each B-tree page once per flush: a log in time order touches its rows at
   * random, and per-page writes spent most of a rebuild rewriting the same pages. A row found in no flush still in
   * memory was written by a committed one and is read back. A crash leaves the last flush's checkpoint, from which
   * the ordinary path goes on.
   */
  private async pipelinedRebuild(entry: Running, projection: RowProjection): Promise<void> {
    const target = await this.store.headPosition();
    if (target === 0) return;
    const targetId = (await this.store.eventIdAt?.(target)) ?? null;
    // Secondary indexes are built once at the end; a crash before it leaves them to `setup` on the next start.
    const indexes = projection.tables.flatMap((table) => table.indexes ?? []);
    for (const index of indexes) this.db.exec(`DROP INDEX IF EXISTS ${index.name}`);
    const writer = new RowWriter(
      this.db.name,
      projection,
      (position) => this.advanced.emit('advanced', projection.name, position),
      entry.token,
    );
    const readBack = new Map(projection.tables.map((table) => [table.name, this.db.prepare<[string], Row>(selectRowSql(table))]));
    const capacity = Math.max(1, this.options.rebuildCacheRows ?? 50_000);
    // Small reads: a page's events die young instead of surviving into the old generation (measured: 2,000 beat 5,000).
    const batchSize = this.options.batchSize ?? 2000;
    // Rows changed since the last flush, rows of the flush being written, rows of the last committed flush.
    let dirty = emptyRows(projection);
    let writing = emptyRows(projection);
    let written = emptyRows(projection);
    const current = (table: string, key: string): Row | undefined =>
      dirty.get(table)?.get(key) ?? writing.get(table)?.get(key) ?? written.get(table)?.get(key) ?? readBack.get(table)?.get(key);
    let flush: Promise<void> = Promise.resolve();
    try {
      let after = 0;
      let afterId: string | null = null;
      for (;;) {
        // Stopped, removed, or its lease lost (its flushes would be refused): the rebuild ends here.
        if (this.stopped || this.running.get(projection.name) !== entry || entry.token === undefined) break;
        const page = await this.store.readAll({ after, maxCount: batchSize, filter: { eventTypes: projection.eventTypes } });
        const events = page.filter((event) => event.position <= target);
        // The page that reaches the target is the last, even when full: the checkpoint it writes says caught up.
        const last = events.length < page.length || page.length < batchSize || (events[events.length - 1]?.position ?? 0) >= target;
        for (const [table, rows] of projection.fold(events, current, { fromZero: true })) {
          const changed = dirty.get(table);
          for (const [key, row] of rows) changed?.set(key, row);
        }
        after = events[events.length - 1]?.position ?? after;
        afterId = events[events.length - 1]?.id ?? afterId;
        if (last || countRows(dirty) >= capacity) {
          // One flush in flight: once the previous one has committed, its rows can be read back from the database.
          await flush;
          written = writing;
          writing = dirty;
          dirty = emptyRows(projection);
          flush = writer.write(writing, last ? target : after, last ? indexes.map((index) => index.create) : [], {
            eventId: last ? targetId : afterId,
            epoch: this.epoch,
          });
        }
        if (last) break;
        // A page is a few milliseconds of work: let requests in between, so queries answer while a rebuild runs.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await flush;
    } catch (error) {
      for (const index of indexes) this.db.exec(index.create);
      throw error;
    } finally {
      await flush.catch(() => undefined);
      await writer.close();
    }
  }

  private subscribe(entry: Running): void {
    if (this.stopped || entry.token === undefined) return;
    const token = entry.token;
    const { projection } = entry;
    const after = this.checkpoint(projection.name);
    entry.subscription = this.store.subscribe(
      { after, filter: { eventTypes: projection.eventTypes }, batchSize: this.options.batchSize ?? 5000 },
      {
        onEvents: (events, scannedTo, scannedId) => {
          this.applyBatch(projection, events, scannedTo, scannedId, token);
          entry.lastError = null;
          entry.failures = 0;
          this.advanced.emit('advanced', projection.name, scannedTo);
        },
        onCaughtUp: () => {
          entry.caughtUp = true;
          entry.lastError = null;
        },
        // The store is retrying after a transient failure: the projection stalls, and health says so (#12.7).
        onRetrying: (error, attempt, delayMs) => {
          entry.caughtUp = false;
          entry.lastError = `store unreachable, try ${attempt} in ${delayMs} ms: ${error.message}`;
          this.options.log?.(`${projection.name}: ${entry.lastError}`);
        },
        onError: (error) => this.failed(entry, error),
      },
    );
  }

  /** Waits (longer after each failure in a row), then resumes from the checkpoint, checked against the log again. */
  private failed(entry: Running, error: Error): void {
    entry.caughtUp = false;
    if (error instanceof StaleProjectorError) {
      void this.demote(entry);
      return;
    }
    entry.lastError = error.message;
    entry.failures += 1;
    const delay = Math.min(MAX_RETRY_DELAY_MS, (this.options.retryDelayMs ?? 1000) * 2 ** (entry.failures - 1));
    this.options.log?.(`${entry.projection.name}: ${error.message}; resubscribing from its checkpoint in ${delay} ms`);
    entry.retryTimer = setTimeout(() => {
      if (!this.stopped && this.running.get(entry.projection.name) === entry) this.begin(entry);
    }, delay);
  }

  /**
   * One transaction: the batch's writes and the checkpoint move together, refused (`StaleProjectorError`) when the
   * projector lease no longer carries `token` (#23.2).
   */
  applyBatch(
    projection: Projection,
    events: readonly RecordedEvent[],
    scannedTo: number,
    scannedId: string | undefined,
    token: number,
  ): void {
    const last = events[events.length - 1];
    // The event at the checkpoint, so a start can tell whether the log still holds it (#24.2).
    const eventId = scannedId ?? (last?.position === scannedTo ? last.id : null);
    this.db
      .transaction(() => {
        this.readStore.fenceSync(projection.name, token);
        const checkpoint = this.getCheckpoint.get(projection.name)?.position ?? 0;
        if (scannedTo <= checkpoint) return;
        const fresh = events.filter((event) => event.position > checkpoint);
        if (projection.applyBatch) projection.applyBatch(this.db, fresh);
        else for (const event of fresh) projection.apply(this.db, event);
        this.options.beforeCheckpoint?.(projection.name, events[events.length - 1]);
        this.setCheckpoint.run(projection.name, scannedTo, projection.version, this.storeId, eventId, this.epoch);
      })
      .immediate();
  }

  checkpoint(name: string): number {
    return this.getCheckpoint.get(name)?.position ?? 0;
  }

  /** Waits until the named projections (default: all) have processed `position`; false on time-out. */
  async waitFor(position: number, timeoutMs: number, names: readonly string[] = this.projections.map((p) => p.name)): Promise<boolean> {
    // A stopped runner's read database may be closed under a waiter: it answers `false`, never throws from a timer.
    const reached = (): boolean =>
      !this.stopped &&
      this.db.open &&
      names.every((name) => !this.running.get(name)?.checking && !this.running.get(name)?.halted && this.checkpoint(name) >= position);
    if (reached()) return true;
    if (this.stopped) return false;
    return new Promise((resolve) => {
      const done = (value: boolean): void => {
        clearTimeout(timer);
        clearInterval(poll);
        this.advanced.off('advanced', check);
        resolve(value);
      };
      const check = (): void => {
        if (this.stopped || !this.db.open) done(false);
        else if (reached()) done(true);
      };
      const timer = setTimeout(() => done(!this.stopped && reached()), timeoutMs);
      // Another process may be the one advancing a shared read database.
      const poll = setInterval(check, 10);
      this.advanced.on('advanced', check);
    });
  }

  async status(): Promise<ProjectionStatus[]> {
    const head = await this.store.headPosition();
    return Promise.all(
      this.projections.map(async (projection) => {
        const entry = this.running.get(projection.name);
        const checkpoint = this.checkpoint(projection.name);
        const lag = checkpoint >= head ? 0 : await this.eventsBetween(checkpoint, head);
        return {
          name: projection.name,
          version: projection.version,
          checkpoint,
          head,
          lag,
          lagCapped: lag >= LAG_COUNT_CAP,
          caughtUp: !entry?.halted && checkpoint >= head,
          lastError: entry?.lastError ?? null,
        };
      }),
    );
  }

  /** Events after `after` up to `head`, counted (positions are byte offsets on EventStoreDB), at most LAG_COUNT_CAP. */
  private async eventsBetween(after: number, head: number): Promise<number> {
    const page = await this.store.readAll({ after, maxCount: LAG_COUNT_CAP });
    return page.filter((event) => event.position <= head).length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    for (const entry of this.running.values()) {
      if (entry.retryTimer) clearTimeout(entry.retryTimer);
      clearInterval(entry.leaseTimer);
      clearTimeout(entry.leaseTimer);
      await entry.rebuilding;
      await entry.subscription?.stop();
      this.giveUp(entry);
    }
    this.running.clear();
  }
}
