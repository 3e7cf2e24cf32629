import { EventEmitter } from 'node:events';
import { Client, Pool, type QueryConfig } from 'pg';
import { DEFAULT_POSTGRES_DEADLINES, postgresSessionSettings, survivePoolErrors, type PostgresDeadlines } from '@recert/kernel';
import { ConcurrencyError, EventStoreUnavailableError, InvalidStoreInputError, PartialDuplicateError } from '../errors';
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
import { SqlEventRow, toRecorded } from '../sql-event-row';
import { APPEND_LOCK_KEY, APPENDED_CHANNEL, Migration, MIGRATION_LOCK_KEY, MIGRATIONS } from './migrations';

export { APPEND_LOCK_KEY } from './migrations';

export interface PostgresEventStoreOptions {
  /** `postgres://` or `postgresql://` URL. A `schema` query parameter names the schema (default `eventstore`). */
  connectionString: string;
  /** Overrides the URL's `schema` parameter. Lower-case letters, digits and underscores. */
  schema?: string;
  /** Connections in the pool (a live subscription's LISTEN connection is one more). */
  poolSize?: number;
  /** How often a live subscription reads the log when no notification arrived (a lost NOTIFY costs this much). */
  pollIntervalMs?: number;
  /** Events read per page by readAll and subscriptions. */
  batchSize?: number;
  /** Store time for `recordedAt`; domain time lives in metadata. */
  now?: () => Date;
  /** Statement, lock and connection deadlines (#24.1); defaults: DEFAULT_POSTGRES_DEADLINES. */
  deadlines?: Partial<PostgresDeadlines>;
  /** Appends waiting for the group commit; one more is refused at once (EventStoreUnavailableError). Default 10,000. */
  maxPendingAppends?: number;
  /** Where warnings go (a migration left for `npm run store:migrate`). */
  log?: (message: string) => void;
}

/** A stored event as the read statements return it (rowMode array): the columns of EVENT_COLUMNS in order. */
type EventRow = SqlEventRow;
/** What append_one returns for one append (append_many: the same, each row after its item number). */
type AppendRow = [
  outcome: 'appended' | 'duplicate' | 'partial_duplicate' | 'conflict',
  revision: number,
  /** Position of the first event appended; null unless appended. */
  firstPosition: string | null,
  /** Positions of the events already stored, for a duplicate. */
  stored: string[] | null,
];

interface PendingAppend {
  stream: string;
  events: readonly NewEvent[];
  expected: ExpectedRevision;
  /** performance.now() when it was queued: an append not sent within its deadline is refused, never sent late. */
  queuedAt: number;
  resolve: (result: AppendResult) => void;
  reject: (error: Error) => void;
}

/** Largest group of appends one commit carries. */
const MAX_APPENDS_PER_COMMIT = 500;
/** The readiness probe waits at most this long for the append lock (an orchestrator's probe times out at ~1 s). */
const PROBE_LOCK_TIMEOUT_MS = 1_000;

const RECORDED_AT = `to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const EVENT_COLUMNS = `position, stream, revision, id, type, data::text, metadata::text, ${RECORDED_AT}`;
const DEFAULT_SCHEMA = 'eventstore';

/** Splits our own `schema` parameter off the URL: the driver would pass unknown parameters on to the server. */
export function parsePostgresUrl(url: string): { connectionString: string; schema: string | undefined } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema };
}

/** `postgres://host:port/database/schema`: enough to tell two logs apart, no user nor password. */
export function identityOf(connectionString: string, schema: string): string {
  const url = new URL(connectionString);
  return `postgres://${url.host}${url.pathname}/${schema}`;
}

export function isPostgresUrl(url: string | undefined): boolean {
  return /^postgres(ql)?:\/\//.test(url ?? '');
}

/**
 * The event store on PostgreSQL, for several processes sharing one log. Appends are serialised by a
 * transaction-scoped advisory lock held until commit (ADR 0007): positions are assigned in commit order, so a
 * reader that has seen position n has seen everything before it, and a subscription can never skip an event whose
 * transaction commits late. The schema is created and migrated on start.
 */
export class PostgresEventStore implements EventStore {
  readonly kind = 'postgres' as const;
  /** Which log this is, for checkpoints: host, database and schema, never credentials. */
  readonly identity: string;
  readonly schema: string;
  private readonly pool: Pool;
  private readonly connectionString: string;
  private readonly deadlines: Partial<PostgresDeadlines>;
  /** How long an append may wait in this process's queue before it is refused unsent. */
  private readonly appendDeadlineMs: number;
  private readonly maxPendingAppends: number;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly now: () => Date;
  private readonly log: ((message: string) => void) | undefined;
  private readonly appended = new EventEmitter();
  private readonly subscriptions = new Set<Subscription>();
  private migrated: Promise<void> | undefined;
  private listener: Promise<Client> | undefined;
  private closed = false;
  private readonly queue = new GroupCommitQueue<PendingAppend>((batch) => this.flush(batch), MAX_APPENDS_PER_COMMIT);
  private readonly sql: ReturnType<typeof statements>;

  constructor(options: PostgresEventStoreOptions) {
    const parsed = parsePostgresUrl(options.connectionString);
    this.schema = options.schema ?? parsed.schema ?? DEFAULT_SCHEMA;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.schema)) throw new Error(`Bad event-store schema name: ${this.schema}`);
    this.connectionString = parsed.connectionString;
    this.identity = identityOf(this.connectionString, this.schema);
    this.deadlines = options.deadlines ?? {};
    this.appendDeadlineMs = this.deadlines.statementTimeoutMs ?? DEFAULT_POSTGRES_DEADLINES.statementTimeoutMs;
    this.maxPendingAppends = options.maxPendingAppends ?? 10_000;
    // Deadlines and READ COMMITTED on every connection, whatever the database's defaults (#24.1, #24.5).
    this.pool = new Pool({
      connectionString: this.connectionString,
      max: options.poolSize ?? 8,
      application_name: 'recert',
      ...postgresSessionSettings(this.deadlines),
    });
    // An idle connection the server dropped: the pool discards it and opens another on demand.
    survivePoolErrors(this.pool);
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.batchSize = options.batchSize ?? 1000;
    this.now = options.now ?? (() => new Date());
    this.log = options.log;
    this.appended.setMaxListeners(0);
    this.sql = statements(this.schema);
    // Migrate at start; a server that is down now is retried by the first call that needs it.
    this.ready().catch(() => undefined);
  }

  /** Resolves once the schema is at the newest migration; a failed attempt is retried by the next caller. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The event store is closed'));
    this.migrated ??= this.migrate().catch((error: unknown) => {
      this.migrated = undefined;
      throw wrap(error);
    });
    return this.migrated;
  }

  private async migrate(): Promise<void> {
    // A connection of its own without statement or lock deadline: a migration may wait for another process's, or
    // build an index for minutes, and must not be cancelled half-way at every start (#24.1).
    const client = new Client({
      connectionString: this.connectionString,
      application_name: 'recert-migrate',
      ...postgresSessionSettings(this.deadlines, [], true),
    });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK_KEY, this.schema]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.schema}.schema_migrations (
           version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const applied = await client.query<{ version: number }>(`SELECT version FROM ${this.schema}.schema_migrations`);
      const done = new Set(applied.rows.map((row) => row.version));
      const fresh = done.size === 0;
      const deferred: Migration[] = [];
      for (const migration of MIGRATIONS) {
        if (done.has(migration.version)) continue;
        // A lock on a live table waits for every reader and stops every append: npm run store:migrate runs it instead.
        if (migration.concurrently && !fresh) {
          deferred.push(migration);
          continue;
        }
        await client.query(migration.sql(this.schema));
        await client.query(`INSERT INTO ${this.schema}.schema_migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
      }
      await client.query('COMMIT');
      if (deferred.length > 0) {
        this.log?.(
          `event store ${this.identity}: migrations ${deferred.map((m) => `${m.version} (${m.name})`).join(', ')} wait for npm run store:migrate (ADR 0007)`,
        );
      }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * `npm run store:migrate`: the migrations the start leaves pending (`concurrently`), each statement on its own outside
   * a transaction, then recorded; returns their versions. Runs beside live services: no lock is held while a statement
   * waits for their transactions, so each statement is idempotent and two runs at once do no harm.
   */
  async migrateOutsideStart(): Promise<number[]> {
    await this.ready();
    const applied = new Set(await this.migrations());
    const ran: number[] = [];
    // A connection of its own, without the pool's deadlines: building an index on a large log takes what it takes.
    const client = new Client({ connectionString: this.connectionString, application_name: 'recert-migrate' });
    try {
      await client.connect();
      await client.query('SET statement_timeout = 0');
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version) || !migration.concurrently) continue;
        for (const statement of migration.concurrently(this.schema)) await client.query(statement);
        await client.query(
          `INSERT INTO ${this.schema}.schema_migrations (version, name) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING`,
          [migration.version, migration.name],
        );
        ran.push(migration.version);
      }
    } catch (error) {
      throw wrap(error);
    } finally {
      await client.end().catch(() => undefined);
    }
    return ran;
  }

  /** Versions of the applied migrations, oldest first. */
  async migrations(): Promise<number[]> {
    const rows = await this.query<[number]>({ text: `SELECT version FROM ${this.schema}.schema_migrations ORDER BY version` });
    return rows.map((row) => row[0]);
  }

  /**
   * Group commit: appends wait while this process's previous commit is in flight, then go together as one statement
   * in autocommit (one round trip, one transaction, one WAL flush). Each is acknowledged once that has committed.
   * One append alone (one caller) goes through append_one directly; several through append_many.
   */
  append(stream: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
    if (this.closed) return Promise.reject(new Error('The event store is closed'));
    // Bounded (#24.1): while the store does not answer, callers hear so at once instead of piling up in memory.
    if (this.queue.size >= this.maxPendingAppends) {
      return Promise.reject(new EventStoreUnavailableError(`PostgreSQL: ${this.queue.size} appends already wait for the store`));
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ stream, events, expected: options.expectedRevision, queuedAt: performance.now(), resolve, reject });
    });
  }

  private async flush(group: readonly PendingAppend[]): Promise<void> {
    const now = performance.now();
    const batch: PendingAppend[] = [];
    for (const append of group) {
      // Queued past its deadline behind commits that hung: refused unsent (so surely not stored), not sent late.
      if (now - append.queuedAt > this.appendDeadlineMs) {
        append.reject(new EventStoreUnavailableError('PostgreSQL: the append waited past its deadline for the store'));
      } else batch.push(append);
    }
    if (batch.length === 0) return;
    const recordedAt = this.now().toISOString();
    let rows: AppendRow[];
    try {
      rows = batch.length === 1 ? await this.appendOne(batch[0] as PendingAppend, recordedAt) : await this.appendMany(batch, recordedAt);
    } catch (error) {
      // The statement failed as a whole: nothing of the batch was stored. When an append's own content made it fail
      // (bad input, a unique violation), each goes again alone, in order, so only that one fails (#24.6).
      if (batch.length > 1 && isAppendFault(error)) return this.flushOneByOne(batch, recordedAt);
      const failure = await this.appendError(error, batch.length === 1 ? batch[0] : undefined);
      for (const append of batch) append.reject(failure);
      return;
    }
    if (this.settle(batch, rows, recordedAt)) this.appended.emit('appended');
  }

  private async flushOneByOne(batch: readonly PendingAppend[], recordedAt: string): Promise<void> {
    let appended = false;
    for (const append of batch) {
      try {
        appended = this.settle([append], await this.appendOne(append, recordedAt), recordedAt) || appended;
      } catch (error) {
        append.reject(await this.appendError(error, append));
      }
    }
    if (appended) this.appended.emit('appended');
  }

  /** Answers each append of a committed statement from its row; true when any stored events. */
  private settle(batch: readonly PendingAppend[], rows: readonly AppendRow[], recordedAt: string): boolean {
    let appended = false;
    batch.forEach((append, index) => {
      const row = rows[index];
      if (!row) return append.reject(new EventStoreUnavailableError('PostgreSQL: the append function returned too few rows'));
      const [outcome, revision, firstPosition, stored] = row;
      if (outcome === 'conflict') return append.reject(new ConcurrencyError(append.stream, append.expected, revision));
      if (outcome === 'partial_duplicate') return append.reject(new PartialDuplicateError(append.stream));
      const positions = outcome === 'appended' ? append.events.map((_, i) => Number(firstPosition) + i) : (stored ?? []).map(Number);
      appended ||= outcome === 'appended';
      append.resolve({
        nextExpectedRevision: revision,
        position: positions[positions.length - 1] ?? 0,
        positions,
        duplicate: outcome === 'duplicate',
        // A duplicate's events were stored by an earlier append, at another time.
        ...(outcome === 'appended' ? { recordedAt } : {}),
      });
    });
    return appended;
  }

  /**
   * What the caller of a failed append sees. A unique violation on a position or a revision means a writer outside
   * the append lock got there first: a conflict, with the stream's actual revision (the command is decided again).
   */
  private async appendError(error: unknown, append: PendingAppend | undefined): Promise<Error> {
    const cause = driverError(error);
    if (append && cause && isWriteRace(cause)) {
      const last = await this.readStream(append.stream, { direction: 'backwards', maxCount: 1 }).catch(() => undefined);
      if (last) return new ConcurrencyError(append.stream, append.expected, last[0]?.revision ?? -1);
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  /** The common case with one caller: one append, its own statement (no batch wrapper, no sort). */
  private appendOne(append: PendingAppend, recordedAt: string): Promise<AppendRow[]> {
    const { events } = append;
    return this.query<AppendRow>({
      ...this.sql.appendOne,
      values: [
        append.stream,
        expectedCode(append.expected),
        events.map((event) => event.id),
        events.map((event) => event.type),
        events.map((event) => JSON.stringify(event.data)),
        events.map((event) => JSON.stringify(event.metadata)),
        recordedAt,
      ],
    });
  }

  private async appendMany(batch: readonly PendingAppend[], recordedAt: string): Promise<AppendRow[]> {
    const events = batch.flatMap((append) => append.events);
    const rows = await this.query<[item: number, ...AppendRow]>({
      ...this.sql.appendMany,
      values: [
        batch.map((append) => append.stream),
        batch.map((append) => expectedCode(append.expected)),
        batch.map((append) => append.events.length),
        events.map((event) => event.id),
        events.map((event) => event.type),
        events.map((event) => JSON.stringify(event.data)),
        events.map((event) => JSON.stringify(event.metadata)),
        recordedAt,
      ],
    });
    return rows.map(([, ...row]) => row);
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const statement = backwards ? this.sql.readBackward : this.sql.readForward;
    const from = options.fromRevision ?? (backwards ? 2_147_483_647 : 0);
    const rows = await this.query<EventRow>({ ...statement, values: [stream, from, options.maxCount ?? null] });
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = options.maxCount ?? this.batchSize;
    const types = options.filter?.eventTypes;
    const result: RecordedEvent[] = [];
    if (types?.length === 0) return result;
    let after = options.after ?? 0;
    // With a filter, keep reading pages until maxCount matching events or the end of the log.
    for (;;) {
      const rows = await this.query<EventRow>(
        types
          ? { ...this.sql.readTypesAfter, values: [after, [...types], this.batchSize] }
          : { ...this.sql.readAfter, values: [after, this.batchSize] },
      );
      for (const row of rows) {
        after = Number(row[0]);
        if (matchesFilter(options.filter, row[4], row[1])) {
          result.push(toRecorded(row));
          if (result.length >= maxCount) return result;
        }
      }
      if (rows.length < this.batchSize) return result;
    }
  }

  /**
   * A page of the log for subscriptions: every row's position, stream and type (so the scan can move past
   * filtered-out events), the payloads only of the rows of wanted types.
   */
  private async readPage(after: number, filter: EventFilter | undefined, limit: number) {
    const rows = await this.query<EventRow>({
      ...this.sql.readPage,
      values: [after, filter?.eventTypes ? [...filter.eventTypes] : null, limit],
    });
    const events: RecordedEvent[] = [];
    let scannedTo = after;
    let scannedId: string | undefined;
    for (const row of rows) {
      scannedTo = Number(row[0]);
      scannedId = row[3];
      if (matchesFilter(filter, row[4], row[1])) events.push(toRecorded(row));
    }
    return { events, scannedTo, scannedId, rowCount: rows.length };
  }

  /**
   * Catch-up by pages, then live: woken by appends of this process at once, by other processes through
   * LISTEN/NOTIFY, and by a poll in case a notification was lost (the LISTEN connection dropped).
   */
  subscribe(options: SubscribeOptions, handlers: SubscriptionHandlers): Subscription {
    this.listen();
    return pollingSubscription(
      {
        readPage: (after, filter, limit) => this.readPage(after, filter, limit),
        appended: this.appended,
        pollIntervalMs: this.pollIntervalMs,
        subscriptions: this.subscriptions,
      },
      { ...options, limit: options.batchSize ?? this.batchSize },
      handlers,
    );
  }

  /** One LISTEN connection per store, opened with the first subscription; if it drops, polling carries on alone. */
  private listen(): void {
    if (this.listener || this.closed) return;
    const client = new Client({
      connectionString: this.connectionString,
      application_name: 'recert-listen',
      ...postgresSessionSettings(this.deadlines),
    });
    const forget = (): void => {
      this.listener = undefined;
      client.end().catch(() => undefined);
    };
    client.on('error', forget);
    client.on('notification', (message) => {
      if (message.channel === APPENDED_CHANNEL && message.payload === this.schema) this.appended.emit('appended');
    });
    this.listener = client
      .connect()
      .then(() => client.query(`LISTEN ${APPENDED_CHANNEL}`))
      .then(() => client);
    this.listener.catch(forget);
  }

  async headPosition(): Promise<number> {
    const [row] = await this.query<[string]>(this.sql.head);
    return Number(row?.[0] ?? 0);
  }

  /**
   * Readiness of the write path (#24.1), not just of the connection: no append has waited past its deadline here,
   * and the append lock can be taken within PROBE_LOCK_TIMEOUT_MS (a session holding it, an operator's open
   * transaction, makes this process unready rather than green while every append waits). Taken and let go at once.
   */
  async ping(): Promise<void> {
    const oldest = this.queue.oldest;
    if (oldest && performance.now() - oldest.queuedAt > this.appendDeadlineMs) {
      throw new EventStoreUnavailableError('PostgreSQL: appends wait past their deadline');
    }
    if (this.closed) throw new Error('The event store is closed');
    await this.ready();
    const probeMs = Math.min(PROBE_LOCK_TIMEOUT_MS, this.deadlines.lockTimeoutMs ?? DEFAULT_POSTGRES_DEADLINES.lockTimeoutMs);
    try {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SET LOCAL lock_timeout = ${probeMs}`);
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [APPEND_LOCK_KEY, this.schema]);
      } finally {
        // Back in the pool only once the transaction (and the lock) is gone; a broken connection is discarded.
        await client.query('ROLLBACK').then(
          () => client.release(),
          (error: unknown) => client.release(error instanceof Error ? error : true),
        );
      }
    } catch (error) {
      throw wrap(error);
    }
  }

  async epoch(): Promise<string> {
    const [row] = await this.query<[string]>(this.sql.epoch);
    if (!row) throw new EventStoreUnavailableError(`PostgreSQL: ${this.schema}.store_epoch has no row`);
    return row[0];
  }

  /** A new epoch, after the database was restored or failed over (`npm run store:new-epoch`): every checkpoint is rebuilt. */
  async newEpoch(): Promise<string> {
    const [row] = await this.query<[string]>({
      text: `UPDATE ${this.schema}.store_epoch SET epoch = gen_random_uuid(), changed_at = now() RETURNING epoch`,
    });
    if (!row) throw new EventStoreUnavailableError(`PostgreSQL: ${this.schema}.store_epoch has no row`);
    return row[0];
  }

  async eventIdAt(position: number): Promise<string | undefined> {
    const [row] = await this.query<[string]>({ ...this.sql.eventIdAt, values: [position] });
    return row?.[0];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Appends already accepted are committed (or refused) before the pool goes.
    await this.queue.drain();
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.then((client) => client.end()).catch(() => undefined);
    await this.migrated?.catch(() => undefined);
    await this.pool.end();
  }

  /** Runs a statement once the schema is ready, rows as arrays; driver errors become EventStoreUnavailableError. */
  private async query<Row extends unknown[]>(config: QueryConfig): Promise<Row[]> {
    if (this.closed) throw new Error('The event store is closed');
    await this.ready();
    try {
      const result = await this.pool.query<Row>({ ...config, rowMode: 'array' });
      return result.rows;
    } catch (error) {
      throw wrap(error);
    }
  }
}

/** The store's statements for one schema, named so each connection prepares them once. */
function statements(schema: string) {
  const named = (name: string, text: string) => ({ name: `recert_${schema}_${name}`, text });
  return {
    appendOne: named(
      'append_one',
      `SELECT outcome, revision, first_position, stored FROM ${schema}.append_one($1, $2, $3, $4, $5, $6, $7)`,
    ),
    appendMany: named(
      'append_many',
      `SELECT item, outcome, revision, first_position, stored FROM ${schema}.append_many($1, $2, $3, $4, $5, $6, $7, $8) ORDER BY item`,
    ),
    readForward: named(
      'read_forward',
      `SELECT ${EVENT_COLUMNS} FROM ${schema}.events WHERE stream = $1 AND revision >= $2 ORDER BY revision LIMIT $3`,
    ),
    readBackward: named(
      'read_backward',
      `SELECT ${EVENT_COLUMNS} FROM ${schema}.events WHERE stream = $1 AND revision <= $2 ORDER BY revision DESC LIMIT $3`,
    ),
    readAfter: named('read_after', `SELECT ${EVENT_COLUMNS} FROM ${schema}.events WHERE position > $1 ORDER BY position LIMIT $2`),
    readTypesAfter: named(
      'read_types_after',
      `SELECT ${EVENT_COLUMNS} FROM ${schema}.events WHERE position > $1 AND type = ANY($2::text[]) ORDER BY position LIMIT $3`,
    ),
    readPage: named(
      'read_page',
      `SELECT position, stream, revision, id, type,
              CASE WHEN $2::text[] IS NULL OR type = ANY($2::text[]) THEN data::text END,
              CASE WHEN $2::text[] IS NULL OR type = ANY($2::text[]) THEN metadata::text END,
              ${RECORDED_AT}
         FROM ${schema}.events WHERE position > $1 ORDER BY position LIMIT $3`,
    ),
    head: named('head', `SELECT coalesce(max(position), 0) FROM ${schema}.events`),
    epoch: named('epoch', `SELECT epoch::text FROM ${schema}.store_epoch WHERE id = 1`),
    eventIdAt: named('event_id_at', `SELECT id FROM ${schema}.events WHERE position = $1`),
  };
}

/** The expected revision as append_one takes it: a revision, or a negative code for the three named cases. */
function expectedCode(expected: ExpectedRevision): number {
  switch (expected) {
    case 'no_stream':
      return -1;
    case 'any':
      return -2;
    case 'stream_exists':
      return -3;
    default:
      // A revision is never negative: such a number must not pass for one of the codes, so it matches nothing.
      return Number.isInteger(expected) && expected >= 0 ? expected : -4;
  }
}

/** SQLSTATE and constraint of a node-postgres error, wrapped or not. */
function driverError(error: unknown): { code: string; constraint: string | undefined } | undefined {
  const found = error instanceof EventStoreUnavailableError || error instanceof InvalidStoreInputError ? error.cause : error;
  const code = (found as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  const constraint = (found as { constraint?: unknown }).constraint;
  return { code, constraint: typeof constraint === 'string' ? constraint : undefined };
}

/** A unique violation on a position or a revision: another writer took it (not this append's content). */
function isWriteRace(cause: { code: string; constraint: string | undefined }): boolean {
  return cause.code === '23505' && (cause.constraint === 'events_pkey' || cause.constraint === 'events_stream_revision');
}

/** Failures an append's own content causes (data exceptions, integrity violations), as opposed to the server's state. */
function isAppendFault(error: unknown): boolean {
  const code = driverError(error)?.code;
  return code !== undefined && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * Driver errors by meaning (#24.6): bad input (class 22: a NUL or an invalid byte sequence in text, a malformed
 * value) and integrity violations of its own (an event id given twice in one append, a missing value) are the
 * caller's; a position or revision taken by another writer is a conflict (see appendError); everything else (a deadline passed, the server
 * down or shutting down, too many connections) is the store being unavailable.
 */
function wrap(error: unknown): Error {
  if (error instanceof EventStoreUnavailableError || error instanceof InvalidStoreInputError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const cause = driverError(error);
  if (cause && (cause.code.startsWith('22') || (cause.code.startsWith('23') && !isWriteRace(cause)))) {
    return new InvalidStoreInputError(`PostgreSQL refused the input: ${message}`, { cause: error });
  }
  return new EventStoreUnavailableError(`PostgreSQL: ${message}`, { cause: error });
}
