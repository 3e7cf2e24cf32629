import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * The read store's port (#23.1, ADR 0016): where read models, their checkpoints and their projectors' leases live.
 * Two adapters: the embedded SQLite `read.db` (default, `SqliteReadStore`) and PostgreSQL (`READ_STORE_URL`,
 * `PostgresReadStore`). Both answer the same contract (`read-store.contract.int.spec.ts`).
 *
 * One projector per read model for the whole deployment (#23.2): a projector holds the model's lease, taken and
 * renewed on the database's clock; each take by a new owner (or after expiry) gives a larger token, and every unit
 * of work checks, inside its transaction, that the lease still carries the token it was done under. A paused
 * projector whose lease another has taken since is refused (`StaleProjectorError`), its rows rolled back.
 */
export interface ReadStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Creates the coordination tables (idempotent). */
  setup(): Promise<void>;
  /** Takes or renews `name`'s lease for `ttlMs` of the database's clock; null while another holds it. */
  acquire(name: string, owner: string, ttlMs: number): Promise<ProjectorLease | null>;
  /** Gives the lease up (a graceful stop), so another takes over at once instead of after the lease's time. */
  release(name: string, owner: string, token: number): Promise<void>;
  /** The lease as stored, whoever holds it. */
  lease(name: string): Promise<ProjectorLease | undefined>;
  checkpoint(name: string): Promise<StoredCheckpoint | undefined>;
  /**
   * A unit of work: `work`'s writes and the checkpoint's move to `checkpoint`, in one transaction, refused
   * (`StaleProjectorError`, nothing stored) unless `name`'s lease still carries `token`.
   */
  commit(name: string, token: number, checkpoint: StoredCheckpoint, work: (tx: ReadTx) => Promise<void>): Promise<void>;
  /** Reads outside any unit of work. */
  query<T>(sql: string, params?: readonly ReadValue[]): Promise<T[]>;
  /**
   * A write outside any projector's unit of work, for state the jobs keep beside a model (delivery claims, reminder
   * marks): one statement, its own transaction; how many rows it changed.
   */
  run(sql: string, params?: readonly ReadValue[]): Promise<number>;
  /**
   * Statements in one transaction outside any projector's lease: what several processes may race to do once (the
   * holdings model's generation swap, #23.4; forgetting a model), made safe by its own conditions.
   */
  transaction<T>(work: (tx: ReadTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type ReadValue = string | number | null;

/** `value`, unless a number that is not finite: NaN and ±Infinity have no portable SQL value, so a batch refuses them. */
export function finiteValue(value: ReadValue): ReadValue {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`runAll: a non-finite number (${value}) has no SQL value`);
  return value;
}

/** Nest token of the process's `ReadStore` (the SQLite adapter over `read.db` unless `READ_STORE_URL` names PostgreSQL). */
export const READ_STORE = Symbol('READ_STORE');

/** A transaction's statements, `?` placeholders in both dialects (the PostgreSQL adapter numbers them). */
export interface ReadTx {
  /** For the little DDL that differs (`WITHOUT ROWID`, column types). */
  readonly dialect: 'sqlite' | 'postgres';
  run(sql: string, params?: readonly ReadValue[]): Promise<void>;
  /**
   * `writes` in order, as `run` one after the other would, in as few round trips as the adapter can (#23.7: a
   * projector's page of statements; PostgreSQL sends them as a few multi-statement texts instead of one each).
   */
  runAll(writes: readonly Write[]): Promise<void>;
  query<T>(sql: string, params?: readonly ReadValue[]): Promise<T[]>;
}

/** One portable statement (`?` placeholders, SQL both SQLite and PostgreSQL run). */
export interface Write {
  sql: string;
  params: readonly ReadValue[];
}

export interface ProjectorLease {
  name: string;
  owner: string;
  /** The fencing token: grows each time the lease changes hands or is taken again after it ran out. */
  token: number;
  /** Epoch milliseconds of the database's clock. */
  expiresAt: number;
}

export interface StoredCheckpoint {
  position: number;
  version: number;
  /** Which log the position is of (`kind:identity`). */
  store: string | null;
  /** The id of the event at `position` and the log's epoch (#24.2): a rewound log is told by them; null when unknown. */
  eventId?: string | null;
  epoch?: string | null;
}

export class StaleProjectorError extends Error {
  constructor(
    readonly projection: string,
    readonly token: number,
  ) {
    super(`${projection}: the projector lease has been taken by another since token ${token}; its write is refused`);
    this.name = 'StaleProjectorError';
  }
}

/** This process as a lease owner: host, pid and a random part (a pid is reused after a restart). */
export function projectorOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Whether the owner is a process of this machine that no longer runs: then its lease can be taken at once (a
 * SIGKILLed projector on a shared `read.db`, or `npm start` after a crash, need not wait out the lease). Any doubt
 * (another host, a pid that answers, no permission to ask) says no, and the lease runs out on its own.
 */
export function ownerIsGone(owner: string): boolean {
  const [host, pid] = owner.split(':');
  if (host !== hostname() || pid === undefined || !/^\d+$/.test(pid)) return false;
  if (Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The database's clock in epoch milliseconds (SQLite: julianday of the statement's time). */
const SQLITE_NOW_MS = `CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER)`;

/** pg_advisory_xact_lock key under which DDL run by every process at start is serialised ("recert-dd" as a number). */
const DDL_LOCK = 0x7265_6365_7274_4444n;

/**
 * `CREATE … IF NOT EXISTS` that several processes may run at the same moment (R172). PostgreSQL checks "not exists"
 * before it writes its catalog, so the second of two concurrent creations fails on a duplicate there (23505 on
 * `pg_type`, 42P07, 42710 "type … already exists", depending on where the two meet): the statement runs under a
 * transaction-scoped advisory lock instead, one process after the other, the later ones a no-op.
 */
export async function createIfMissing(readStore: Pick<ReadStore, 'transaction'>, ddl: string): Promise<void> {
  await readStore.transaction(async (tx) => {
    if (tx.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(?)', [DDL_LOCK.toString()]);
    await tx.run(ddl);
  });
}

export const SQLITE_COORDINATION = `
  CREATE TABLE IF NOT EXISTS projection_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL, version INTEGER NOT NULL, store TEXT, event_id TEXT, epoch TEXT);
  CREATE TABLE IF NOT EXISTS projector_leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, token INTEGER NOT NULL, expires_at INTEGER NOT NULL);`;

/**
 * The embedded adapter over `read.db`. Its synchronous half (`acquireSync`, `fenceSync`) serves the projection
 * runner, whose read models write through better-sqlite3 inside its own transactions; the async port wraps it.
 * SQLite serialises writers (IMMEDIATE transactions), so the token checked in a transaction cannot change before
 * it commits.
 */
export class SqliteReadStore implements ReadStore {
  readonly kind = 'sqlite' as const;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly db: Database.Database) {
    this.createCoordination();
  }

  setup(): Promise<void> {
    this.createCoordination();
    return Promise.resolve();
  }

  private createCoordination(): void {
    this.db.exec(SQLITE_COORDINATION);
    // Checkpoints written before #24.2 (or by the runner's older table) lack the columns that tell a rewound log.
    const columns = this.db.prepare<[], { name: string }>('PRAGMA table_info(projection_checkpoints)').all();
    for (const column of ['store', 'event_id', 'epoch'])
      if (!columns.some((existing) => existing.name === column))
        this.db.exec(`ALTER TABLE projection_checkpoints ADD COLUMN ${column} TEXT`);
  }

  acquireSync(name: string, owner: string, ttlMs: number): ProjectorLease | null {
    return this.db
      .transaction((): ProjectorLease | null => {
        const now = this.db.prepare<[], { now: number }>(`SELECT ${SQLITE_NOW_MS} AS now`).get()?.now ?? 0;
        const row = this.leaseSync(name);
        const expiresAt = now + ttlMs;
        if (!row) {
          this.db.prepare('INSERT INTO projector_leases (name, owner, token, expires_at) VALUES (?, ?, 1, ?)').run(name, owner, expiresAt);
          return { name, owner, token: 1, expiresAt };
        }
        const live = row.expiresAt > now;
        if (row.owner === owner && live) {
          this.db.prepare('UPDATE projector_leases SET expires_at = ? WHERE name = ?').run(expiresAt, name);
          return { name, owner, token: row.token, expiresAt };
        }
        if (live && !ownerIsGone(row.owner)) return null;
        const token = row.token + 1;
        this.db
          .prepare('UPDATE projector_leases SET owner = ?, token = ?, expires_at = ? WHERE name = ?')
          .run(owner, token, expiresAt, name);
        return { name, owner, token, expiresAt };
      })
      .immediate();
  }

  /** Inside the caller's transaction: throws unless `name`'s lease still carries `token`. */
  fenceSync(name: string, token: number): void {
    const row = this.db.prepare<[string], { token: number }>('SELECT token FROM projector_leases WHERE name = ?').get(name);
    if (row?.token !== token) throw new StaleProjectorError(name, token);
  }

  releaseSync(name: string, owner: string, token: number): void {
    // Expired now, token kept: the next taker's token is still larger than any this owner wrote under.
    this.db
      .prepare(`UPDATE projector_leases SET expires_at = ${SQLITE_NOW_MS} - 1 WHERE name = ? AND owner = ? AND token = ?`)
      .run(name, owner, token);
  }

  leaseSync(name: string): ProjectorLease | undefined {
    const row = this.db
      .prepare<
        [string],
        { owner: string; token: number; expires_at: number }
      >('SELECT owner, token, expires_at FROM projector_leases WHERE name = ?')
      .get(name);
    return row && { name, owner: row.owner, token: row.token, expiresAt: row.expires_at };
  }

  acquire(name: string, owner: string, ttlMs: number): Promise<ProjectorLease | null> {
    return this.queued(() => this.acquireSync(name, owner, ttlMs));
  }

  release(name: string, owner: string, token: number): Promise<void> {
    return this.queued(() => this.releaseSync(name, owner, token));
  }

  /** After the units of work queued before it: never inside one's open transaction. */
  private queued<T>(work: () => T): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  lease(name: string): Promise<ProjectorLease | undefined> {
    return Promise.resolve(this.leaseSync(name));
  }

  checkpoint(name: string): Promise<StoredCheckpoint | undefined> {
    const row = this.prepared('SELECT position, version, store, event_id, epoch FROM projection_checkpoints WHERE name = ?').get(name) as
      | CheckpointRow
      | undefined;
    return Promise.resolve(row && checkpointOf(row));
  }

  /**
   * One IMMEDIATE transaction on this adapter's connection, statements run as they come (a unit reads its own
   * writes, as on PostgreSQL); units are queued, since one connection holds one transaction. Give the adapter a
   * connection of its own when other code writes through the same one.
   */
  commit(name: string, token: number, checkpoint: StoredCheckpoint, work: (tx: ReadTx) => Promise<void>): Promise<void> {
    return this.transaction(async (tx) => {
      await work(tx);
      this.fenceSync(name, token);
      upsertCheckpoint(this.db, name, checkpoint);
    });
  }

  transaction<T>(work: (tx: ReadTx) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      const tx: ReadTx = {
        dialect: 'sqlite',
        run: (sql, params = []) => {
          this.db.prepare(sql).run(...params);
          return Promise.resolve();
        },
        runAll: (writes) => {
          for (const write of writes) this.prepared(write.sql).run(...write.params.map(finiteValue));
          return Promise.resolve();
        },
        query: <R>(sql: string, params: readonly ReadValue[] = []) => Promise.resolve(this.db.prepare(sql).all(...params) as R[]),
      };
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(tx);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Statements by their SQL: queries are few and fixed, so preparing each once keeps reads as fast as before. */
  private readonly statements = new Map<string, Database.Statement>();

  private prepared(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  query<T>(sql: string, params: readonly ReadValue[] = []): Promise<T[]> {
    return Promise.resolve(this.prepared(sql).all(...params) as T[]);
  }

  run(sql: string, params: readonly ReadValue[] = []): Promise<number> {
    return Promise.resolve(this.prepared(sql).run(...params).changes);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface CheckpointRow {
  position: number;
  version: number;
  store: string | null;
  event_id: string | null;
  epoch: string | null;
}

/** A stored row as the port's checkpoint; the marks of #24.2 only when known (checkpoints of before it have none). */
export function checkpointOf(row: CheckpointRow): StoredCheckpoint {
  return {
    position: Number(row.position),
    version: row.version,
    store: row.store,
    ...(row.event_id !== null ? { eventId: row.event_id } : {}),
    ...(row.epoch !== null ? { epoch: row.epoch } : {}),
  };
}

export function upsertCheckpoint(db: Database.Database, name: string, checkpoint: StoredCheckpoint): void {
  db.prepare(
    `INSERT INTO projection_checkpoints (name, position, version, store, event_id, epoch) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET position = excluded.position, version = excluded.version, store = excluded.store,
       event_id = excluded.event_id, epoch = excluded.epoch`,
  ).run(name, checkpoint.position, checkpoint.version, checkpoint.store, checkpoint.eventId ?? null, checkpoint.epoch ?? null);
}
