import { Pool, PoolClient } from 'pg';
import { SqlRunner, sqlWebhookState, WEBHOOK_CURSOR_MARK_MIGRATION, WEBHOOK_STATE_MIGRATION } from './sql-webhook-state';
import { doneLookup } from './sqlite-shared-state';
import {
  IDEMPOTENCY_CLAIM_TTL_MS,
  IDEMPOTENCY_RETENTION_MS,
  IdempotencyStore,
  KeyVaultStore,
  LeaseStore,
  RateCounterStore,
  SHARED_STATE_SCHEMA_VERSION,
  SharedState,
  WebhookStateStore,
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
  WEBHOOK_CURSOR_MARK_MIGRATION,
];

/** The tables' schema, unless the URL's `sharedStateSchema` parameter names another (tests use one each). */
const DEFAULT_SCHEMA = 'recert_shared_state';

/** pg_advisory_lock key for the shared-state migrations ("recert-ss" as a number), distinct from the event store's. */
const MIGRATION_LOCK = 0x7265_6365_7274_5353n;

/**
 * The PostgreSQL adapter: any number of processes on any number of machines. Every operation is one statement
 * (claims and leases are conditional upserts), so atomicity comes from PostgreSQL's row locks. Rate counters sit in
 * an UNLOGGED table: no WAL traffic per request, and a crash only resets a minute's counts.
 */
export class PostgresSharedState implements SharedState {
  readonly description: string;
  readonly keys: KeyVaultStore;
  readonly idempotency: IdempotencyStore;
  readonly leases: LeaseStore;
  readonly rateCounters: RateCounterStore;
  readonly webhooks: WebhookStateStore;

  private constructor(
    private readonly pool: Pool,
    connectionString: string,
  ) {
    this.description = withoutPassword(connectionString);
    this.keys = this.keyVault();
    this.idempotency = this.idempotencyStore();
    this.leases = this.leaseStore();
    this.rateCounters = this.rateCounterStore();
    this.webhooks = sqlWebhookState(this.runner());
  }

  private runner(): SqlRunner {
    const pool = this.pool;
    return {
      all: async <T>(sql: string, params: readonly unknown[]) => (await pool.query(sql, [...params])).rows as T[],
      atomically: async (statements) => {
        const client = await pool.connect();
        await inTransaction(client, async () => {
          for (const { sql, params } of statements) await client.query(sql, [...params]);
        }).finally(() => client.release());
      },
    };
  }

  /** Connects and migrates the schema (under an advisory lock, so processes starting together migrate once). */
  static async open(connectionString: string, poolSize = 5): Promise<PostgresSharedState> {
    // The URL may be the event store's, with its `schema` parameter: the shared state takes a schema of its own.
    const url = new URL(connectionString);
    const schema = url.searchParams.get('sharedStateSchema') ?? DEFAULT_SCHEMA;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`Bad shared-state schema name: ${schema}`);
    for (const parameter of ['schema', 'sharedStateSchema']) url.searchParams.delete(parameter);
    const pool = new Pool({
      connectionString: url.toString(),
      max: poolSize,
      connectionTimeoutMillis: 10_000,
      application_name: 'recert-shared-state',
      options: `-c search_path=${schema}`,
    });
    // An idle client's network error must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      try {
        await migrate(client, schema);
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresSharedState(pool, connectionString);
  }

  private keyVault(): KeyVaultStore {
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
        await pool.query(
          'INSERT INTO recert_personal_data_keys (subject, key) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (subject) DO NOTHING',
          [subjects, entries.map((entry) => entry.fresh)],
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

  private idempotencyStore(): IdempotencyStore {
    const pool = this.pool;
    return {
      claim: async (key, requestHash, nowMs) => {
        for (;;) {
          // Takes the key when it is free or its claim is stale; a done answer or a live claim is left alone.
          const taken = await pool.query(
            `INSERT INTO recert_idempotency (key, request_hash, state, updated_at) VALUES ($1, $2, 'claimed', $3)
             ON CONFLICT (key) DO UPDATE SET request_hash = EXCLUDED.request_hash, state = 'claimed', updated_at = EXCLUDED.updated_at
             WHERE recert_idempotency.state = 'claimed' AND recert_idempotency.updated_at <= $4 RETURNING key`,
            [key, requestHash, nowMs, nowMs - IDEMPOTENCY_CLAIM_TTL_MS],
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

  private leaseStore(): LeaseStore {
    const pool = this.pool;
    return {
      acquire: async (names, owner, untilMs, nowMs) => {
        if (names.length === 0) return [];
        const taken = await pool.query<{ name: string }>(
          `INSERT INTO recert_leases (name, owner, until_ms) SELECT name, $2, $3 FROM unnest($1::text[]) AS name
           ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, until_ms = EXCLUDED.until_ms
           WHERE recert_leases.until_ms < $4 OR recert_leases.owner = EXCLUDED.owner RETURNING name`,
          [names, owner, untilMs, nowMs],
        );
        return taken.rows.map((row) => row.name);
      },
      release: async (name, owner) => {
        await pool.query('DELETE FROM recert_leases WHERE name = $1 AND owner = $2', [name, owner]);
      },
      releaseOwner: async (owner) => (await pool.query('DELETE FROM recert_leases WHERE owner = $1', [owner])).rowCount ?? 0,
    };
  }

  private rateCounterStore(): RateCounterStore {
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
    await this.pool.query('DELETE FROM recert_leases WHERE until_ms < $1', [nowMs - 3600_000]);
    await this.idempotency.purge(nowMs);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function migrate(client: PoolClient, schema: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
  try {
    await inTransaction(client, () => migrateSchema(client, schema));
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]);
  }
}

/** Runs `work` between BEGIN and COMMIT on the client; a failure rolls back and is thrown on. */
async function inTransaction(client: PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function migrateSchema(client: PoolClient, schema: string): Promise<void> {
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
