/**
 * A projecting process for the failover spec (#23.2, `projector-failover.int.spec.ts`): a projection runner over the
 * embedded store file and a shared read.db, nothing else. Run with `node -r test/support/ts-register.js`.
 * EVENTS_FILE, READ_DB, LEASE_MS; OWNER (default: this host and pid); READ_DELAY_MS slows the rebuild's reads
 * (a slow disk), so a spec can kill it half-way.
 */
import Database from 'better-sqlite3';
import { SqliteEventStore } from '@recert/eventstore';
import { configureReadDb, ProjectionRunner } from '@recert/projections';
import { StreamCountsProjection } from './stream-counts.projection';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const store = new SqliteEventStore({ file: env('EVENTS_FILE'), synchronous: 'NORMAL', pollIntervalMs: 10 });
const delayMs = Number(process.env['READ_DELAY_MS'] ?? 0);
const readAll = store.readAll.bind(store);
store.readAll = async (options) => {
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  return readAll(options);
};
const db = configureReadDb(new Database(env('READ_DB')));
const runner = new ProjectionRunner(store, db, [new StreamCountsProjection()], {
  leaseMs: Number(env('LEASE_MS')),
  owner: process.env['OWNER'] || undefined,
  rebuildCacheRows: 1,
  batchSize: 100,
  log: (message) => process.stderr.write(`${message}\n`),
});
runner.start();
process.stdout.write('started\n');
process.on('SIGTERM', () => {
  void runner.stop().then(async () => {
    db.close();
    await store.close();
    process.exit(0);
  });
});
