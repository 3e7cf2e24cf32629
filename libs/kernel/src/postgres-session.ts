/**
 * What every recert connection to PostgreSQL is opened with (#24.1, #24.5): deadlines, so no call waits for ever
 * on a held lock, a hung server or a dead network, and READ COMMITTED whatever the database's default, so the
 * append function's reads after its advisory lock see every append committed before it (under REPEATABLE READ the
 * snapshot predates the lock: two appends took the same position, `duplicate key ... events_pkey`).
 */
export interface PostgresDeadlines {
  /** The server cancels a statement running longer (PG_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs: number;
  /** The server gives up a lock wait, the append lock's included (PG_LOCK_TIMEOUT_MS). */
  lockTimeoutMs: number;
  /** Opening a connection (PG_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
  /** The server ends a session left idle inside a transaction. */
  idleInTransactionTimeoutMs: number;
}

export const DEFAULT_POSTGRES_DEADLINES: PostgresDeadlines = {
  statementTimeoutMs: 10_000,
  lockTimeoutMs: 5_000,
  connectTimeoutMs: 5_000,
  idleInTransactionTimeoutMs: 60_000,
};

/** Client-side margin over statement_timeout: the server's own cancel answers first while it is reachable. */
const CLIENT_DEADLINE_MARGIN_MS = 5_000;

/** The part of node-postgres's pool and client settings that carries `PostgresDeadlines` and the isolation. */
export interface PostgresSessionSettings {
  connectionTimeoutMillis: number;
  query_timeout: number;
  keepAlive: true;
  keepAliveInitialDelayMillis: number;
  options: string;
}

/**
 * The settings for a pool or client. `statement_timeout` and `lock_timeout` are server-side (the server answers
 * 57014 / 55P03); `query_timeout` bounds a call when the server cannot answer at all (packets dropped), and TCP
 * keepalive finds a dead idle connection. `extraOptions` are more `-c name=value` pairs (e.g. a search_path).
 * `unbounded`: no statement, lock or query deadline (schema migrations, which may legitimately wait long).
 */
export function postgresSessionSettings(
  deadlines: Partial<PostgresDeadlines> = {},
  extraOptions: readonly string[] = [],
  unbounded = false,
): PostgresSessionSettings {
  const d = { ...DEFAULT_POSTGRES_DEADLINES, ...deadlines };
  const options = [
    // The backslash keeps the space inside the value (the server splits `options` on unescaped spaces).
    '-c default_transaction_isolation=read\\ committed',
    `-c statement_timeout=${unbounded ? 0 : d.statementTimeoutMs}`,
    `-c lock_timeout=${unbounded ? 0 : d.lockTimeoutMs}`,
    `-c idle_in_transaction_session_timeout=${d.idleInTransactionTimeoutMs}`,
    ...extraOptions.map((option) => `-c ${option}`),
  ].join(' ');
  return {
    connectionTimeoutMillis: d.connectTimeoutMs,
    // node-postgres treats 0 as "none"; a migration may take long, not for ever: a day.
    query_timeout: unbounded ? 86_400_000 : d.statementTimeoutMs + CLIENT_DEADLINE_MARGIN_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    options,
  };
}

/** What a pool needs of the listener API: the pool's own `error`, and each client's on `connect`. */
interface ListenablePool {
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'connect', listener: (client: { on(event: 'error', listener: (error: Error) => void): unknown }) => void): unknown;
}

/**
 * A server-side end of a connection (a deadline such as `idle_in_transaction_session_timeout` on a starved process, a
 * restart, an admin's `pg_terminate_backend`) is an `error` event on its client. The pool listens only while a client
 * is idle; one checked out and between statements would crash the process with an unhandled `error`. Here every
 * client listens for its whole life: the work on it fails with the error instead, and the pool drops the broken
 * client when it is released.
 */
export function survivePoolErrors(pool: ListenablePool): void {
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
}
