import { randomUUID } from 'node:crypto';
import {
  AccessDeniedError,
  MaxAppendSizeExceededError,
  StreamDeletedError as ClientStreamDeletedError,
  UnavailableError,
  UnknownError,
} from '@eventstore/db-client';
import {
  AppendTooLargeError,
  EventStoreAccessDeniedError,
  EventStoreUnavailableError,
  InvalidPositionError,
  StreamDeletedError,
} from '../errors';
import type { NewEvent, RecordedEvent, Subscription } from '../event-store.port';
import { backoff, EsdbEventStore, EsdbEventStoreOptions, hostsOf } from './esdb-event-store';
import { FakeEsdbClient, notLeaderError } from './testing/fake-esdb-client';

/**
 * The adapter's own logic against an in-memory stand-in for the client (never a fake server): paging, stop races,
 * back-off, leader reads, error mapping, namespaces. The real-server half is test/contract/esdb-event-store.int.spec.ts.
 */
function event(type: string, data: Record<string, number | string> = {}): NewEvent {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: { correlationId: 'c', causationId: 'c', actor: 'unit', occurredAt: '2026-01-01T00:00:00.000Z' },
  };
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 10_000) throw new Error(`not in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('EsdbEventStore against a stand-in client', () => {
  let client: FakeEsdbClient;
  const stores: EsdbEventStore[] = [];
  const open = (options: Partial<EsdbEventStoreOptions> = {}): EsdbEventStore => {
    const store = new EsdbEventStore({ client, resubscribe: { initialDelayMs: 1, maxDelayMs: 8, maxAttempts: 6 }, ...options });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    client = new FakeEsdbClient();
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  describe('#12.5 headPosition', () => {
    it('#12.5 pages back past system and foreign records to the newest recert event', async () => {
      const store = open({ headPageSize: 50 });
      const appended = await store.append('profile-1', [event('ProfileCreated')], { expectedRevision: 'no_stream' });
      for (let n = 0; n < 180; n += 1) client.write('$stats-node', '$statsCollected');
      for (let n = 0; n < 40; n += 1) client.write('other-app-1', 'Foreign', {}, false);
      expect(await store.headPosition()).toBe(appended.position);
      // Four pages of 50 were needed: the old single window of 50 would have answered 0.
      const pages = client.calls.filter((call) => call.method === 'readAll');
      expect(pages.length).toBeGreaterThanOrEqual(5);
      // Each page starts at the end or at a record's own position, never at an offset inside a record.
      const starts = new Set(client.records.map((record) => record.commitPosition));
      for (const page of pages) {
        const from = (page.options as { fromPosition?: unknown }).fromPosition;
        expect(from === 'end' || starts.has((from as { commit: bigint }).commit)).toBe(true);
      }
    });

    it('#12.5 answers 0 when no recert event is in the log at all', async () => {
      const store = open({ headPageSize: 7 });
      for (let n = 0; n < 30; n += 1) client.write('$scavenges', '$scavengeStarted');
      expect(await store.headPosition()).toBe(0);
    });
  });

  describe('#12.7 subscriptions', () => {
    it('#12.7 stop() during an async handler on the last catch-up page opens no live subscription and close() returns', async () => {
      const store = open();
      await store.append('profile-1', [event('A')], { expectedRevision: 'no_stream' });
      let release: () => void = () => undefined;
      let handling = false;
      const subscription = store.subscribe(
        { after: 0 },
        {
          onEvents: () =>
            new Promise<void>((resolve) => {
              handling = true;
              release = resolve;
            }),
        },
      );
      await waitFor(() => handling, 'the handler runs');
      const stopped = subscription.stop();
      release();
      await stopped;
      await store.close();
      expect(client.calls.filter((call) => call.method === 'subscribeToAll')).toEqual([]);
      expect(client.live.size).toBe(0);
    });

    it('#12.7 transient failures back off exponentially up to the cap, are reported, and end in onError', async () => {
      const store = open();
      const down = Array.from({ length: 6 }, () => new UnavailableError());
      client.failNext('readAll', ...down);
      const retries: { attempt: number; delayMs: number; error: Error }[] = [];
      const errors: Error[] = [];
      const subscription = store.subscribe(
        { after: 0 },
        {
          onEvents: () => undefined,
          onRetrying: (error, attempt, delayMs) => void retries.push({ attempt, delayMs, error }),
          onError: (error) => void errors.push(error),
        },
      );
      await subscription.done;
      expect(retries.map((r) => r.delayMs)).toEqual([1, 2, 4, 8, 8]);
      expect(retries.every((r) => r.error instanceof EventStoreUnavailableError)).toBe(true);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.message).toMatch(/after 6 tries/);
    });

    it('#12.7 after the server comes back it resumes from its checkpoint with no gap and no duplicate', async () => {
      const store = open();
      for (let n = 0; n < 3; n += 1)
        await store.append('profile-1', [event('N', { n })], { expectedRevision: n === 0 ? 'no_stream' : n - 1 });
      const received: number[] = [];
      const retried: number[] = [];
      const subscription = store.subscribe(
        { after: 0 },
        {
          onEvents: (events) => void received.push(...events.map((e) => Number(e.data['n']))),
          onRetrying: (_, attempt) => void retried.push(attempt),
        },
      );
      await waitFor(() => received.length === 3 && client.live.size === 1, 'caught up and live');
      client.failNext('readAll', new UnavailableError(), new UnavailableError());
      client.dropSubscriptions(new UnavailableError());
      await waitFor(() => client.live.size === 1 && retried.length === 3, 'live again');
      for (let n = 3; n < 6; n += 1) await store.append('profile-1', [event('N', { n })], { expectedRevision: n - 1 });
      await waitFor(() => received.length >= 6, 'the new events');
      await subscription.stop();
      expect(received).toEqual([0, 1, 2, 3, 4, 5]);
      // Three failures, each retried; how the attempts count (1, 2, 3, or 1, 1, 2 when a read succeeded between two
      // failures on a loaded machine) depends on timing, the resumption without gap or duplicate does not.
      expect(retried).toHaveLength(3);
      expect(retried[0]).toBe(1);
    });

    it('#12.7 a live subscription the server never confirms counts as a failure once its deadline passes', async () => {
      const store = open({ readDeadlineMs: 20 });
      client.confirmSubscriptions = false;
      const errors: Error[] = [];
      const subscription = store.subscribe({ after: 0 }, { onEvents: () => undefined, onError: (error) => void errors.push(error) });
      await subscription.done;
      expect(errors[0]?.message).toMatch(/did not confirm the subscription/);
      expect(client.calls.filter((call) => call.method === 'subscribeToAll').length).toBe(6);
    });

    it('#12.7 access denied is not retried: onError at once', async () => {
      const store = open();
      client.failNext('readAll', new AccessDeniedError());
      const errors: Error[] = [];
      const retried: number[] = [];
      const subscription = store.subscribe(
        { after: 0 },
        { onEvents: () => undefined, onError: (error) => void errors.push(error), onRetrying: (_, attempt) => void retried.push(attempt) },
      );
      await subscription.done;
      expect(retried).toEqual([]);
      expect(errors[0]?.cause).toBeInstanceOf(EventStoreAccessDeniedError);
    });

    it('#12.7 the back-off doubles from its first pause and stops at its cap', () => {
      const policy = { initialDelayMs: 250, maxDelayMs: 30_000, maxAttempts: 10 };
      expect([1, 2, 3, 4, 8, 9].map((n) => backoff(policy, n))).toEqual([250, 500, 1000, 2000, 30_000, 30_000]);
    });
  });

  describe('#12.8 reads that decide come from the leader', () => {
    it('#12.8 stream reads, the dedup check and the read-back of a multi-event append require the leader', async () => {
      const store = open();
      await store.append('profile-1', [event('A'), event('B')], { expectedRevision: 'no_stream' });
      await store.readStream('profile-1');
      const reads = client.calls.filter((call) => call.method === 'readStream');
      expect(reads.length).toBe(3);
      expect(reads.every((call) => (call.options as { requiresLeader?: boolean }).requiresLeader === true)).toBe(true);
    });

    it('#12.8 a NotLeader answer (a demoted leader) is retried once, against the leader the client was told of', async () => {
      const store = open();
      await store.append('profile-1', [event('A')], { expectedRevision: 'no_stream' });
      client.failNext('readStream', notLeaderError());
      expect((await store.readStream('profile-1')).map((e) => e.type)).toEqual(['A']);
      client.failNext('readStream', notLeaderError(), notLeaderError());
      await expect(store.readStream('profile-1')).rejects.toBeInstanceOf(EventStoreUnavailableError);
    });
  });

  describe('#12.9 error mapping and deadlines', () => {
    it('#12.9 only unavailability becomes EventStoreUnavailableError', async () => {
      const store = open();
      client.failNext('readStream', new UnavailableError());
      await expect(store.readStream('profile-1')).rejects.toBeInstanceOf(EventStoreUnavailableError);
      client.failNext('readStream', new AccessDeniedError());
      await expect(store.readStream('profile-1')).rejects.toBeInstanceOf(EventStoreAccessDeniedError);
      client.failNext('readStream', ClientStreamDeletedError.fromStreamName('profile-1'));
      await expect(store.readStream('profile-1')).rejects.toBeInstanceOf(StreamDeletedError);
    });

    it('#12.9 a too-large append is its own error and names the server limit', async () => {
      const store = open();
      client.failNext('appendToStream', MaxAppendSizeExceededError.fromMaxAppendSize(1_048_576));
      const error = await store.append('profile-1', [event('A')], { expectedRevision: 'any' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppendTooLargeError);
      expect((error as AppendTooLargeError).maxAppendSize).toBe(1_048_576);
    });

    it('#12.9 a read of $all from a position that is no record start is an invalid position, not an outage', async () => {
      const store = open();
      client.failNext('readAll', new UnknownError(undefined, 'Invalid position'));
      await expect(store.readAll({ after: 150 })).rejects.toBeInstanceOf(InvalidPositionError);
    });

    it('#12.9 every read has a deadline: a stalled node fails the read instead of holding it', async () => {
      const store = open({ readDeadlineMs: 20 });
      client.stallReads = true;
      await expect(store.readStream('profile-1')).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(store.readAll({})).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(store.headPosition()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    });

    it('#12.9 appends carry a deadline to the client', async () => {
      const store = open({ appendDeadlineMs: 1234 });
      await store.append('profile-1', [event('A')], { expectedRevision: 'no_stream' });
      const append = client.calls.find((call) => call.method === 'appendToStream');
      expect((append?.options as { deadline?: number }).deadline).toBe(1234);
    });
  });

  describe('#24.7 deadlines, readiness and filtering on the server', () => {
    it('R63: an append the connection never acknowledges fails at its deadline, not at keepalive; the deadline goes to the client too', async () => {
      const store = open({ appendDeadlineMs: 30 });
      client.stallAppends = true;
      const error = await store.append('profile-1', [event('A')], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventStoreUnavailableError);
      expect((error as Error).message).toMatch(/no acknowledgement of the append from EventStoreDB within 30 ms/);
      const append = client.calls.find((call) => call.method === 'appendToStream');
      expect((append?.options as { deadline?: number }).deadline).toBe(30);
      // The connection back: the same append (same event ids) goes through.
      client.stallAppends = false;
      await expect(store.append('profile-1', [event('B')], { expectedRevision: 'no_stream' })).resolves.toMatchObject({ duplicate: false });
    });

    it('R63: ping reads one record of $all from the leader, however much foreign traffic follows the last recert event', async () => {
      const store = open({ streamPrefix: 'recert.', headPageSize: 2 });
      await store.append('profile-1', [event('A')], { expectedRevision: 'no_stream' });
      for (let i = 0; i < 50; i += 1) client.write(`shop.order-${i}`, 'OrderPlaced');
      client.calls.length = 0;
      await store.ping();
      expect(client.calls).toEqual([
        { method: 'readAll', options: { direction: 'backwards', fromPosition: 'end', maxCount: 1, requiresLeader: true } },
      ]);
      // The head, by contrast, pages back to the recert event (25 pages of 2 here).
      client.calls.length = 0;
      await store.headPosition();
      expect(client.calls.length).toBeGreaterThan(20);
      client.stallReads = true;
      await expect(open({ readDeadlineMs: 20 }).ping()).rejects.toBeInstanceOf(EventStoreUnavailableError);
    });

    it('R63: the live subscription asks the server to filter the namespace (streamNameFilter prefixes); without one, system events', async () => {
      const namespaced = open({ streamPrefix: 'recert.' });
      const received: RecordedEvent[] = [];
      const subscription = namespaced.subscribe({ after: 0 }, { onEvents: (events) => void received.push(...events) });
      await waitFor(() => client.live.size === 1, 'live');
      const [live] = client.calls.filter((call) => call.method === 'subscribeToAll');
      expect((live?.options as { filter?: object }).filter).toMatchObject({ filterOn: 'streamName', prefixes: ['recert.'] });
      client.write('shop.order-1', 'OrderPlaced');
      await namespaced.append('profile-1', [event('A')], { expectedRevision: 'no_stream' });
      await waitFor(() => received.length === 1, 'the recert event');
      await subscription.stop();

      const plain = open();
      const other = plain.subscribe({ after: 0 }, { onEvents: () => undefined });
      await waitFor(() => client.calls.filter((call) => call.method === 'subscribeToAll').length === 2, 'second live');
      const second = client.calls.filter((call) => call.method === 'subscribeToAll')[1];
      expect((second?.options as { filter?: object }).filter).toMatchObject({ filterOn: 'eventType', regex: '^[^$].*' });
      await other.stop();
    });
  });

  describe('#12.10 a stream namespace', () => {
    it("#12.10 writes under the prefix, reads it off, and leaves other applications' streams out of $all, subscriptions and the head", async () => {
      const store = open({ streamPrefix: 'recert.' });
      const mine = await store.append('profile-1', [event('ProfileCreated')], { expectedRevision: 'no_stream' });
      client.write('profile-2', 'ProfileCreated');
      client.write('shop.order-1', 'OrderPlaced');
      expect(client.records.map((r) => r.event?.streamId)).toEqual(['recert.profile-1', 'profile-2', 'shop.order-1']);
      expect((await store.readStream('profile-1')).map((e) => e.stream)).toEqual(['profile-1']);
      expect((await store.readAll({})).map((e) => e.stream)).toEqual(['profile-1']);
      expect(await store.headPosition()).toBe(mine.position);
      const received: RecordedEvent[] = [];
      const subscription: Subscription = store.subscribe({ after: 0 }, { onEvents: (events) => void received.push(...events) });
      await waitFor(() => client.live.size === 1, 'live');
      client.write('shop.order-2', 'OrderPlaced');
      await store.append('profile-1', [event('Renamed')], { expectedRevision: 0 });
      await waitFor(() => received.length === 2, 'both recert events');
      await subscription.stop();
      expect(received.map((e) => `${e.stream}:${e.type}`)).toEqual(['profile-1:ProfileCreated', 'profile-1:Renamed']);
    });
  });

  describe('#12.11 identity', () => {
    it('#12.11 names the cluster by its sorted hosts and the namespace, never by credentials', () => {
      expect(hostsOf('esdb://admin:changeit@c:2113,a:2113,b:2113?tls=false')).toBe('esdb://a:2113,b:2113,c:2113');
      expect(new EsdbEventStore({ client, connectionString: 'esdb://a:2113?tls=false', streamPrefix: 'recert.' }).identity).toBe(
        'esdb://a:2113/recert.',
      );
    });
  });
});
