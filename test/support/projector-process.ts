/**
 * A projecting process for the failover spec (#23.2, `projector-failover.int.spec.ts`): a projection runner over the
 * embedded store file and a shared read.db, nothing else. Run with `node -r test/support/ts-register.js`.
 * EVENTS_FILE, READ_DB (or READ_STORE_URL: the model in PostgreSQL, through the port), LEASE_MS; OWNER (default: this host and pid); READ_DELAY_MS slows the rebuild's reads
 * (a slow disk), so a spec can kill it half-way.
 */
import Database from 'better-sqlite3';
import { requiredEnv, slowedEventStore } from './child-process-env';
import { configureReadDb, PostgresReadStore, ProjectionRunner, StoreProjectionRunner } from '@recert/projections';
import { StreamCountsProjection, StreamCountsStoreProjection } from './stream-counts.projection';

const store = slowedEventStore();
const leaseMs = Number(requiredEnv('LEASE_MS'));
const owner = process.env['OWNER'] || undefined;
const log = (message: string): void => void process.stderr.write(`${message}\n`);
const readStoreUrl = process.env['READ_STORE_URL'];

async function main(): Promise<() => Promise<void>> {
  if (readStoreUrl) {
    // The read model in PostgreSQL, through the port's asynchronous runner (#23.1).
    const readStore = await PostgresReadStore.open(readStoreUrl, 2, { idleInTransactionTimeoutMs: leaseMs });
    const runner = new StoreProjectionRunner(store, readStore, [new StreamCountsStoreProjection()], {
      leaseMs,
      owner,
      batchSize: 100,
      // Pages of 100 during the rebuild too (the default takes 5,000): it must be slow enough to act on half-way.
      rebuildBatchSize: 100,
      log,
    });
    runner.start();
    return async () => {
      await runner.stop();
      await readStore.close();
    };
  }
  const db = configureReadDb(new Database(requiredEnv('READ_DB')));
  const runner = new ProjectionRunner(store, db, [new StreamCountsProjection()], {
    leaseMs,
    owner,
    rebuildCacheRows: 1,
    batchSize: 100,
    log,
  });
  runner.start();
  return async () => {
    await runner.stop();
    db.close();
  };
}

void main().then((stop) => {
  process.stdout.write('started\n');
  process.on('SIGTERM', () => {
    void stop().then(async () => {
      await store.close();
      process.exit(0);
    });
  });
});
