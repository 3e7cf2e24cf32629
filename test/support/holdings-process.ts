/**
 * A process of the blue/green spec (#23.4, `holdings-blue-green.int.spec.ts`): the holdings model over a PostgreSQL
 * read store with its own `StoreProjectionRunner`, the policy book following the log, nothing else. Run with
 * `node -r test/support/ts-register.js`. EVENTS_FILE, READ_STORE_URL, LEASE_MS; READ_DELAY_MS slows its reads (so a
 * rebuild takes a while). Prints `serving <generation>` each time `tables()` names another generation.
 */
import { join } from 'node:path';
import { requiredEnv, slowedEventStore } from './child-process-env';
import { projectRoot } from '@recert/kernel';
import { HoldingsModel, PostgresReadStore, StoreProjectionRunner } from '@recert/projections';
import { loadPolicyBook, PolicyAdoptions, PolicyRegistry } from '@recert/renewals';

async function main(): Promise<() => Promise<void>> {
  const store = slowedEventStore();
  const leaseMs = Number(requiredEnv('LEASE_MS'));
  const readStore = await PostgresReadStore.open(requiredEnv('READ_STORE_URL'), 3, { idleInTransactionTimeoutMs: leaseMs });
  const registry = new PolicyRegistry(loadPolicyBook(join(projectRoot(), 'config', 'policy.json')));
  const adoptions = new PolicyAdoptions(store, registry);
  await adoptions.onModuleInit();
  const runner = new StoreProjectionRunner(store, readStore, [], {
    leaseMs,
    // Small pages even while behind: the spec watches a generation being built.
    batchSize: 50,
    rebuildBatchSize: 50,
    log: (message) => void process.stderr.write(`${message}\n`),
  });
  const model = new HoldingsModel(readStore, store, runner, registry, adoptions);
  await model.initialise();
  runner.start();
  let serving = '';
  const watch = setInterval(() => {
    const { generation } = model.tables();
    if (generation !== serving) process.stdout.write(`serving ${(serving = generation)}\n`);
  }, 20);
  return async () => {
    clearInterval(watch);
    model.onApplicationShutdown();
    await runner.stop();
    await adoptions.onApplicationShutdown();
    await readStore.close();
    await store.close();
  };
}

void main().then((stop) => {
  process.stdout.write('started\n');
  process.on('SIGTERM', () => void stop().then(() => process.exit(0)));
});
