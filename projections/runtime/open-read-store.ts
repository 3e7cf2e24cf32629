import type Database from 'better-sqlite3';
import { type AppConfig, type PostgresDeadlines, redactUrl } from '@recert/kernel';
import { PostgresReadStore } from './postgres-read-store';
import { ReadStore, SqliteReadStore } from './read-store';

/** The read store's pool when PG_POOL_SIZE is unset (as the shared state's). */
const DEFAULT_POOL_SIZE = 5;

/**
 * The PostgreSQL deadlines of the read store's pool: the process's (PG_*), the idle-in-transaction one cut to the
 * projector lease, so the server ends the transaction of a projector paused inside a unit of work before its
 * successor's writes would wait on its row locks (`PostgresReadStore.open`).
 */
export function readStoreDeadlines(config: Pick<AppConfig, 'postgres' | 'projectorLeaseMs'>): PostgresDeadlines {
  const { statementTimeoutMs, lockTimeoutMs, connectTimeoutMs, idleInTransactionTimeoutMs } = config.postgres;
  return {
    statementTimeoutMs,
    lockTimeoutMs,
    connectTimeoutMs,
    // The server's setting is at least a second (config's floor for PG_IDLE_IN_TRANSACTION_TIMEOUT_MS).
    idleInTransactionTimeoutMs: Math.max(1_000, Math.min(idleInTransactionTimeoutMs, config.projectorLeaseMs)),
  };
}

/**
 * The process's read store (R140): PostgreSQL when READ_STORE_URL names it, else the SQLite adapter over `read.db`
 * (`readDb`, opened only in that mode).
 */
export async function openReadStore(
  config: Pick<AppConfig, 'readStoreUrl' | 'postgres' | 'projectorLeaseMs'>,
  readDb: () => Database.Database,
): Promise<ReadStore> {
  if (config.readStoreUrl === undefined) return new SqliteReadStore(readDb());
  try {
    return await PostgresReadStore.open(config.readStoreUrl, config.postgres.poolSize ?? DEFAULT_POOL_SIZE, readStoreDeadlines(config));
  } catch (error) {
    // Say which setting failed, never its password (pg's errors may quote the URL).
    const reason = redactUrl(error instanceof Error ? error.message : String(error));
    throw new Error(`READ_STORE_URL: cannot open the read store at ${redactUrl(config.readStoreUrl)}: ${reason}`);
  }
}

const NEST_PROBES = new Set([
  'then',
  'constructor',
  'onModuleInit',
  'onApplicationBootstrap',
  'onModuleDestroy',
  'beforeApplicationShutdown',
  'onApplicationShutdown',
]);

/**
 * Stands in for what exists in the `read.db` mode only (the database, its runner) when READ_STORE_URL is set: any
 * use throws, naming the setting, so code still reading `read.db` fails loudly instead of opening one (R141).
 */
export function onlyWithReadDb<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      // Nest and Promise probe providers for these while wiring; answering undefined keeps the stand-in inert.
      if (typeof property === 'symbol' || NEST_PROBES.has(property)) return undefined;
      throw new Error(
        `${what} is not open: READ_STORE_URL keeps the read models in PostgreSQL (use READ_STORE); asked for ${String(property)}`,
      );
    },
  });
}
