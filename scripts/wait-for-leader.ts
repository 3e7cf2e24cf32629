/**
 * `node dist/scripts/wait-for-leader.js`: exits 0 once the EventStoreDB cluster of EVENTSTORE_CONNECTION_STRING has
 * a leader that serves reads, 1 when none did within WAIT_FOR_LEADER_TIMEOUT_MS (default 180000). docker-compose.yml
 * runs it once before the api and the worker start: a node's /health/live answers before any leader is elected.
 */
import { EsdbEventStore, type EventStore } from '@recert/eventstore';

/**
 * Reads a stream with requires-leader (EsdbEventStore.readStream): only a leader answers it (a follower or a node
 * still electing answers NotLeader or is unavailable), so one answer, even "no such stream", proves a leader.
 */
export async function waitForLeader(
  store: Pick<EventStore, 'readStream'>,
  options: { timeoutMs: number; pauseMs: number; log?: (line: string) => void },
): Promise<boolean> {
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      await store.readStream('recert-leader-probe', { maxCount: 1 });
      options.log?.(`wait-for-leader: a leader answered (try ${attempt})`);
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (Date.now() - started >= options.timeoutMs) {
        options.log?.(`wait-for-leader: no leader after ${attempt} tries: ${message}`);
        return false;
      }
      options.log?.(`wait-for-leader: try ${attempt}: ${message}`);
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  }
}

async function main(): Promise<void> {
  const connectionString = process.env['EVENTSTORE_CONNECTION_STRING'];
  if (!connectionString) {
    process.stderr.write('wait-for-leader: EVENTSTORE_CONNECTION_STRING is not set\n');
    process.exit(2);
  }
  const store = new EsdbEventStore({ connectionString, readDeadlineMs: 5000 });
  const timeoutMs = Number(process.env['WAIT_FOR_LEADER_TIMEOUT_MS'] ?? 180_000);
  const ok = await waitForLeader(store, { timeoutMs, pauseMs: 2000, log: (line) => process.stderr.write(`${line}\n`) });
  await store.close();
  process.exit(ok ? 0 : 1);
}

if (require.main === module) void main();
