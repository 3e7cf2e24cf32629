import { Client, escapeLiteral, Pool, PoolClient, types } from 'pg';
import { postgresSessionSettings, survivePoolErrors, type PostgresDeadlines } from '@recert/kernel';
import {
  CheckpointRow,
  checkpointOf,
  finiteValue,
  ownerIsGone,
  ProjectorLease,
  ReadStore,
  ReadTx,
  ReadValue,
  StaleProjectorError,
  StoredCheckpoint,
  Write,
} from './read-store';

/** The read store's schema, unless the URL's `readStoreSchema` parameter names another (tests use one each). */
const DEFAULT_SCHEMA = 'recert_read';

/** pg_advisory_lock key for the read store's set-up ("recert-rd" as a number), distinct from the others'. */
const SETUP_LOCK = 0x7265_6365_7274_5244n;

/** The database's clock in epoch milliseconds: leases run on the server's time, never a process's (#23.2). */
const DB_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

const COORDINATION = `
  CREATE TABLE IF NOT EXISTS projection_checkpoints (name TEXT PRIMARY KEY, position BIGINT NOT NULL, version INTEGER NOT NULL, store TEXT);
  ALTER TABLE projection_checkpoints ADD COLUMN IF NOT EXISTS event_id TEXT;
  ALTER TABLE projection_checkpoints ADD COLUMN IF NOT EXISTS epoch TEXT;
  CREATE TABLE IF NOT EXISTS projector_leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, token BIGINT NOT NULL, expires_at BIGINT NOT NULL);`;

/**
 * Numbers as numbers, as SQLite gives them: `count(*)`, `sum()` and BIGINT columns would otherwise come back as
 * strings, and the queries are shared by both adapters. Read-model numbers (positions, counts, epoch milliseconds)
 * stay far below 2^53.
 */
const INT8 = 20;
const NUMERIC = 1700;
const READ_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): ((value: string) => unknown) =>
    oid === INT8 || oid === NUMERIC
      ? (value: string) => Number(value)
      : (types.getTypeParser(oid, format) as (value: string) => unknown)) as typeof types.getTypeParser,
};

/** The SQL texts numbered so far: a rebuild numbers the same multi-row upserts (thousands of `?`) on every page. */
const numberedTexts = new Map<string, string>();
const NUMBERED_TEXTS_KEPT = 500;

/** `?` placeholders (the port's, shared with SQLite) as PostgreSQL's `$n`; no `?` sits inside a literal in our SQL. */
export function numbered(sql: string): string {
  const known = numberedTexts.get(sql);
  if (known !== undefined) return known;
  let n = 0;
  const text = sql.replace(/\?/g, () => `$${(n += 1)}`);
  if (numberedTexts.size >= NUMBERED_TEXTS_KEPT) numberedTexts.clear();
  numberedTexts.set(sql, text);
  return text;
}

/** A value as a literal. Quoted like the driver's parameters (text of unknown type), so the server types it alike. */
function literal(value: ReadValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') return `'${String(finiteValue(value))}'`;
  if (typeof value !== 'string') throw new Error(`runAll: unsupported parameter type ${typeof value}`);
  // pg's escapeLiteral doubles quotes and backslashes, E'…' when there are backslashes: right whatever
  // standard_conforming_strings says.
  return escapeLiteral(value);
}

/**
 * `sql` with its `?` placeholders replaced by `params` as literals. A `?` inside a quoted literal or identifier of
 * the SQL text is refused rather than guessed at (our SQL has none); so is a count of placeholders that does not match.
 */
export function inlined(sql: string, params: readonly ReadValue[]): string {
  let out = '';
  let n = 0;
  let quote: "'" | '"' | null = null;
  for (const c of sql) {
    if (quote !== null) {
      if (c === '?') throw new Error(`runAll: a ? inside a quoted part of the SQL: ${sql}`);
      if (c === quote) quote = null; // a doubled quote closes and reopens: same outcome
      out += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      out += c;
    } else if (c === '?') {
      if (n >= params.length) throw new Error(`runAll: more placeholders than parameters: ${sql}`);
      out += literal(params[n] as ReadValue);
      n += 1;
    } else out += c;
  }
  if (quote !== null) throw new Error(`runAll: an unclosed quote in the SQL: ${sql}`);
  if (n !== params.length) throw new Error(`runAll: ${params.length} parameters for ${n} placeholders: ${sql}`);
  return out;
}

/** One multi-statement text holds at most this many statements or about this many characters. */
const BATCH_STATEMENTS = 500;
const BATCH_CHARS = 1_000_000;

/** `writes` as multi-statement texts, in order, each within the batch limits (a single larger statement alone). */
export function batchTexts(writes: readonly Write[]): string[] {
  const texts: string[] = [];
  let parts: string[] = [];
  let chars = 0;
  for (const write of writes) {
    const statement = inlined(write.sql, write.params);
    if (parts.length > 0 && (parts.length >= BATCH_STATEMENTS || chars + statement.length > BATCH_CHARS)) {
      texts.push(parts.join(';\n'));
      parts = [];
      chars = 0;
    }
    parts.push(statement);
    chars += statement.length + 2;
  }
  if (parts.length > 0) texts.push(parts.join(';\n'));
  return texts;
}

/** A transaction's statements on one pooled client, `?` placeholders numbered. */
function txOf(client: PoolClient): ReadTx {
  return {
    dialect: 'postgres',
    run: async (sql, params = []) => {
      await client.query(numbered(sql), [...params]);
    },
    // Without parameters the driver uses the simple protocol, which runs a multi-statement text in one round trip,
    // inside the unit's transaction: the first failing statement fails the call and the unit rolls back whole.
    runAll: async (writes) => {
      for (const text of batchTexts(writes)) await client.query(text);
    },
    query: async <T>(sql: string, params: readonly ReadValue[] = []) => (await client.query(numbered(sql), [...params])).rows as T[],
  };
}

/**
 * The PostgreSQL adapter (`READ_STORE_URL=postgres://…`): one schema of its own, which may sit in the event store's
 * database. A unit of work locks its projector's lease row (`FOR UPDATE`) after its writes and checks the token
 * under that lock, so a take-over waits for a commit in flight and no write of the old holder commits after it.
 * Open it with `idleInTransactionTimeoutMs` near the lease's time: the server then ends the transaction of a
 * projector paused inside a unit, whose row locks would otherwise hold up its successor's writes.
 */
export class PostgresReadStore implements ReadStore {
  readonly kind = 'postgres' as const;

  private constructor(
    private readonly pool: Pool,
    private readonly setupUrl: string,
    private readonly schema: string,
    private readonly deadlines: Partial<PostgresDeadlines>,
  ) {}

  static async open(connectionString: string, poolSize = 5, deadlines: Partial<PostgresDeadlines> = {}): Promise<PostgresReadStore> {
    const url = new URL(connectionString);
    const schema = url.searchParams.get('readStoreSchema') ?? DEFAULT_SCHEMA;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`Bad read-store schema name: ${schema}`);
    for (const parameter of ['schema', 'sharedStateSchema', 'readStoreSchema']) url.searchParams.delete(parameter);
    const pool = new Pool({
      connectionString: url.toString(),
      max: poolSize,
      application_name: 'recert-read-store',
      types: READ_TYPES,
      ...postgresSessionSettings(deadlines, [`search_path=${schema}`]),
    });
    survivePoolErrors(pool);
    const store = new PostgresReadStore(pool, url.toString(), schema, deadlines);
    try {
      await store.setup();
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  async setup(): Promise<void> {
    // Its own connection, without statement deadline: waiting for another process's set-up is normal.
    const client = new Client({
      connectionString: this.setupUrl,
      application_name: 'recert-read-store-setup',
      ...postgresSessionSettings(this.deadlines, [`search_path=${this.schema}`], true),
    });
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [SETUP_LOCK.toString()]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
        await client.query(COORDINATION);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [SETUP_LOCK.toString()]);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<ProjectorLease | null> {
    return this.onClient(async (client) => {
      await client.query(
        `INSERT INTO projector_leases (name, owner, token, expires_at) VALUES ($1, $2, 0, 0) ON CONFLICT (name) DO NOTHING`,
        [name, owner],
      );
      const { rows } = await client.query<{ owner: string; token: string; expires_at: string; now: string }>(
        `SELECT owner, token, expires_at, ${DB_NOW_MS} AS now FROM projector_leases WHERE name = $1 FOR UPDATE`,
        [name],
      );
      const row = rows[0];
      if (!row) return null;
      const now = Number(row.now);
      const live = Number(row.expires_at) > now;
      const expiresAt = now + ttlMs;
      let token = Number(row.token);
      if (!(row.owner === owner && live)) {
        if (live && !ownerIsGone(row.owner)) return null;
        token += 1;
      }
      await client.query('UPDATE projector_leases SET owner = $2, token = $3, expires_at = $4 WHERE name = $1', [
        name,
        owner,
        token,
        expiresAt,
      ]);
      return { name, owner, token, expiresAt };
    });
  }

  async release(name: string, owner: string, token: number): Promise<void> {
    await this.pool.query(`UPDATE projector_leases SET expires_at = ${DB_NOW_MS} - 1 WHERE name = $1 AND owner = $2 AND token = $3`, [
      name,
      owner,
      token,
    ]);
  }

  async lease(name: string): Promise<ProjectorLease | undefined> {
    const { rows } = await this.pool.query<{ owner: string; token: string; expires_at: string }>(
      'SELECT owner, token, expires_at FROM projector_leases WHERE name = $1',
      [name],
    );
    const row = rows[0];
    return row && { name, owner: row.owner, token: Number(row.token), expiresAt: Number(row.expires_at) };
  }

  async checkpoint(name: string): Promise<StoredCheckpoint | undefined> {
    const { rows } = await this.pool.query<CheckpointRow>(
      'SELECT position, version, store, event_id, epoch FROM projection_checkpoints WHERE name = $1',
      [name],
    );
    const row = rows[0];
    return row && checkpointOf(row);
  }

  async commit(name: string, token: number, checkpoint: StoredCheckpoint, work: (tx: ReadTx) => Promise<void>): Promise<void> {
    await this.onClient(async (client) => {
      await work(txOf(client));
      // The lease row last, locked until the commit: a take-over waits for it, and a unit whose lease was taken while
      // it worked is refused. Not first: a projector paused inside a unit must not hold the lease row (its session
      // ends after the pool's idle-in-transaction deadline; give the pool the lease's time, see `open`).
      const { rows } = await client.query<{ token: string }>('SELECT token FROM projector_leases WHERE name = $1 FOR UPDATE', [name]);
      if (rows[0] === undefined || Number(rows[0].token) !== token) throw new StaleProjectorError(name, token);
      await client.query(
        `INSERT INTO projection_checkpoints (name, position, version, store, event_id, epoch) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (name) DO UPDATE SET position = excluded.position, version = excluded.version, store = excluded.store,
           event_id = excluded.event_id, epoch = excluded.epoch`,
        [name, checkpoint.position, checkpoint.version, checkpoint.store, checkpoint.eventId ?? null, checkpoint.epoch ?? null],
      );
    });
  }

  async query<T>(sql: string, params: readonly ReadValue[] = []): Promise<T[]> {
    return (await this.pool.query(numbered(sql), [...params])).rows as T[];
  }

  async run(sql: string, params: readonly ReadValue[] = []): Promise<number> {
    return (await this.pool.query(numbered(sql), [...params])).rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  transaction<T>(work: (tx: ReadTx) => Promise<T>): Promise<T> {
    return this.onClient((client) => work(txOf(client)));
  }

  private async onClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // Why the connection ended, if it does meanwhile (the server's idle-in-transaction deadline on a paused process,
    // say): the calls on it then fail at once with only "not queryable", which says nothing of the cause.
    let ended: Error | undefined;
    const onError = (error: Error): void => {
      ended ??= error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (!ended) await client.query('ROLLBACK').catch(() => undefined);
      throw ended && error !== ended && !(error instanceof StaleProjectorError)
        ? new Error(`${String(error instanceof Error ? error.message : error)}: ${ended.message}`, { cause: error })
        : error;
    } finally {
      client.off('error', onError);
      // A broken client is dropped from the pool, never handed out again.
      client.release(ended);
    }
  }
}
