import { loadConfig } from '@recert/kernel';
import { onlyWithReadDb, openReadStore, readStoreDeadlines } from './open-read-store';

describe('R140/R141 the read store a process opens', () => {
  it("R140: the read store's pool takes the PG_* deadlines, its idle-in-transaction deadline cut to the projector lease", () => {
    const config = loadConfig({ PG_STATEMENT_TIMEOUT_MS: '7000', PG_LOCK_TIMEOUT_MS: '900', PROJECTOR_LEASE_MS: '8000' });
    expect(readStoreDeadlines(config)).toEqual({
      statementTimeoutMs: 7000,
      lockTimeoutMs: 900,
      connectTimeoutMs: 5000,
      idleInTransactionTimeoutMs: 8000,
    });
    expect(readStoreDeadlines(loadConfig({ PROJECTOR_LEASE_MS: '200' })).idleInTransactionTimeoutMs).toBe(1000);
    expect(readStoreDeadlines(loadConfig({ PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: '3000' })).idleInTransactionTimeoutMs).toBe(3000);
  });

  it('R141: with READ_STORE_URL, what only read.db has is a stand-in that fails naming the setting when used, and stays inert while Nest wires it', () => {
    const db = onlyWithReadDb<{ prepare: (sql: string) => unknown; onModuleInit?: unknown; then?: unknown }>('read.db');
    expect(db.onModuleInit).toBeUndefined();
    expect(db.then).toBeUndefined();
    expect(() => db.prepare('SELECT 1')).toThrow(/read\.db is not open: READ_STORE_URL keeps the read models in PostgreSQL/);
  });

  it('R140: a read store that does not answer stops the start with a message naming READ_STORE_URL, never its password', async () => {
    // Nothing listens on port 1 of this machine: the connection is refused at once.
    const config = loadConfig({ READ_STORE_URL: 'postgres://reader:s3cr3t-pw@127.0.0.1:1/recert', PG_CONNECT_TIMEOUT_MS: '2000' });
    const opened = openReadStore(config, () => {
      throw new Error('read.db must not be opened with READ_STORE_URL');
    });
    await expect(opened).rejects.toThrow(
      /^READ_STORE_URL: cannot open the read store at postgres:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:1\/recert: /,
    );
    await expect(opened).rejects.not.toThrow(/s3cr3t/);
  });
});
