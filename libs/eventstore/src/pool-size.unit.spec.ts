import { ConfigError, loadConfig } from '@recert/kernel';
import { eventStoreAdapter } from './eventstore.module';

/** #23.6 (R112): PG_POOL_SIZE sizes each PostgreSQL pool of a process, so its connection budget can be planned. */
describe('PG_POOL_SIZE', () => {
  const maxOf = (store: unknown): number => (store as { pool: { options: { max: number } } }).pool.options.max;
  const url = 'postgres://recert@127.0.0.1:5432/test';

  it('R112: sizes the event store pool; unset, the pool keeps its default of 8', async () => {
    const sized = eventStoreAdapter(loadConfig({ EVENTSTORE_CONNECTION_STRING: url, PG_POOL_SIZE: '3' }));
    const byDefault = eventStoreAdapter(loadConfig({ EVENTSTORE_CONNECTION_STRING: url }));
    try {
      expect(maxOf(sized)).toBe(3);
      expect(maxOf(byDefault)).toBe(8);
    } finally {
      // Never connected (no query ran): closing only ends the empty pools.
      await Promise.all([sized.close(), byDefault.close()]);
    }
  });

  it('R112: a size outside 1..1000 stops the start with a message naming the setting', () => {
    for (const bad of ['0', '-1', '2.5', 'many', '1001'])
      expect(() => loadConfig({ PG_POOL_SIZE: bad })).toThrow(
        new ConfigError(`PG_POOL_SIZE must be a whole number from 1 to 1000, got "${bad}"`),
      );
    expect(loadConfig({ PG_POOL_SIZE: '20' }).postgres.poolSize).toBe(20);
  });
});
