import { ConfigError, loadConfig } from './config';

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
      EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113?tls=false',
    });
    expect(config).toMatchObject({
      port: 8080,
      clock: 'manual',
      clockStart: new Date('2026-01-01T00:00:00Z'),
      storeSynchronous: 'NORMAL',
      jwtSecretIsDevelopment: false,
      rebuildCacheRows: 10_000,
      eventStoreConnectionString: 'esdb://localhost:2113?tls=false',
    });
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
