import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { EsdbEventStore } from '@recert/eventstore';
import { dockerAnswers } from '../support/docker';
import { GenericContainer, StartedTestContainer, Wait } from 'testcontainers';
import { newEvent, waitFor } from './event-store.contract';

/**
 * #12.6: the adapter resubscribes from its last checkpoint after the server restarts. The server keeps its log on a
 * named Docker volume (an in-memory node would come back empty) and its port is mapped to a fixed host port (a
 * restarted container may get another ephemeral one, which the client's connection string would not follow).
 * Runs where a Docker engine answers; elsewhere one SKIPPED line.
 */
const IMAGE = process.env['EVENTSTORE_IMAGE'] ?? 'eventstore/eventstore:24.10';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const runs = dockerAnswers();
if (!runs) process.stdout.write('EventStoreDB restart spec SKIPPED: no Docker engine answers (docker info failed)\n');

(runs ? describe : describe.skip)('EventStoreDB restart', () => {
  const volume = `recert-esdb-restart-${randomUUID().slice(0, 8)}`;
  let container: StartedTestContainer | undefined;
  let store: EsdbEventStore | undefined;

  beforeAll(async () => {
    const port = await freePort();
    container = await new GenericContainer(IMAGE)
      .withEnvironment({ EVENTSTORE_INSECURE: 'true', EVENTSTORE_RUN_PROJECTIONS: 'None', EVENTSTORE_MEM_DB: 'false' })
      // A source that is a name, not a path, is a named volume: Docker creates it, owned as the image's folder is.
      .withBindMounts([{ source: volume, target: '/var/lib/eventstore' }])
      .withExposedPorts({ container: 2113, host: port })
      .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
      .start();
    store = new EsdbEventStore({
      connectionString: `esdb://${container.getHost()}:${port}?tls=false`,
      resubscribe: { initialDelayMs: 200, maxDelayMs: 2000, maxAttempts: 1000 },
    });
  }, 180_000);

  afterAll(async () => {
    await store?.close();
    await container?.stop();
    spawnSync('docker', ['volume', 'rm', '-f', volume], { timeout: 30_000 });
  }, 120_000);

  it('#12.6 appends before a restart survive it, and the subscription resumes with no gap and no duplicate', async () => {
    const events = store as EsdbEventStore;
    const category = `r${randomUUID().replaceAll('-', '').slice(0, 10)}`;
    const stream = `${category}-1`;
    const received: number[] = [];
    const errors: string[] = [];
    const retries: number[] = [];
    const subscription = events.subscribe(
      { after: await events.headPosition(), filter: { streamPrefixes: [`${category}-`] } },
      {
        onEvents: (batch) => void received.push(...batch.map((e) => Number(e.data['n']))),
        onRetrying: (_, attempt) => void retries.push(attempt),
        onError: (e) => void errors.push(e.message),
      },
    );
    const appendWithRetry = async (n: number): Promise<void> => {
      for (let attempt = 0; attempt < 120; attempt += 1) {
        try {
          // Exact revisions and fixed ids: a retry of an append the server took before failing is a no-op.
          await events.append(stream, [newEvent('N', { n }, `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`)], {
            expectedRevision: n === 0 ? 'no_stream' : n - 1,
          });
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
      throw new Error(`could not append ${n}`);
    };
    for (let n = 0; n < 5; n += 1) await appendWithRetry(n);
    await waitFor(() => received.length === 5, 60_000);

    await container?.restart();
    for (let n = 5; n < 10; n += 1) await appendWithRetry(n);
    await waitFor(() => received.length >= 10, 120_000);
    await subscription.stop();

    expect((await events.readStream(stream)).map((e) => Number(e.data['n']))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(received).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(errors).toEqual([]);
    // The restart did drop the subscription: without a resubscribe, nothing after it would have arrived.
    expect(retries.length).toBeGreaterThan(0);
  }, 300_000);
});
