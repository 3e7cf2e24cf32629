import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PostgresDeadlines } from './postgres-session';
import ipaddr from 'ipaddr.js';
import { KeyEncryptionKeys, readKeyEncryptionKeys } from './shared-state/key-wrapping';

/** Every start-up setting of the HTTP contract, read once from the environment and checked. */
export interface AppConfig {
  port: number;
  dataDir: string;
  eventStoreConnectionString: string | undefined;
  /** EventStoreDB only: prefix of recert's streams on a shared cluster (STREAM_PREFIX, e.g. `recert.`); '' for none. */
  streamPrefix: string;
  /** HS256 secret (AUTH_JWT_SECRET, else the development secret); undefined when only the issuer's tokens count. */
  jwtSecret: string | undefined;
  /** True when no AUTH_JWT_SECRET was given and the development secret is in use. */
  jwtSecretIsDevelopment: boolean;
  /** The OpenID Connect provider whose tokens sign people and systems in (OIDC_*, ADR 0015); undefined: HS256 only. */
  oidc: OidcConfig | undefined;
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
  /** Holder messages (#29): the templates' folder (one sub-folder per language) and the language of holders who chose none. */
  messages: { templatesDir: string; defaultLanguage: string; linkSecret: string | undefined };
  /** First back-off of a failed notice or status message (doubling to an hour), NOTIFICATION_RETRY_MS. */
  notificationRetryMs: number;
  /** Changed rows a read model's rebuild from zero holds before writing them: its memory against its speed. */
  rebuildCacheRows: number;
  /** A projector's lease on its read model, on the read database's clock: another process takes over within it (#23.2). */
  projectorLeaseMs: number;
  /** Where the state every process shares lives (keys, idempotency, leases, rate counters): `file:<path>` or `postgres://...`. */
  sharedStateUrl: string;
  /**
   * READ_STORE_URL (#23.1): every read model in PostgreSQL (`postgres://…[?readStoreSchema=name]`, schema `recert_read`
   * by default), shared by all processes; undefined: `read.db` in DATA_DIR, this process's own (the default).
   */
  readStoreUrl: string | undefined;
  /** Express `trust proxy`: which proxies' X-Forwarded-For names the client (rate limit by address); false trusts none. */
  trustProxy: boolean | number | string;
  /** How long a request repeating an Idempotency-Key that is still in progress waits for its answer before a 409. */
  idempotencyWaitMs: number;
  /** Log lines as JSON (one object a line) or human-readable; JSON unless standard output is a terminal. */
  logFormat: 'json' | 'pretty';
  /** A token that may read GET /metrics besides admins (compared in constant time); unset: admins only. */
  metricsToken: string | undefined;
  /** METRICS_AUTH_FAILURES_PER_MINUTE: failed /metrics authentications per client address a minute before 429 (R53); 0 turns it off. */
  metricsAuthFailuresPerMinute: number;
  /** WEBHOOK_ALLOWED_NETWORKS: CIDRs a webhook target may be in although not public unicast (R51); empty by default. */
  webhookAllowedNetworks: readonly string[];
  /** Node HTTP server: time to receive a request's headers, its whole request, and an idle keep-alive socket. */
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  httpKeepAliveTimeoutMs: number;
  /** After SIGTERM, how long in-flight work may take before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** /health/ready answers 503 while a read model is more than this many events behind the log. */
  readyMaxLagEvents: number;
  /** AUDIT_HMAC_KEY_FILE's key: the audit export's trailer then carries an HMAC-SHA256 of the chain head (#16.17). */
  auditHmacKey: Buffer | undefined;
  /** AUDIT_SIGNING_KEY_FILE's Ed25519 private key (PEM): the trailer then also carries a signed head (#16.17). */
  auditSigningKey: KeyObject | undefined;
  /** Embedded store: commit on a writer thread (STORE_WRITER_THREAD, default on), so the fsync never holds requests. */
  storeWriterThread: boolean;
  /**
   * `run` (default): this process keeps the read models up to date. `follow`: it only serves them from the shared
   * read database while another process (the worker) runs the projections, off this process's event loop.
   */
  projections: 'run' | 'follow';
  /** A checkpoint or webhook cursor the log no longer holds (restore, failover, #24.2): `rebuild` it from zero, or `stop` it. */
  rewoundLog: 'rebuild' | 'stop';
  /** PERSONAL_DATA_KEK_FILE's key-encryption keys (#24.3): personal-data keys are stored only wrapped under them. */
  personalDataKeks: KeyEncryptionKeys;
  /** True when no PERSONAL_DATA_KEK_FILE was given: the public development KEK wraps (refused in production). */
  personalDataKekIsDevelopment: boolean;
  /** Public verification and signed credentials (#13). */
  credentials: CredentialsConfig;
  /** PostgreSQL (event store and shared state): deadlines of every call and the bound of the pending appends (#24.1). */
  postgres: PostgresSettings;
  /** How long the rate limiter waits for its shared counter before letting the request through (#24.1). */
  rateLimitDeadlineMs: number;
}

export interface PostgresSettings extends PostgresDeadlines {
  /** Appends waiting for this process's group commit; one more is refused at once (503) rather than queued (PG_MAX_PENDING_APPENDS). */
  maxPendingAppends: number;
  /**
   * Connections of each PostgreSQL pool of this process (PG_POOL_SIZE, #23.6): the event store's, the shared state's
   * and the read store's. Unset: each pool's own default (event store 8, shared state 5). Budget: docs/adr/0009.
   */
  poolSize?: number;
}

export interface CredentialsConfig {
  /** Where third parties reach this service: verification links, the did:web issuer, status lists (PUBLIC_BASE_URL). */
  publicBaseUrl: string;
  /** The issuer's name on verifications and credentials (ISSUER_NAME). */
  issuerName: string;
  /** The issuer's keys (P-256 signs, Ed25519 only verifies), newest last (ISSUER_KEY_FILE); a development key is generated when unset. */
  issuerKeyFile: string;
  /** True when no ISSUER_KEY_FILE was given and a development key in DATA_DIR is in use. */
  issuerKeyIsDevelopment: boolean;
}

function credentialsConfig(env: NodeJS.ProcessEnv, port: number, dataDir: string): CredentialsConfig {
  const base = (env['PUBLIC_BASE_URL'] ?? `http://localhost:${port}`).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new ConfigError(`PUBLIC_BASE_URL is not a URL: "${base}"`);
  }
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash)
    throw new ConfigError('PUBLIC_BASE_URL must be an http(s) URL without query');
  const keyFile = env['ISSUER_KEY_FILE'];
  return {
    publicBaseUrl: base,
    issuerName: env['ISSUER_NAME'] ?? 'recert certification program',
    issuerKeyFile: resolve(keyFile || join(dataDir, 'issuer-keys.json')),
    issuerKeyIsDevelopment: !keyFile,
  };
}

export interface OidcConfig {
  /** OIDC_ISSUER, exactly as the provider writes `iss` (discovery at `<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  /** OIDC_AUDIENCE: the `aud` recert's access tokens must carry. */
  audience: string;
  /** OIDC_ROLES_CLAIM: where recert's role names are, a dotted path (`realm_access.roles`). */
  rolesClaim: string;
  /** OIDC_ACCOUNT_CLAIM: the claim naming the person's account, which owns certification profiles. */
  accountClaim: string;
  /** OIDC_CLIENT_ID: the pages' public client (authorization code with PKCE); unset: the pages cannot sign in. */
  clientId: string | undefined;
  /** OIDC_PAGES_SCOPE: what the pages ask for, e.g. `openid api://recert/access` (Entra needs the API's scope). */
  pagesScope: string;
  /** OIDC_JWKS_COOLDOWN_MS: least time between two fetches of the issuer's keys for an unknown `kid`. */
  jwksCooldownMs: number;
}

/** Hosts an `http://` issuer may have: this machine only (tests, local runs); anywhere else the keys need TLS. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** An issuer or key URL recert may fetch: https, or http on loopback; no credentials, query or fragment. */
export function assertIssuerUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL: "${redactUrl(raw)}"`);
  }
  if (url.username || url.password || url.search || url.hash) throw new ConfigError(`${name} must have no credentials, query or fragment`);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw new ConfigError(`${name} must be https:// (http:// only on a loopback host), got "${redactUrl(raw)}"`);
}

function oidcConfig(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const issuer = env['OIDC_ISSUER'];
  if (!issuer) {
    const stray = ['OIDC_AUDIENCE', 'OIDC_CLIENT_ID'].filter((name) => env[name]);
    if (stray.length > 0) throw new ConfigError(`${stray.join(', ')} set without OIDC_ISSUER`);
    return undefined;
  }
  assertIssuerUrl('OIDC_ISSUER', issuer);
  const audience = env['OIDC_AUDIENCE'];
  if (!audience) throw new ConfigError('OIDC_AUDIENCE is required with OIDC_ISSUER (the aud of recert access tokens)');
  const claimPath = /^[A-Za-z0-9_:$/-]+(?:\.[A-Za-z0-9_:$/-]+)*$/;
  const rolesClaim = env['OIDC_ROLES_CLAIM'] || 'roles';
  const accountClaim = env['OIDC_ACCOUNT_CLAIM'] || 'sub';
  for (const [name, value] of [
    ['OIDC_ROLES_CLAIM', rolesClaim],
    ['OIDC_ACCOUNT_CLAIM', accountClaim],
  ] as const) {
    if (!claimPath.test(value)) throw new ConfigError(`${name} must be a claim name or a dotted path, got "${value}"`);
  }
  return {
    issuer,
    audience,
    rolesClaim,
    accountClaim,
    clientId: env['OIDC_CLIENT_ID'] || undefined,
    pagesScope: env['OIDC_PAGES_SCOPE'] || 'openid',
    jwksCooldownMs: integer(env, 'OIDC_JWKS_COOLDOWN_MS', 30_000, 0, 3_600_000),
  };
}

/**
 * HS256 secret: AUTH_JWT_SECRET; else the public development secret, but only without an issuer and never with
 * NODE_ENV=production (a production start without either is refused: anyone could mint an admin token).
 */
function jwtSecretOf(env: NodeJS.ProcessEnv, oidc: OidcConfig | undefined): Pick<AppConfig, 'jwtSecret' | 'jwtSecretIsDevelopment'> {
  const secret = env['AUTH_JWT_SECRET'] || undefined;
  const production = env['NODE_ENV'] === 'production';
  if (secret !== undefined && secret.length < 32) throw new ConfigError('AUTH_JWT_SECRET must be at least 32 characters');
  if (production && secret === DEVELOPMENT_JWT_SECRET)
    throw new ConfigError('NODE_ENV=production refuses the public development secret as AUTH_JWT_SECRET');
  if (secret !== undefined) return { jwtSecret: secret, jwtSecretIsDevelopment: false };
  if (oidc) return { jwtSecret: undefined, jwtSecretIsDevelopment: false };
  if (production)
    throw new ConfigError('NODE_ENV=production needs OIDC_ISSUER or an explicit AUTH_JWT_SECRET (refusing the development secret)');
  return { jwtSecret: DEVELOPMENT_JWT_SECRET, jwtSecretIsDevelopment: true };
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
  const rewoundLog = env['REWOUND_LOG'] || 'rebuild';
  if (rewoundLog !== 'rebuild' && rewoundLog !== 'stop')
    throw new ConfigError(`REWOUND_LOG must be "rebuild" or "stop", got "${rewoundLog}"`);
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
  const oidc = oidcConfig(env);
  const sender = env['NOTIFICATION_SENDER'] ?? 'file';
  if (sender !== 'file' && sender !== 'smtp') throw new ConfigError(`NOTIFICATION_SENDER must be "file" or "smtp", got "${sender}"`);
  if (sender === 'smtp' && !/^smtps?:\/\//.test(env['SMTP_URL'] ?? ''))
    throw new ConfigError('NOTIFICATION_SENDER=smtp needs SMTP_URL (smtp:// or smtps://)');
  if (env['SMTP_URL']) assertUrl('SMTP_URL', env['SMTP_URL']);
  const connection = env['EVENTSTORE_CONNECTION_STRING'];
  if (connection && !/^(esdb(\+discover)?|postgres(ql)?):\/\//.test(connection)) {
    throw new ConfigError('EVENTSTORE_CONNECTION_STRING must start with esdb://, esdb+discover://, postgres:// or postgresql://');
  }
  const streamPrefix = env['STREAM_PREFIX'] ?? '';
  if (!/^(?:[A-Za-z0-9][A-Za-z0-9_.:]*)?$/.test(streamPrefix))
    throw new ConfigError(`STREAM_PREFIX must be letters, digits, '_', '.' or ':' (not starting with '$'), got "${streamPrefix}"`);
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    dataDir: resolve(env['DATA_DIR'] ?? './data'),
    eventStoreConnectionString: connection || undefined,
    streamPrefix,
    ...jwtSecretOf(env, oidc),
    oidc,
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
    messages: messagesSettings(env, root),
    notificationRetryMs: integer(env, 'NOTIFICATION_RETRY_MS', 30_000, 1, 3_600_000),
    rebuildCacheRows: integer(env, 'REBUILD_CACHE_ROWS', 50_000, 1, 10_000_000),
    projectorLeaseMs: integer(env, 'PROJECTOR_LEASE_MS', 10_000, 100, 600_000),
    sharedStateUrl: sharedStateUrl(env, resolve(env['DATA_DIR'] ?? './data'), connection),
    readStoreUrl: readStoreUrl(env['READ_STORE_URL']),
    trustProxy: trustProxy(env['TRUST_PROXY']),
    webhookAllowedNetworks: webhookAllowedNetworks(env['WEBHOOK_ALLOWED_NETWORKS']),
    idempotencyWaitMs: integer(env, 'IDEMPOTENCY_WAIT_MS', 10_000, 0, 600_000),
    ...operationsSettings(env),
    credentials: credentialsConfig(env, integer(env, 'PORT', 3000, 0, 65535), resolve(env['DATA_DIR'] ?? './data')),
    auditHmacKey: env['AUDIT_HMAC_KEY_FILE'] ? readAuditKey(env['AUDIT_HMAC_KEY_FILE'], 'AUDIT_HMAC_KEY_FILE') : undefined,
    auditSigningKey: env['AUDIT_SIGNING_KEY_FILE']
      ? readEd25519Key(env['AUDIT_SIGNING_KEY_FILE'], 'private', 'AUDIT_SIGNING_KEY_FILE')
      : undefined,
    storeWriterThread: writerThread === '1',
    projections,
    postgres: {
      statementTimeoutMs: integer(env, 'PG_STATEMENT_TIMEOUT_MS', 10_000, 100, 3_600_000),
      lockTimeoutMs: integer(env, 'PG_LOCK_TIMEOUT_MS', 5_000, 10, 3_600_000),
      connectTimeoutMs: integer(env, 'PG_CONNECT_TIMEOUT_MS', 5_000, 100, 600_000),
      idleInTransactionTimeoutMs: integer(env, 'PG_IDLE_IN_TRANSACTION_TIMEOUT_MS', 60_000, 1_000, 86_400_000),
      maxPendingAppends: integer(env, 'PG_MAX_PENDING_APPENDS', 10_000, 1, 1_000_000),
      ...(env['PG_POOL_SIZE'] ? { poolSize: integer(env, 'PG_POOL_SIZE', 8, 1, 1000) } : {}),
    },
    rateLimitDeadlineMs: integer(env, 'RATE_LIMIT_DEADLINE_MS', 1_000, 10, 60_000),
    rewoundLog,
    ...personalDataKeks(env),
  };
}

/** MESSAGE_TEMPLATES_DIR (default `config/messages`), MESSAGE_DEFAULT_LANGUAGE (default `en`), MESSAGE_LINK_SECRET, #29. */
function messagesSettings(env: NodeJS.ProcessEnv, root: string): AppConfig['messages'] {
  const templatesDir = resolve(env['MESSAGE_TEMPLATES_DIR'] || join(root, 'config', 'messages'));
  if (!existsSync(templatesDir)) throw new ConfigError(`MESSAGE_TEMPLATES_DIR does not exist: ${templatesDir}`);
  const defaultLanguage = env['MESSAGE_DEFAULT_LANGUAGE'] || 'en';
  if (!/^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/.test(defaultLanguage))
    throw new ConfigError(`MESSAGE_DEFAULT_LANGUAGE must be a BCP 47 tag, got "${defaultLanguage}"`);
  // The one-click unsubscribe links' key (R81): its own secret where tokens come from an issuer, not AUTH_JWT_SECRET.
  const linkSecret = env['MESSAGE_LINK_SECRET'] || undefined;
  if (linkSecret !== undefined && linkSecret.length < 32) throw new ConfigError('MESSAGE_LINK_SECRET must be at least 32 characters');
  // With tokens from an issuer only there is no AUTH_JWT_SECRET to fall back on: production must name one (R81).
  if (linkSecret === undefined && !env['AUTH_JWT_SECRET'] && env['OIDC_ISSUER'] && env['NODE_ENV'] === 'production')
    throw new ConfigError('MESSAGE_LINK_SECRET is required in production when no AUTH_JWT_SECRET is set (it keys the unsubscribe links)');
  return { templatesDir, defaultLanguage, linkSecret };
}

function operationsSettings(
  env: NodeJS.ProcessEnv,
): Pick<
  AppConfig,
  | 'logFormat'
  | 'metricsToken'
  | 'metricsAuthFailuresPerMinute'
  | 'httpHeadersTimeoutMs'
  | 'httpRequestTimeoutMs'
  | 'httpKeepAliveTimeoutMs'
  | 'shutdownTimeoutMs'
  | 'readyMaxLagEvents'
> {
  const logFormat = env['LOG_FORMAT'] ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new ConfigError(`LOG_FORMAT must be "json" or "pretty", got "${logFormat}"`);
  const metricsToken = env['METRICS_TOKEN'] || undefined;
  if (metricsToken !== undefined && metricsToken.length < 16) throw new ConfigError('METRICS_TOKEN must be at least 16 characters');
  const httpRequestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  const httpHeadersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', Math.min(20_000, httpRequestTimeoutMs), 100, 3_600_000);
  // Node checks the headers deadline against the request one: a longer headers deadline would never apply.
  if (httpHeadersTimeoutMs > httpRequestTimeoutMs) throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  return {
    logFormat,
    metricsToken,
    metricsAuthFailuresPerMinute: integer(env, 'METRICS_AUTH_FAILURES_PER_MINUTE', 10, 0, 1_000_000),
    httpHeadersTimeoutMs,
    httpRequestTimeoutMs,
    httpKeepAliveTimeoutMs: integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 5000, 100, 600_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    readyMaxLagEvents: integer(env, 'READY_MAX_LAG_EVENTS', 1000, 0, 100_000_000),
  };
}

/**
 * PERSONAL_DATA_KEK_FILE (#24.3, ADR 0008). Unset: the public development KEK, so every process of a development
 * cluster (each with its own DATA_DIR) agrees without a file, as with the development JWT secret; it protects nothing,
 * so production (NODE_ENV=production) refuses to start without a file.
 */
function personalDataKeks(env: NodeJS.ProcessEnv): Pick<AppConfig, 'personalDataKeks' | 'personalDataKekIsDevelopment'> {
  const file = env['PERSONAL_DATA_KEK_FILE'] || undefined;
  if (!file && env['NODE_ENV'] === 'production') {
    throw new ConfigError('PERSONAL_DATA_KEK_FILE must name the key-encryption keys in production (a line "<id> $(openssl rand -hex 32)")');
  }
  if (file && !existsSync(file)) throw new ConfigError(`PERSONAL_DATA_KEK_FILE does not exist: ${file}`);
  try {
    return { personalDataKeks: readKeyEncryptionKeys(file), personalDataKekIsDevelopment: !file };
  } catch (error) {
    throw new ConfigError(`PERSONAL_DATA_KEK_FILE: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** SHARED_STATE_URL, else the event store's PostgreSQL, else DATA_DIR/shared-state.db (one machine only). */
function sharedStateUrl(env: NodeJS.ProcessEnv, dataDir: string, eventStore: string | undefined): string {
  const raw = env['SHARED_STATE_URL'];
  if (raw) {
    if (POSTGRES_URL.test(raw)) return raw;
    if (raw.startsWith('file:') && raw.length > 'file:'.length) return `file:${resolve(raw.slice('file:'.length))}`;
    throw new ConfigError('SHARED_STATE_URL must be file:<path> or postgres://user@host/database[?sharedStateSchema=name]');
  }
  if (eventStore && POSTGRES_URL.test(eventStore)) return eventStore;
  return `file:${join(dataDir, 'shared-state.db')}`;
}

/** READ_STORE_URL: unset or empty keeps `read.db`; else a PostgreSQL URL whose `readStoreSchema` is a plain name. */
function readStoreUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const usage = 'READ_STORE_URL must be postgres://user@host/database[?readStoreSchema=name] (unset: read.db in DATA_DIR)';
  if (!POSTGRES_URL.test(raw)) throw new ConfigError(`${usage}, got "${redactUrl(raw)}"`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${usage}, got "${redactUrl(raw)}"`);
  }
  if (!url.hostname) throw new ConfigError(`${usage}: no host in "${redactUrl(raw)}"`);
  const schema = url.searchParams.get('readStoreSchema');
  // The schema becomes SQL (search_path, CREATE SCHEMA): a plain lower-case identifier only.
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new ConfigError(`READ_STORE_URL's readStoreSchema must be a lower-case name (letters, digits, _), got "${schema}"`);
  return raw;
}

/** R51: comma-separated CIDRs (`127.0.0.0/8, ::1/128, 10.20.0.0/16`); a bare address is refused, to make the width explicit. */
function webhookAllowedNetworks(raw: string | undefined): string[] {
  const cidrs = (raw ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const bad = cidrs.find((cidr) => !ipaddr.isValidCIDR(cidr));
  if (bad !== undefined)
    throw new ConfigError(`WEBHOOK_ALLOWED_NETWORKS must be comma-separated CIDRs (10.0.0.0/8, ::1/128), got "${bad}"`);
  return cidrs;
}

function trustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (!/^[\w.:/, -]+$/.test(raw)) throw new ConfigError(`TRUST_PROXY must be true, false, a hop count or addresses/subnets, got "${raw}"`);
  return raw;
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

/**
 * A key for the audit export's keyed chain head (#16.17): the file's bytes, a trailing newline dropped, at least 32 of
 * them. It lives outside the export (a secret mount), so whoever alters an export cannot recompute the head.
 */
export function readAuditKey(file: string, name = 'key file'): Buffer {
  if (!existsSync(file)) throw new ConfigError(`${name} does not exist: ${file}`);
  let key = readFileSync(file);
  while (key.length > 0 && (key[key.length - 1] === 0x0a || key[key.length - 1] === 0x0d)) key = key.subarray(0, -1);
  if (key.length < 32) throw new ConfigError(`${name} must hold at least 32 bytes of key (e.g. openssl rand -hex 32 > ${file})`);
  return key;
}

/** An Ed25519 key in PEM (`openssl genpkey -algorithm ed25519`; its public half with `openssl pkey -pubout`). */
export function readEd25519Key(file: string, type: 'private' | 'public', name = 'key file'): KeyObject {
  if (!existsSync(file)) throw new ConfigError(`${name} does not exist: ${file}`);
  let key: KeyObject;
  try {
    key = type === 'private' ? createPrivateKey(readFileSync(file)) : createPublicKey(readFileSync(file));
  } catch {
    throw new ConfigError(`${name} does not hold a PEM ${type} key: ${file}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ConfigError(`${name} must hold an Ed25519 key, not ${String(key.asymmetricKeyType)}`);
  return key;
}
