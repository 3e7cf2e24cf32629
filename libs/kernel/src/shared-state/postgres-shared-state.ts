import { Client, ClientBase, Pool } from 'pg';
import { postgresSessionSettings, survivePoolErrors, type PostgresDeadlines } from '../postgres-session';
import { SqlRunner, WEBHOOK_CURSOR_MARK_MIGRATION, WEBHOOK_STATE_MIGRATION } from './sql-webhook-state';
import { SqlSharedState } from './sql-shared-state';
import { doneLookup } from './sqlite-shared-state';
import {
  IDEMPOTENCY_CLAIM_TTL_MS,
  IDEMPOTENCY_RETENTION_MS,
  IdempotencyStore,
  KeyVaultStore,
  LeaseStore,
  RateCounterStore,
  SHARED_STATE_SCHEMA_VERSION,
} from './shared-state.ports';

/** Each step brings the schema from version i to i + 1; never edit a shipped step, add one. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE recert_personal_data_keys (subject TEXT PRIMARY KEY, key BYTEA, erased_at TEXT);
   CREATE TABLE recert_idempotency (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, state TEXT NOT NULL, status INTEGER,
     body TEXT, updated_at BIGINT NOT NULL);
   CREATE INDEX recert_idempotency_updated ON recert_idempotency (updated_at);
   CREATE TABLE recert_leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until_ms BIGINT NOT NULL);
   CREATE UNLOGGED TABLE recert_rate_counters (key TEXT NOT NULL, window_start BIGINT NOT NULL, count INTEGER NOT NULL,
     PRIMARY KEY (key, window_start));`,
  WEBHOOK_STATE_MIGRATION,
  // #24.4: a lease's version, its fencing token (R56); a release keeps the row (and so the version) until the sweep.
  `ALTER TABLE recert_leases ADD COLUMN version BIGINT NOT NULL DEFAULT 0;`,
  WEBHOOK_CURSOR_MARK_MIGRATION,
];

/** The database's clock in epoch milliseconds: lease and claim times are the store's, never a process's (R56). */
const DB_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

/** The tables' schema, unless the URL's `sharedStateSchema` parameter names another (tests use one each). */
const DEFAULT_SCHEMA = 'recert_shared_state';

/** pg_advisory_lock key for the shared-state migrations ("recert-ss" as a number), distinct from the event store's. */
const MIGRATION_LOCK = 0x7265_6365_7274_5353n;

/**
 * The PostgreSQL adapter: any number of processes on any number of machines. Every operation is one statement
 * (claims and leases are conditional upserts), so atomicity comes from PostgreSQL's row locks. Rate counters sit in
 * an UNLOGGED table: no WAL traffic per request, and a crash only resets a minute's counts.
 */
export class PostgresSharedState extends SqlSharedState {
  readonly description: string;

  private constructor(
    private readonly pool: Pool,
    connectionString: string,
  ) {
    super();
    this.description = withoutPassword(connectionString);
    this.openStores();
  }

  protected runner(): SqlRunner {
    const pool = this.pool;
    return {
      all: async <T>(sql: string, params: readonly unknown[]) => (await pool.query(sql, [...params])).rows as T[],
      atomically: async (statements, guard) => {
        const client = await pool.connect();
        let passed = true;
        await inTransaction(client, async () => {
          if (guard) passed = ((await client.query(guard.sql, [...guard.params])).rowCount ?? 0) > 0;
          if (passed) for (const { sql, params } of statements) await client.query(sql, [...params]);
        }).finally(() => client.release());
        return passed;
      },
      // FOR UPDATE: an acquire moving the version waits until the guarded record has committed.
      leaseGuard: ({ lease, owner }) => ({
        sql: 'SELECT 1 FROM recert_leases WHERE name = $1 AND owner = $2 AND version = $3 FOR UPDATE',
        params: [lease.name, owner, lease.version],
      }),
    };
  }

  /** Connects and migrates the schema (under an advisory lock, so processes starting together migrate once). */
  static async open(connectionString: string, poolSize = 5, deadlines: Partial<PostgresDeadlines> = {}): Promise<PostgresSharedState> {
    // The URL may be the event store's, with its `schema` parameter: the shared state takes a schema of its own.
    const url = new URL(connectionString);
    const schema = url.searchParams.get('sharedStateSchema') ?? DEFAULT_SCHEMA;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`Bad shared-state schema name: ${schema}`);
    for (const parameter of ['schema', 'sharedStateSchema']) url.searchParams.delete(parameter);
    const pool = new Pool({
      connectionString: url.toString(),
      max: poolSize,
      application_name: 'recert-shared-state',
      // Deadlines and READ COMMITTED whatever the database's defaults (#24.1, #24.5).
      ...postgresSessionSettings(deadlines, [`search_path=${schema}`]),
    });
    // An idle client's network error must not crash the process; the next query reconnects.
    survivePoolErrors(pool);
    try {
      // Its own connection without statement or lock deadline: waiting for another process's migration is normal.
      const client = new Client({
        connectionString: url.toString(),
        application_name: 'recert-shared-state-migrate',
        ...postgresSessionSettings(deadlines, [`search_path=${schema}`], true),
      });
      await client.connect();
      try {
        await migrate(client, schema);
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresSharedState(pool, connectionString);
  }

  protected keyVault(): KeyVaultStore {
    const pool = this.pool;
    const row = async (subject: string): Promise<{ key: Buffer | null; erased_at: string | null } | undefined> =>
      (
        await pool.query<{ key: Buffer | null; erased_at: string | null }>(
          'SELECT key, erased_at FROM recert_personal_data_keys WHERE subject = $1',
          [subject],
        )
      ).rows[0];
    return {
      key: async (subject) => (await row(subject))?.key ?? null,
      keyOrCreate: async (subject, fresh) => {
        await pool.query('INSERT INTO recert_personal_data_keys (subject, key) VALUES ($1, $2) ON CONFLICT (subject) DO NOTHING', [
          subject,
          fresh,
        ]);
        return (await row(subject))?.key ?? null;
      },
      keysOrCreate: async (entries) => {
        if (entries.length === 0) return [];
        const subjects = entries.map((entry) => entry.subject);
        // Sorted, so two imports sealing overlapping subjects wait for each other's inserts in one order (#22.1).
        await retryingConflicts(() =>
          pool.query(
            `INSERT INTO recert_personal_data_keys (subject, key)
             SELECT subject, key FROM unnest($1::text[], $2::bytea[]) AS entry(subject, key) ORDER BY subject COLLATE "C"
             ON CONFLICT (subject) DO NOTHING`,
            [subjects, entries.map((entry) => entry.fresh)],
          ),
        );
        const rows = (
          await pool.query<{ subject: string; key: Buffer | null }>(
            'SELECT subject, key FROM recert_personal_data_keys WHERE subject = ANY($1::text[])',
            [subjects],
          )
        ).rows;
        const bySubject = new Map(rows.map((found) => [found.subject, found.key]));
        return subjects.map((subject) => bySubject.get(subject) ?? null);
      },
      isErased: async (subject) => Boolean((await row(subject))?.erased_at),
      storedKeys: async (after, limit) =>
        (
          await pool.query<{ subject: string; key: Buffer }>(
            'SELECT subject, key FROM recert_personal_data_keys WHERE subject COLLATE "C" > $1 AND key IS NOT NULL ORDER BY subject COLLATE "C" LIMIT $2',
            [after, limit],
          )
        ).rows,
      replaceKey: async (subject, from, to) =>
        (await pool.query('UPDATE recert_personal_data_keys SET key = $3 WHERE subject = $1 AND key = $2', [subject, from, to]))
          .rowCount === 1,
      // The row version holding the key stays in the table's pages until VACUUM reuses them (ADR 0008).
      erase: async (subject, at) => {
        await pool.query(
          `INSERT INTO recert_personal_data_keys (subject, key, erased_at) VALUES ($1, NULL, $2)
           ON CONFLICT (subject) DO UPDATE SET key = NULL, erased_at = EXCLUDED.erased_at`,
          [subject, at.toISOString()],
        );
      },
    };
  }

  protected idempotencyStore(): IdempotencyStore {
    const pool = this.pool;
    return {
      claim: async (key, requestHash, _nowMs, staleAfterMs = IDEMPOTENCY_CLAIM_TTL_MS) => {
        for (;;) {
          // Takes the key when it is free or its claim is stale by the database's clock; a done answer or a live claim
          // is left alone.
          const taken = await pool.query(
            `INSERT INTO recert_idempotency (key, request_hash, state, updated_at) VALUES ($1, $2, 'claimed', ${DB_NOW_MS})
             ON CONFLICT (key) DO UPDATE SET request_hash = EXCLUDED.request_hash, state = 'claimed', updated_at = EXCLUDED.updated_at
             WHERE recert_idempotency.state = 'claimed' AND recert_idempotency.updated_at <= EXCLUDED.updated_at - $3 RETURNING key`,
            [key, requestHash, staleAfterMs],
          );
          if (taken.rowCount === 1) return { kind: 'new' };
          const row = (
            await pool.query<{ request_hash: string; state: string; status: number | null; body: string | null }>(
              'SELECT request_hash, state, status, body FROM recert_idempotency WHERE key = $1',
              [key],
            )
          ).rows[0];
          // Released between the two statements: try to take it again.
          if (!row) continue;
          return row.state === 'done' ? doneLookup(row, requestHash) : { kind: 'in-progress' };
        }
      },
      complete: async (key, status, body, nowMs) => {
        await pool.query("UPDATE recert_idempotency SET state = 'done', status = $1, body = $2, updated_at = $3 WHERE key = $4", [
          status,
          JSON.stringify(body),
          nowMs,
          key,
        ]);
      },
      release: async (key) => {
        await pool.query("DELETE FROM recert_idempotency WHERE key = $1 AND state = 'claimed'", [key]);
      },
      purge: async (nowMs) =>
        (await pool.query('DELETE FROM recert_idempotency WHERE updated_at < $1', [nowMs - IDEMPOTENCY_RETENTION_MS])).rowCount ?? 0,
    };
  }

  protected leaseStore(): LeaseStore {
    const pool = this.pool;
    return {
      acquire: async (names, owner, ttlMs) => {
        if (names.length === 0) return [];
        // Row locks are taken in the order rows are inserted: every caller takes them in one global order (sorted,
        // each name once), so two callers with overlapping names queue instead of deadlocking (#22.1). Time is the
        // database's (R56): EXCLUDED.until_ms - ttl is its now.
        const taken = await retryingConflicts(() =>
          pool.query<{ name: string; version: string }>(
            `INSERT INTO recert_leases (name, owner, until_ms, version)
             SELECT name, $2, ${DB_NOW_MS} + $3, 1
               FROM (SELECT DISTINCT name FROM unnest($1::text[]) AS name) AS wanted ORDER BY name COLLATE "C"
             ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, until_ms = EXCLUDED.until_ms, version = recert_leases.version + 1
             WHERE recert_leases.until_ms < EXCLUDED.until_ms - $3 OR recert_leases.owner = EXCLUDED.owner
             RETURNING name, version`,
            [names, owner, ttlMs],
          ),
        );
        const got = new Map(taken.rows.map((row) => [row.name, Number(row.version)]));
        // In the caller's order, each name once.
        return [...new Set(names)].flatMap((name) => {
          const version = got.get(name);
          return version === undefined ? [] : [{ name, version }];
        });
      },
      holds: async (lease, owner) =>
        (
          await pool.query('SELECT 1 FROM recert_leases WHERE name = $1 AND owner = $2 AND version = $3', [
            lease.name,
            owner,
            lease.version,
          ])
        ).rowCount === 1,
      // Ended, not deleted: the row keeps its version, so a holder from before never matches again (the sweep drops it).
      release: async (name, owner) => {
        await pool.query('UPDATE recert_leases SET until_ms = 0 WHERE name = $1 AND owner = $2', [name, owner]);
      },
      // Updates in heap order, which may cross an acquire's sorted order: the loser of such a deadlock tries once more.
      releaseOwner: async (owner) =>
        (await retryingConflicts(() => pool.query('UPDATE recert_leases SET until_ms = 0 WHERE owner = $1 AND until_ms > 0', [owner])))
          .rowCount ?? 0,
    };
  }

  protected rateCounterStore(): RateCounterStore {
    const pool = this.pool;
    return {
      hit: async (key, windowStartMs) =>
        (
          await pool.query<{ count: number }>(
            `INSERT INTO recert_rate_counters (key, window_start, count) VALUES ($1, $2, 1)
             ON CONFLICT (key, window_start) DO UPDATE SET count = recert_rate_counters.count + 1 RETURNING count`,
            [key, windowStartMs],
          )
        ).rows[0]?.count ?? 1,
    };
  }

  async sweep(nowMs: number): Promise<void> {
    await this.pool.query('DELETE FROM recert_rate_counters WHERE window_start < $1', [nowMs - 3600_000]);
    await retryingConflicts(() => this.pool.query('DELETE FROM recert_leases WHERE until_ms < $1', [nowMs - 3600_000]));
    await this.idempotency.purge(nowMs);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** SQLSTATEs of a transaction PostgreSQL aborted so another could go on: deadlock detected, serialization failure. */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Runs one statement, once more if PostgreSQL chose it as a deadlock's or serialisation's victim: the statement
 * stands alone (autocommit), so its retry sees the winner's rows. Sorted lock order makes this rare (a release by
 * owner or a sweep still deletes in heap order); the retry makes it harmless.
 */
export async function retryingConflicts<T>(run: () => Promise<T>, retries = 1): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (attempt >= retries || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
    }
  }
}

async function migrate(client: ClientBase, schema: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
  try {
    await inTransaction(client, () => migrateSchema(client, schema));
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]);
  }
}

/** Runs `work` between BEGIN and COMMIT on the client; a failure rolls back and is thrown on. */
async function inTransaction(client: ClientBase, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function migrateSchema(client: ClientBase, schema: string): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await client.query('CREATE TABLE IF NOT EXISTS recert_shared_state_schema (version INTEGER NOT NULL)');
  const row = (await client.query<{ version: number }>('SELECT version FROM recert_shared_state_schema')).rows[0];
  const from = row?.version ?? 0;
  if (from > SHARED_STATE_SCHEMA_VERSION) {
    throw new Error(`The shared state is at schema ${from}, newer than this build's ${SHARED_STATE_SCHEMA_VERSION}`);
  }
  for (let version = from; version < SHARED_STATE_SCHEMA_VERSION; version += 1) await client.query(MIGRATIONS[version] ?? '');
  if (!row) await client.query('INSERT INTO recert_shared_state_schema (version) VALUES ($1)', [SHARED_STATE_SCHEMA_VERSION]);
  else await client.query('UPDATE recert_shared_state_schema SET version = $1', [SHARED_STATE_SCHEMA_VERSION]);
}

/** The URL for logs and health: never its password. */
export function withoutPassword(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
