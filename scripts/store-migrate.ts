/**
 * `npm run store:migrate`: the PostgreSQL event store's migrations that the service's start leaves pending, because
 * they would lock the live `events` table (an index built or dropped `CONCURRENTLY`, ADR 0007). Safe beside running
 * services; run it after deploying a release whose start logged "wait for npm run store:migrate".
 */
import { isPostgresUrl, PostgresEventStore } from '@recert/eventstore';
import { loadConfigOrExit } from '@recert/kernel';

async function main(): Promise<void> {
  const config = loadConfigOrExit('store:migrate');
  const url = config.eventStoreConnectionString;
  if (!isPostgresUrl(url)) {
    process.stdout.write('store:migrate: only the PostgreSQL event store has migrations run outside the start; nothing to do\n');
    return;
  }
  const store = new PostgresEventStore({ connectionString: url as string, poolSize: 1 });
  try {
    const ran = await store.migrateOutsideStart();
    process.stdout.write(
      ran.length === 0 ? `${store.identity}: no migration pending\n` : `${store.identity}: applied migrations ${ran.join(', ')}\n`,
    );
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`store:migrate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
