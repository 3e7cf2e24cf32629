import { UnavailableError } from '@eventstore/db-client';
import { EsdbEventStore } from '@recert/eventstore';
import { FakeEsdbClient, notLeaderError } from '../libs/eventstore/src/esdb/testing/fake-esdb-client';
import { waitForLeader } from './wait-for-leader';

/** #12.3: the apps start only once a leader serves leader-only reads, not when a node merely answers /health/live. */
describe('wait-for-leader', () => {
  it('#12.3 keeps asking while nodes are unreachable or not the leader, and succeeds once a leader answers', async () => {
    const client = new FakeEsdbClient();
    // While electing: unreachable, then followers that name no leader yet (two NotLeader in a row defeat the adapter's one retry).
    client.failNext('readStream', new UnavailableError(), notLeaderError(), notLeaderError(), new UnavailableError());
    const store = new EsdbEventStore({ client });
    const lines: string[] = [];
    expect(await waitForLeader(store, { timeoutMs: 60_000, pauseMs: 1, log: (line) => lines.push(line) })).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/a leader answered \(try 4\)/);
    const probes = client.calls.filter((call) => call.method === 'readStream');
    expect(probes.every((call) => (call.options as { requiresLeader?: boolean }).requiresLeader === true)).toBe(true);
    await store.close();
  });

  it('#12.3 gives up with false when no leader answers before its deadline', async () => {
    const client = new FakeEsdbClient();
    client.failNext('readStream', ...Array.from({ length: 50 }, () => new UnavailableError()));
    const store = new EsdbEventStore({ client });
    expect(await waitForLeader(store, { timeoutMs: 0, pauseMs: 1 })).toBe(false);
    await store.close();
  });
});
