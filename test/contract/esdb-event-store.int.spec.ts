import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { EsdbEventStore } from '@recert/eventstore';
import { GenericContainer, StartedTestContainer, Wait } from 'testcontainers';
import { randomUUID } from 'node:crypto';
import { describeEventStoreContract, newEvent, waitFor } from './event-store.contract';

/**
 * The EventStoreDB half of the contract suite: against EVENTSTORE_CONNECTION_STRING when set, else against a
 * container when a Docker engine answers, else skipped with one line saying why. Never a mock.
 */
const IMAGE = process.env['EVENTSTORE_IMAGE'] ?? 'eventstore/eventstore:24.10';

function dockerAnswers(): boolean {
  const hasSocket = existsSync('/var/run/docker.sock') || Boolean(process.env['DOCKER_HOST']);
  if (!hasSocket) return false;
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000, encoding: 'utf8' });
  return info.status === 0 && info.stdout.trim().length > 0;
}

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
    store = new EsdbEventStore({ connectionString: url, resubscribe: { initialDelayMs: 100, maxDelayMs: 2000, maxAttempts: 1000 } });
  }, 180_000);

  afterAll(async () => {
    await store?.close();
    await container?.stop();
  });

  describeEventStoreContract('eventstoredb', () => ({ store }));

  // The client never resubscribes by itself: the adapter must, from its last delivered position, after the
  // server drops the subscription. Restarting the server is only possible with a container we started.
  (useDocker ? it : it.skip)(
    'resubscribes from its last checkpoint after the server restarts, with no gap and no duplicate',
    async () => {
      const category = `r${randomUUID().replaceAll('-', '').slice(0, 10)}`;
      const stream = `${category}-1`;
      const received: number[] = [];
      const errors: string[] = [];
      const subscription = store.subscribe(
        { after: await store.headPosition(), filter: { streamPrefixes: [`${category}-`] } },
        {
          onEvents: (events) => void received.push(...events.map((e) => Number(e.data['n']))),
          onError: (e) => void errors.push(e.message),
        },
      );
      const appendWithRetry = async (n: number): Promise<void> => {
        for (let attempt = 0; attempt < 60; attempt += 1) {
          try {
            await store.append(stream, [newEvent('N', { n })], { expectedRevision: n === 0 ? 'no_stream' : n - 1 });
            return;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        }
        throw new Error(`could not append ${n}`);
      };
      for (let n = 0; n < 5; n += 1) await appendWithRetry(n);
      await waitFor(() => received.length === 5, 30_000);
      await container?.restart();
      for (let n = 5; n < 10; n += 1) await appendWithRetry(n);
      await waitFor(() => received.length >= 10, 60_000);
      await subscription.stop();
      expect(received).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(errors).toEqual([]);
    },
    180_000,
  );
});
