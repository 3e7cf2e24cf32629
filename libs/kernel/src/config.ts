import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Every start-up setting of the HTTP contract, read once from the environment and checked. */
export interface AppConfig {
  port: number;
  dataDir: string;
  eventStoreConnectionString: string | undefined;
  /** EventStoreDB only: prefix of recert's streams on a shared cluster (STREAM_PREFIX, e.g. `recert.`); '' for none. */
  streamPrefix: string;
  jwtSecret: string;
  /** True when no AUTH_JWT_SECRET was given and the development secret is in use. */
  jwtSecretIsDevelopment: boolean;
  clock: 'system' | 'manual';
  clockStart: Date | undefined;
  schedulerIntervalMs: number;
  catalogFile: string;
  policyFile: string;
  /** SQLite durability: FULL survives power loss, NORMAL a killed process only. */
  storeSynchronous: 'FULL' | 'NORMAL';
  /** Largest accepted request body. */
  bodyLimit: string;
  /** Requests per minute per token (or per address when anonymous); 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** How often the notification outbox is dispatched; 0 turns the dispatcher off. */
  dispatchIntervalMs: number;
  /** How long a query with ?consistentWith waits for its read model before answering 503. */
  consistencyTimeoutMs: number;
  /** Benchmarks only: mounts POST /bench/noop, the ceiling the api benchmark compares commands with. */
  benchNoopRoute: boolean;
  /** How renewal notifications leave: `file` (DATA_DIR/notifications) or `smtp` (SMTP_URL, SMTP_FROM). */
  notificationSender: 'file' | 'smtp';
  smtpUrl: string | undefined;
  smtpFrom: string;
  /** Changed rows a read model's rebuild from zero holds before writing them: its memory against its speed. */
  rebuildCacheRows: number;
  /** Embedded store: commit on a writer thread (STORE_WRITER_THREAD, default on), so the fsync never holds requests. */
  storeWriterThread: boolean;
  /**
   * `run` (default): this process keeps the read models up to date. `follow`: it only serves them from the shared
   * read database while another process (the worker) runs the projections, off this process's event loop.
   */
  projections: 'run' | 'follow';
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export const DEVELOPMENT_JWT_SECRET = 'recert-development-secret-do-not-use-in-production';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The folder holding recert's package.json, found from this file in both src and dist layouts. */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'recert') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new ConfigError('Cannot find the recert project folder');
    dir = parent;
  }
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const clock = env['CLOCK'] ?? 'system';
  if (clock !== 'system' && clock !== 'manual') throw new ConfigError(`CLOCK must be "system" or "manual", got "${clock}"`);
  let clockStart: Date | undefined;
  if (env['CLOCK_START']) {
    clockStart = new Date(env['CLOCK_START']);
    // Date rolls 2025-02-30 over to 2 March: the calendar date written must exist (#16.15).
    const written = /^(\d{4})-(\d{2})-(\d{2})/.exec(env['CLOCK_START']);
    const dateExists =
      written !== null &&
      new Date(Date.UTC(Number(written[1]), Number(written[2]) - 1, Number(written[3]))).getUTCDate() === Number(written[3]);
    if (Number.isNaN(clockStart.getTime()) || !dateExists)
      throw new ConfigError(`CLOCK_START is not an ISO 8601 instant: "${env['CLOCK_START']}"`);
  }
  const synchronous = (env['STORE_SYNCHRONOUS'] ?? 'FULL').toUpperCase();
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new ConfigError('STORE_SYNCHRONOUS must be FULL or NORMAL');
  const projections = env['PROJECTIONS'] ?? 'run';
  if (projections !== 'run' && projections !== 'follow')
    throw new ConfigError(`PROJECTIONS must be "run" or "follow", got "${projections}"`);
  const writerThread = env['STORE_WRITER_THREAD'] ?? '1';
  if (writerThread !== '0' && writerThread !== '1') throw new ConfigError('STORE_WRITER_THREAD must be 0 or 1');
  const root = projectRoot();
  const catalogFile = resolve(env['CATALOG_FILE'] ?? join(root, 'config', 'catalog.json'));
  const policyFile = resolve(env['POLICY_FILE'] ?? join(root, 'config', 'policy.json'));
  for (const [name, file] of [
    ['CATALOG_FILE', catalogFile],
    ['POLICY_FILE', policyFile],
  ] as const) {
    if (!existsSync(file)) throw new ConfigError(`${name} does not exist: ${file}`);
  }
  const secret = env['AUTH_JWT_SECRET'];
  if (secret !== undefined && secret.length < 32) throw new ConfigError('AUTH_JWT_SECRET must be at least 32 characters');
  const sender = env['NOTIFICATION_SENDER'] ?? 'file';
  if (sender !== 'file' && sender !== 'smtp') throw new ConfigError(`NOTIFICATION_SENDER must be "file" or "smtp", got "${sender}"`);
  if (sender === 'smtp' && !/^smtps?:\/\//.test(env['SMTP_URL'] ?? ''))
    throw new ConfigError('NOTIFICATION_SENDER=smtp needs SMTP_URL (smtp:// or smtps://)');
  if (env['SMTP_URL']) assertUrl('SMTP_URL', env['SMTP_URL']);
  const connection = env['EVENTSTORE_CONNECTION_STRING'];
  if (connection && !/^esdb(\+discover)?:\/\//.test(connection)) {
    throw new ConfigError('EVENTSTORE_CONNECTION_STRING must start with esdb:// or esdb+discover://');
  }
  const streamPrefix = env['STREAM_PREFIX'] ?? '';
  if (!/^(?:[A-Za-z0-9][A-Za-z0-9_.:]*)?$/.test(streamPrefix))
    throw new ConfigError(`STREAM_PREFIX must be letters, digits, '_', '.' or ':' (not starting with '$'), got "${streamPrefix}"`);
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    dataDir: resolve(env['DATA_DIR'] ?? './data'),
    eventStoreConnectionString: connection || undefined,
    streamPrefix,
    jwtSecret: secret ?? DEVELOPMENT_JWT_SECRET,
    jwtSecretIsDevelopment: secret === undefined,
    clock,
    clockStart,
    schedulerIntervalMs: integer(env, 'SCHEDULER_INTERVAL_MS', 60_000, 0, 86_400_000),
    catalogFile,
    policyFile,
    storeSynchronous: synchronous,
    bodyLimit: env['BODY_LIMIT'] ?? '64kb',
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 6000, 0, 10_000_000),
    dispatchIntervalMs: integer(env, 'DISPATCH_INTERVAL_MS', 5000, 0, 86_400_000),
    consistencyTimeoutMs: integer(env, 'CONSISTENCY_TIMEOUT_MS', 5000, 1, 60_000),
    benchNoopRoute: env['BENCH_NOOP_ROUTE'] === '1',
    notificationSender: sender,
    smtpUrl: env['SMTP_URL'] || undefined,
    smtpFrom: env['SMTP_FROM'] ?? 'recert <no-reply@recert.example>',
    rebuildCacheRows: integer(env, 'REBUILD_CACHE_ROWS', 50_000, 1, 10_000_000),
    storeWriterThread: writerThread === '1',
    projections,
  };
}

/** For entry points: the config, or a one-line reason on stderr and exit code 2 (no stack trace for a typo). */
export function loadConfigOrExit(processName: string, env: NodeJS.ProcessEnv = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${processName}: ${error.message}\n`);
    process.exit(2);
  }
}

/** A URL's user and password replaced, even in a malformed one: for every error and log line that names it (#16.9). */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s]*@/gi, '$1***:***@');
}

/** Refuses a malformed URL setting with a message naming it, never its credentials (URL's own error carries them). */
function assertUrl(name: string, value: string): void {
  try {
    const url = new URL(value);
    if (!url.hostname) throw new Error('no host');
  } catch {
    throw new ConfigError(`${name} is not a valid URL: ${redactUrl(value)}`);
  }
}
