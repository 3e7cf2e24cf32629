/**
 * `npm run store:new-epoch`: the last step of restoring the event store (a point-in-time restore, a restore from
 * backup, a failover to a standby that may miss the last commits), before any api or worker starts on it (ADR 0007).
 * Positions are handed out again from the restored head, so every consumer's mark past it is void: a new epoch makes
 * every read model rebuild and the webhook cursor start over (#24.2), whatever positions and ids happen to match.
 * The same on PostgreSQL in SQL: `UPDATE <schema>.store_epoch SET epoch = gen_random_uuid(), changed_at = now();`
 */
import { join } from 'node:path';
import { isPostgresUrl, PostgresEventStore, SqliteEventStore } from '@recert/eventstore';
import { loadConfigOrExit } from '@recert/kernel';

async function main(): Promise<void> {
  const config = loadConfigOrExit('store:new-epoch');
  const url = config.eventStoreConnectionString;
  if (url && !isPostgresUrl(url)) {
    process.stderr.write('store:new-epoch: EventStoreDB keeps no recert epoch; after restoring a cluster, delete DATA_DIR/read.db\n');
    process.exit(2);
  }
  const store = url
    ? new PostgresEventStore({ connectionString: url, poolSize: 1 })
    : new SqliteEventStore({ file: join(config.dataDir, 'events.db'), writerThread: false });
  try {
    const before = await store.epoch();
    const after = await store.newEpoch();
    process.stdout.write(
      `event store epoch ${before} -> ${after}: read models rebuild and the webhook cursor starts over at the next start\n`,
    );
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`store:new-epoch: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
