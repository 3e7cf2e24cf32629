import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { positional, SqlRunner, WEBHOOK_CURSOR_MARK_MIGRATION, WEBHOOK_STATE_MIGRATION } from './sql-webhook-state';
import { SqlSharedState } from './sql-shared-state';
import {
  IDEMPOTENCY_CLAIM_TTL_MS,
  IDEMPOTENCY_RETENTION_MS,
  IdempotencyLookup,
  IdempotencyStore,
  KeyVaultStore,
  Lease,
  LeaseStore,
  RateCounterStore,
  SHARED_STATE_SCHEMA_VERSION,
} from './shared-state.ports';

interface IdempotencyRow {
  request_hash: string;
  state: string;
  status: number | null;
  body: string | null;
  updated_at: number;
}

/** Each step brings the schema from version i to i + 1; never edit a shipped step, add one. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE personal_data_keys (subject TEXT PRIMARY KEY, key BLOB, erased_at TEXT);
   CREATE TABLE idempotency (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, state TEXT NOT NULL, status INTEGER, body TEXT,
     updated_at INTEGER NOT NULL);
   CREATE INDEX idempotency_updated ON idempotency (updated_at);
   CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until_ms INTEGER NOT NULL);
   CREATE TABLE rate_counters (key TEXT NOT NULL, window_start INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (key, window_start));`,
  WEBHOOK_STATE_MIGRATION,
  // #24.4: a lease's version, its fencing token (R56); a release keeps the row (and so the version) until the sweep.
  `ALTER TABLE leases ADD COLUMN version INTEGER NOT NULL DEFAULT 0;`,
  WEBHOOK_CURSOR_MARK_MIGRATION,
];

/** SQLite's own clock in epoch milliseconds: lease and claim times are the store's, never a process's (R56). */
const DB_NOW_MS = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;

/**
 * The embedded adapter: one SQLite file (WAL, busy_timeout) shared by every process of one machine. Writes take
 * the file's write lock (BEGIN IMMEDIATE), so claims and leases are atomic across processes, not only threads.
 * secure_delete overwrites deleted content in the file, and an erasure truncates the WAL, so an erased key
 * survives in no page of the file, its WAL or its shared memory, even after a SIGKILL.
 */
export class SqliteSharedState extends SqlSharedState {
  readonly description: string;
  private readonly db: Database.Database;
  /** Counters on a connection of their own that never waits for the disk: losing a minute's counts to a crash is harmless. */
  private readonly countersDb: Database.Database;

  constructor(readonly file: string) {
    super();
    mkdirSync(dirname(file), { recursive: true });
    this.description = `sqlite:${file}`;
    this.db = new Database(file);
    this.db.pragma('busy_timeout = 15000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('secure_delete = ON');
    this.migrate();
    this.countersDb = new Database(file);
    this.countersDb.pragma('busy_timeout = 15000');
    this.countersDb.pragma('synchronous = OFF');
    this.openStores();
  }

  /** Statements for the webhook state; a batch runs under the write lock, so it is atomic across processes. */
  protected runner(): SqlRunner {
    const db = this.db;
    const statements = new Map<string, Database.Statement>();
    const prepared = (sql: string): Database.Statement => {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = db.prepare(sql)));
      return statement;
    };
    const batch = db.transaction((list: { sql: string; params: unknown[] }[], guard?: { sql: string; params: unknown[] }): boolean => {
      if (guard && prepared(guard.sql).get(...guard.params) === undefined) return false;
      for (const { sql, params } of list) prepared(sql).run(...params);
      return true;
    });
    return {
      all: <T>(sql: string, params: readonly unknown[]) => {
        const query = positional({ sql, params });
        return Promise.resolve(prepared(query.sql).all(...query.params) as T[]);
      },
      // Under the write lock (IMMEDIATE): no acquire moves the guard's version before the record commits.
      atomically: (list, guard) => Promise.resolve(batch.immediate(list.map(positional), guard && positional(guard))),
      leaseGuard: ({ lease, owner }) => ({
        sql: 'SELECT 1 AS held FROM leases WHERE name = $1 AND owner = $2 AND version = $3',
        params: [lease.name, owner, lease.version],
      }),
    };
  }

  /** Under the write lock, so two processes starting together migrate once. */
  private migrate(): void {
    this.db
      .transaction(() => {
        this.db.exec('CREATE TABLE IF NOT EXISTS shared_state_schema (version INTEGER NOT NULL)');
        const row = this.db.prepare<[], { version: number }>('SELECT version FROM shared_state_schema').get();
        const from = row?.version ?? 0;
        if (from > SHARED_STATE_SCHEMA_VERSION) {
          throw new Error(`The shared state ${this.file} is at schema ${from}, newer than this build's ${SHARED_STATE_SCHEMA_VERSION}`);
        }
        for (let version = from; version < SHARED_STATE_SCHEMA_VERSION; version += 1) this.db.exec(MIGRATIONS[version] ?? '');
        if (!row) this.db.prepare('INSERT INTO shared_state_schema (version) VALUES (?)').run(SHARED_STATE_SCHEMA_VERSION);
        else this.db.prepare('UPDATE shared_state_schema SET version = ?').run(SHARED_STATE_SCHEMA_VERSION);
      })
      .immediate();
  }

  protected keyVault(): KeyVaultStore {
    const db = this.db;
    const select = db.prepare<[string], { key: Buffer | null; erased_at: string | null }>(
      'SELECT key, erased_at FROM personal_data_keys WHERE subject = ?',
    );
    const insert = db.prepare('INSERT OR IGNORE INTO personal_data_keys (subject, key) VALUES (?, ?)');
    const insertMany = db.transaction((entries: readonly { subject: string; fresh: Buffer }[]) => {
      for (const { subject, fresh } of entries) insert.run(subject, fresh);
    });
    const erase = db.prepare(
      'INSERT INTO personal_data_keys (subject, key, erased_at) VALUES (?, NULL, ?) ON CONFLICT(subject) DO UPDATE SET key = NULL, erased_at = excluded.erased_at',
    );
    return {
      key: (subject) => Promise.resolve(select.get(subject)?.key ?? null),
      keyOrCreate: (subject, fresh) => {
        // INSERT OR IGNORE: two processes creating the same subject's key agree on the first one stored.
        insert.run(subject, fresh);
        return Promise.resolve(select.get(subject)?.key ?? null);
      },
      keysOrCreate: (entries) => {
        insertMany(entries);
        return Promise.resolve(entries.map(({ subject }) => select.get(subject)?.key ?? null));
      },
      isErased: (subject) => Promise.resolve(Boolean(select.get(subject)?.erased_at)),
      erase: (subject, at) => {
        erase.run(subject, at.toISOString());
        // The old page images (with the key) sit in the WAL until it is checkpointed and cut to zero bytes; a reader
        // of another process can hold that back, so try a few times, then leave it to the next erasure or start.
        for (let attempt = 0; attempt < 5; attempt += 1) {
          const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
          if (result?.busy === 0) break;
        }
        return Promise.resolve();
      },
      storedKeys: (after, limit) =>
        Promise.resolve(
          db
            .prepare<
              [string, number],
              { subject: string; key: Buffer }
            >('SELECT subject, key FROM personal_data_keys WHERE subject > ? AND key IS NOT NULL ORDER BY subject LIMIT ?')
            .all(after, limit),
        ),
      replaceKey: (subject, from, to) =>
        Promise.resolve(
          db.prepare('UPDATE personal_data_keys SET key = ? WHERE subject = ? AND key = ?').run(to, subject, from).changes === 1,
        ),
    };
  }

  protected idempotencyStore(): IdempotencyStore {
    const db = this.db;
    const select = db.prepare<[string], IdempotencyRow>('SELECT * FROM idempotency WHERE key = ?');
    const upsertClaim = db.prepare(
      "INSERT INTO idempotency (key, request_hash, state, updated_at) VALUES (?, ?, 'claimed', ?) ON CONFLICT(key) DO UPDATE SET request_hash = excluded.request_hash, state = 'claimed', updated_at = excluded.updated_at",
    );
    const dbNow = db.prepare<[], { now: number }>(`SELECT ${DB_NOW_MS} AS now`);
    const claim = db.transaction((key: string, requestHash: string, staleAfterMs: number): IdempotencyLookup => {
      const row = select.get(key);
      if (row?.state === 'done') return doneLookup(row, requestHash);
      // The claim's age on SQLite's clock, not the caller's (R56).
      const nowMs = dbNow.get()?.now ?? Date.now();
      if (row && nowMs - row.updated_at < staleAfterMs) return { kind: 'in-progress' };
      upsertClaim.run(key, requestHash, nowMs);
      return { kind: 'new' };
    });
    const complete = db.prepare("UPDATE idempotency SET state = 'done', status = ?, body = ?, updated_at = ? WHERE key = ?");
    const release = db.prepare("DELETE FROM idempotency WHERE key = ? AND state = 'claimed'");
    const purge = db.prepare('DELETE FROM idempotency WHERE updated_at < ?');
    return {
      claim: (key, requestHash, _nowMs, staleAfterMs = IDEMPOTENCY_CLAIM_TTL_MS) =>
        Promise.resolve(claim.immediate(key, requestHash, staleAfterMs)),
      complete: (key, status, body, nowMs) => {
        complete.run(status, JSON.stringify(body), nowMs, key);
        return Promise.resolve();
      },
      release: (key) => {
        release.run(key);
        return Promise.resolve();
      },
      purge: (nowMs) => Promise.resolve(purge.run(nowMs - IDEMPOTENCY_RETENTION_MS).changes),
    };
  }

  protected leaseStore(): LeaseStore {
    const db = this.db;
    // Time is SQLite's (R56): excluded.until_ms - ttl is its now.
    const take = db.prepare<[string, string, number, number], { name: string; version: number }>(
      `INSERT INTO leases (name, owner, until_ms, version) VALUES (?, ?, ${DB_NOW_MS} + ?, 1) ON CONFLICT(name) DO UPDATE SET
         owner = excluded.owner, until_ms = excluded.until_ms, version = leases.version + 1
         WHERE leases.until_ms < excluded.until_ms - ? OR leases.owner = excluded.owner RETURNING name, version`,
    );
    const acquire = db.transaction((names: readonly string[], owner: string, ttlMs: number): Lease[] =>
      [...new Set(names)].flatMap((name) => {
        const row = take.get(name, owner, ttlMs, ttlMs);
        return row ? [{ name, version: Number(row.version) }] : [];
      }),
    );
    const holds = db.prepare<[string, string, number], { one: number }>(
      'SELECT 1 AS one FROM leases WHERE name = ? AND owner = ? AND version = ?',
    );
    // Ended, not deleted: the row keeps its version, so a holder from before never matches again (the sweep drops it).
    const release = db.prepare('UPDATE leases SET until_ms = 0 WHERE name = ? AND owner = ?');
    const releaseOwner = db.prepare('UPDATE leases SET until_ms = 0 WHERE owner = ? AND until_ms > 0');
    return {
      acquire: (names, owner, ttlMs) => Promise.resolve(names.length === 0 ? [] : acquire.immediate(names, owner, ttlMs)),
      holds: (lease, owner) => Promise.resolve(holds.get(lease.name, owner, lease.version) !== undefined),
      release: (name, owner) => {
        release.run(name, owner);
        return Promise.resolve();
      },
      releaseOwner: (owner) => Promise.resolve(releaseOwner.run(owner).changes),
    };
  }

  protected rateCounterStore(): RateCounterStore {
    const hit = this.countersDb.prepare<[string, number], { count: number }>(
      `INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, 1)
       ON CONFLICT(key, window_start) DO UPDATE SET count = count + 1 RETURNING count`,
    );
    return { hit: (key, windowStartMs) => Promise.resolve(hit.get(key, windowStartMs)?.count ?? 1) };
  }

  sweep(nowMs: number): Promise<void> {
    this.countersDb.prepare('DELETE FROM rate_counters WHERE window_start < ?').run(nowMs - 3600_000);
    this.db.prepare('DELETE FROM leases WHERE until_ms < ?').run(nowMs - 3600_000);
    this.db.prepare('DELETE FROM idempotency WHERE updated_at < ?').run(nowMs - IDEMPOTENCY_RETENTION_MS);
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.countersDb.open) this.countersDb.close();
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}

export function doneLookup(row: Pick<IdempotencyRow, 'request_hash' | 'status' | 'body'>, requestHash: string): IdempotencyLookup {
  return {
    kind: 'done',
    status: row.status ?? 200,
    body: JSON.parse(row.body ?? 'null') as unknown,
    sameRequest: row.request_hash === requestHash,
  };
}
