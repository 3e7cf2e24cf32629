import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig, redactUrl } from './config';

/** Start-up settings: sound defaults, and a bad value stops the start with a message naming the setting. */
describe('loadConfig', () => {
  it('starts on the embedded store with durable defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      eventStoreConnectionString: undefined,
      jwtSecretIsDevelopment: true,
      clock: 'system',
      storeSynchronous: 'FULL',
      rateLimitPerMinute: 6000,
      consistencyTimeoutMs: 5000,
      notificationSender: 'file',
      rebuildCacheRows: 50_000,
      projectorLeaseMs: 10_000,
      benchNoopRoute: false,
    });
  });

  it('reads each setting it is given', () => {
    const config = loadConfig({
      PORT: '8080',
      CLOCK: 'manual',
      CLOCK_START: '2026-01-01T00:00:00Z',
      STORE_SYNCHRONOUS: 'normal',
      AUTH_JWT_SECRET: 'x'.repeat(32),
      REBUILD_CACHE_ROWS: '10000',
      PROJECTOR_LEASE_MS: '3000',
      EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113?tls=false',
    });
    expect(config).toMatchObject({
      port: 8080,
      clock: 'manual',
      clockStart: new Date('2026-01-01T00:00:00Z'),
      storeSynchronous: 'NORMAL',
      jwtSecretIsDevelopment: false,
      rebuildCacheRows: 10_000,
      projectorLeaseMs: 3000,
      eventStoreConnectionString: 'esdb://localhost:2113?tls=false',
    });
  });

  it('#12.10 reads the stream prefix of a shared cluster, none by default', () => {
    expect(loadConfig({}).streamPrefix).toBe('');
    expect(loadConfig({ STREAM_PREFIX: 'recert.' }).streamPrefix).toBe('recert.');
  });

  it.each([
    [{ PORT: '70000' }, /PORT must be a whole number from 0 to 65535, got "70000"/],
    [{ REBUILD_CACHE_ROWS: '0' }, /REBUILD_CACHE_ROWS must be a whole number from 1 to/],
    [{ REBUILD_CACHE_ROWS: 'many' }, /REBUILD_CACHE_ROWS must be a whole number/],
    [{ CLOCK: 'fast' }, /CLOCK must be "system" or "manual"/],
    [{ CLOCK_START: 'yesterday' }, /CLOCK_START is not an ISO 8601 instant/],
    [{ STORE_SYNCHRONOUS: 'OFF' }, /STORE_SYNCHRONOUS must be FULL or NORMAL/],
    [{ AUTH_JWT_SECRET: 'short' }, /AUTH_JWT_SECRET must be at least 32 characters/],
    [{ NOTIFICATION_SENDER: 'smtp' }, /NOTIFICATION_SENDER=smtp needs SMTP_URL/],
    [{ EVENTSTORE_CONNECTION_STRING: 'http://localhost:2113' }, /EVENTSTORE_CONNECTION_STRING must start with esdb:\/\//],
    [{ POLICY_FILE: '/nowhere/policy.json' }, /POLICY_FILE does not exist/],
    [{ STREAM_PREFIX: '$recert.' }, /STREAM_PREFIX must be letters/],
  ])('refuses %j with a message naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('#17.4 commits on a writer thread and runs projections in-process by default; STORE_WRITER_THREAD and PROJECTIONS say otherwise', () => {
    expect(loadConfig({})).toMatchObject({ storeWriterThread: true, projections: 'run' });
    expect(loadConfig({ STORE_WRITER_THREAD: '0', PROJECTIONS: 'follow' })).toMatchObject({
      storeWriterThread: false,
      projections: 'follow',
    });
    expect(() => loadConfig({ STORE_WRITER_THREAD: 'yes' })).toThrow(/STORE_WRITER_THREAD must be 0 or 1/);
    expect(() => loadConfig({ PROJECTIONS: 'elsewhere' })).toThrow(/PROJECTIONS must be "run" or "follow"/);
  });
});

describe('R140 READ_STORE_URL', () => {
  it('R140: unset (or empty) keeps read.db in DATA_DIR; a PostgreSQL URL, with or without readStoreSchema, is taken as written', () => {
    expect(loadConfig({}).readStoreUrl).toBeUndefined();
    expect(loadConfig({ READ_STORE_URL: '' }).readStoreUrl).toBeUndefined();
    expect(loadConfig({ READ_STORE_URL: 'postgres://recert@db:5432/recert' }).readStoreUrl).toBe('postgres://recert@db:5432/recert');
    const named = 'postgresql://recert:pw@db/recert?readStoreSchema=read_1';
    expect(loadConfig({ READ_STORE_URL: named, PG_POOL_SIZE: '3' })).toMatchObject({ readStoreUrl: named, postgres: { poolSize: 3 } });
  });

  it.each([
    ['file:/tmp/read.db', /READ_STORE_URL must be postgres:\/\//],
    ['sqlite://read.db', /READ_STORE_URL must be postgres:\/\//],
    ['postgres://', /READ_STORE_URL must be postgres:\/\//],
    ['postgres://db/recert?readStoreSchema=Read;DROP', /readStoreSchema must be a lower-case name/],
  ])('R140: refuses %s at start-up with a message naming the setting', (value, message) => {
    expect(() => loadConfig({ READ_STORE_URL: value })).toThrow(ConfigError);
    expect(() => loadConfig({ READ_STORE_URL: value })).toThrow(message);
  });

  it('R140: the message never carries the password', () => {
    expect(() => loadConfig({ READ_STORE_URL: 'mysql://reader:s3cr3t-pw@db/recert' })).toThrow(/READ_STORE_URL/);
    try {
      loadConfig({ READ_STORE_URL: 'mysql://reader:s3cr3t-pw@db/recert' });
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cr3t');
    }
  });
});

describe('#16.9 a malformed SMTP_URL', () => {
  it('#16.9: is refused at start-up with a message naming the setting and never the password', () => {
    for (const url of ['smtp://mailer:s3cr3t-pw@ho st:587', 'smtp://mailer:s3cr3t-pw@:587x', 'smtps://mailer:s3cr3t@pw@bad host']) {
      let caught: unknown;
      try {
        loadConfig({ NOTIFICATION_SENDER: 'smtp', SMTP_URL: url });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      const error = caught as Error;
      expect(error.message).toContain('SMTP_URL');
      expect(`${error.message} ${error.stack ?? ''} ${JSON.stringify(error)}`).not.toContain('s3cr3t');
    }
  });

  it('#16.9: redactUrl hides user and password even in a URL that does not parse', () => {
    expect(redactUrl('Invalid URL smtp://u:p@ss@ho st:1')).toBe('Invalid URL smtp://***:***@ho st:1');
  });
});

describe('#16.15 CLOCK_START', () => {
  it.each(['2025-02-30T00:00:00Z', '2026-04-31T12:00:00Z', '2025-13-01T00:00:00Z'])(
    '#16.15: %s, a date that does not exist, is refused at start-up with a message naming CLOCK_START',
    (value) => {
      expect(() => loadConfig({ CLOCK: 'manual', CLOCK_START: value })).toThrow(/CLOCK_START/);
    },
  );

  it('#16.15: a real date is taken as written', () => {
    expect(loadConfig({ CLOCK: 'manual', CLOCK_START: '2024-02-29T00:00:00Z' }).clockStart?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });
});

describe('loadConfig: operations settings (#12, #16.16)', () => {
  it('#12: sound defaults for logs, metrics, server deadlines, shutdown and readiness', () => {
    expect(loadConfig({ LOG_FORMAT: 'json' })).toMatchObject({
      logFormat: 'json',
      metricsToken: undefined,
      httpHeadersTimeoutMs: 20_000,
      httpRequestTimeoutMs: 30_000,
      httpKeepAliveTimeoutMs: 5000,
      shutdownTimeoutMs: 10_000,
      readyMaxLagEvents: 1000,
    });
  });

  it.each([
    [{ LOG_FORMAT: 'xml' }, /LOG_FORMAT must be "json" or "pretty"/],
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN must be at least 16 characters/],
    [{ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' }, /HTTP_HEADERS_TIMEOUT_MS must not exceed/],
    [{ SHUTDOWN_TIMEOUT_MS: '0' }, /SHUTDOWN_TIMEOUT_MS must be a whole number/],
  ])('#12: refuses %j with a message naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('R60/R61: REWOUND_LOG is rebuild or stop; PERSONAL_DATA_KEK_FILE is read, unset wraps under the development KEK and is refused in production', () => {
    expect(loadConfig({})).toMatchObject({ rewoundLog: 'rebuild', personalDataKekIsDevelopment: true });
    expect(loadConfig({}).personalDataKeks.currentId).toBe('development');
    expect(loadConfig({ REWOUND_LOG: 'stop' }).rewoundLog).toBe('stop');
    expect(() => loadConfig({ REWOUND_LOG: 'skip' })).toThrow(/REWOUND_LOG must be "rebuild" or "stop"/);
    expect(() => loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32) })).toThrow(
      /PERSONAL_DATA_KEK_FILE must name the key-encryption keys in production/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'recert-kek-config-'));
    try {
      const file = join(dir, 'keks');
      writeFileSync(file, `old ${'a'.repeat(64)}\nnew ${'b'.repeat(64)}\n`);
      const config = loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32), PERSONAL_DATA_KEK_FILE: file });
      expect(config.personalDataKeks.currentId).toBe('new');
      expect(config.personalDataKekIsDevelopment).toBe(false);
      writeFileSync(file, 'old not-hex\n');
      expect(() => loadConfig({ PERSONAL_DATA_KEK_FILE: file })).toThrow(/PERSONAL_DATA_KEK_FILE: .*expected "<id> <64 hex digits>"/);
      expect(() => loadConfig({ PERSONAL_DATA_KEK_FILE: join(dir, 'missing') })).toThrow(/PERSONAL_DATA_KEK_FILE does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('sign-in settings (ADR 0015)', () => {
    const issuer = { OIDC_ISSUER: 'https://login.example.com/t/v2.0', OIDC_AUDIENCE: 'api://recert' };
    // Production also needs its key-encryption keys (R61): given here, so only the sign-in settings decide.
    const kekDir = mkdtempSync(join(tmpdir(), 'recert-kek-signin-'));
    const kekFile = join(kekDir, 'keks');
    writeFileSync(kekFile, `k1 ${'c'.repeat(64)}\n`);
    const production = { NODE_ENV: 'production', PERSONAL_DATA_KEK_FILE: kekFile, MESSAGE_LINK_SECRET: 'm'.repeat(32) };
    afterAll(() => rmSync(kekDir, { recursive: true, force: true }));

    it('R66: without an issuer, HS256 with the development secret; NODE_ENV=production refuses to start so', () => {
      expect(loadConfig({})).toMatchObject({ jwtSecretIsDevelopment: true, oidc: undefined });
      expect(() => loadConfig(production)).toThrow(/NODE_ENV=production needs OIDC_ISSUER or an explicit AUTH_JWT_SECRET/);
      expect(() => loadConfig({ ...production, AUTH_JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toThrow(/development secret/);
      expect(loadConfig({ ...production, AUTH_JWT_SECRET: 'x'.repeat(32) })).toMatchObject({ jwtSecretIsDevelopment: false });
    });

    it('R66: with an issuer only issuer tokens count (no development secret), also in production; both may be set', () => {
      expect(loadConfig({ ...issuer, ...production })).toMatchObject({
        jwtSecret: undefined,
        jwtSecretIsDevelopment: false,
        oidc: { issuer: issuer.OIDC_ISSUER, audience: 'api://recert', rolesClaim: 'roles', accountClaim: 'sub', jwksCooldownMs: 30_000 },
      });
      expect(loadConfig({ ...issuer, AUTH_JWT_SECRET: 'y'.repeat(32) })).toMatchObject({ jwtSecret: 'y'.repeat(32) });
    });

    it.each([
      [{ OIDC_ISSUER: 'https://login.example.com' }, /OIDC_AUDIENCE is required/],
      [{ ...issuer, OIDC_ISSUER: 'http://login.example.com' }, /http:\/\/ only on a loopback host/],
      [{ ...issuer, OIDC_ISSUER: 'https://u:p@login.example.com' }, /no credentials/],
      [{ ...issuer, OIDC_ROLES_CLAIM: 'realm access' }, /OIDC_ROLES_CLAIM must be a claim name or a dotted path/],
      [{ OIDC_AUDIENCE: 'api://recert' }, /set without OIDC_ISSUER/],
    ])('R65: refuses %j', (env, message) => {
      expect(() => loadConfig(env)).toThrow(message);
    });

    it('R65: http:// issuers are accepted on loopback hosts only', () => {
      for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080'])
        expect(loadConfig({ ...issuer, OIDC_ISSUER: `http://${host}` }).oidc?.issuer).toBe(`http://${host}`);
    });
  });
});
