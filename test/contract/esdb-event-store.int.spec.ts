import { tmpdir } from 'node:os';
import { createEventStore, EsdbEventStore } from '@recert/eventstore';
import { upcast } from '@recert/domain';
import { loadConfig } from '@recert/kernel';
import { dockerAnswers } from '../support/docker';
import { GenericContainer, StartedTestContainer, Wait } from 'testcontainers';
import { describeEventStoreContract } from './event-store.contract';

/**
 * The EventStoreDB half of the contract suite: against EVENTSTORE_CONNECTION_STRING when set, else against a
 * container when a Docker engine answers, else skipped with one line saying why. Never a mock.
 */
const IMAGE = process.env['EVENTSTORE_IMAGE'] ?? 'eventstore/eventstore:24.10';

const connectionString = process.env['EVENTSTORE_CONNECTION_STRING'];
const useDocker = !connectionString && dockerAnswers();
const runs = Boolean(connectionString) || useDocker;

if (!runs) {
  // One clear line, printed once, so a CI log shows the half that did not run and why.
  process.stdout.write(
    'EventStoreDB contract suite SKIPPED: EVENTSTORE_CONNECTION_STRING is not set and no Docker engine answers (docker info failed)\n',
  );
}

(runs ? describe : describe.skip)('EventStoreDB event store', () => {
  let container: StartedTestContainer | undefined;
  let store: EsdbEventStore;

  beforeAll(async () => {
    let url = connectionString;
    if (!url) {
      container = await new GenericContainer(IMAGE)
        .withEnvironment({ EVENTSTORE_INSECURE: 'true', EVENTSTORE_RUN_PROJECTIONS: 'None', EVENTSTORE_MEM_DB: 'true' })
        .withExposedPorts(2113)
        .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
        .start();
      url = `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
    }
    // Its own namespace: the suite's test streams stay out of recert's on a shared cluster (#12.10).
    store = new EsdbEventStore({ connectionString: url, streamPrefix: `contract${Date.now()}.` });
  }, 180_000);

  afterAll(async () => {
    await store?.close();
    await container?.stop();
  });

  // Through the factory production uses (R54), on this adapter.
  describeEventStoreContract('eventstoredb', () => ({
    store: createEventStore(loadConfig({ DATA_DIR: tmpdir() }), upcast, store),
    adapter: store,
  }));

  // Restart and resubscribe: test/contract/esdb-restart.int.spec.ts (a volume and a fixed port of its own).
});
