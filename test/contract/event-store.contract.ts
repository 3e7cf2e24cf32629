import { randomUUID } from 'node:crypto';
import {
  ConcurrencyError,
  countEventsBetween,
  EventStore,
  LogPage,
  logEvents,
  logPages,
  NewEvent,
  PartialDuplicateError,
  RecordedEvent,
} from '@recert/eventstore';

/**
 * The contract every event-store adapter passes. Each adapter's spec calls this with a factory;
 * streams get a random suffix so a shared server (EventStoreDB) needs no cleaning between tests.
 */
export interface ContractTarget {
  /** The store as production builds it: `createEventStore(config, adapter)`, every wrapper included (R54). */
  store: EventStore;
  /** The adapter under it, to tell what the wrapping kept. */
  adapter: EventStore;
}

/** Every member of the port, optional ones included; the type below stops compiling when the port gains an unlisted one. */
const PORT_MEMBERS = [
  'kind',
  'identity',
  'append',
  'readStream',
  'readAll',
  'subscribe',
  'countEvents',
  'epoch',
  'eventIdAt',
  'headPosition',
  'ping',
  'close',
] as const;
type UnlistedMember = Exclude<keyof EventStore, (typeof PORT_MEMBERS)[number]>;
export const everyPortMemberListed: [UnlistedMember] extends [never] ? true : UnlistedMember = true;

export function newEvent(type: string, data: Record<string, string | number> = {}, id: string = randomUUID()): NewEvent {
  return {
    id,
    type,
    data,
    metadata: {
      correlationId: 'corr-1',
      causationId: 'cause-1',
      actor: 'contract-test',
      occurredAt: '2026-01-02T03:04:05.000Z',
      policyVersion: '2021-06-30',
    },
  };
}

export function uniqueStream(category = 'contract'): string {
  return `${category}-${randomUUID().replaceAll('-', '')}`;
}

/** Collects what a subscription delivers until `count` events arrived or `timeoutMs` passed. */
export async function collect(
  store: EventStore,
  after: number,
  count: number,
  options: { filter?: { eventTypes?: string[]; streamPrefixes?: string[] }; timeoutMs?: number; whileRunning?: () => Promise<void> } = {},
): Promise<RecordedEvent[] & { scannedTo: number }> {
  const received: RecordedEvent[] = [];
  let scannedTo = after;
  let resolveDone: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => (resolveDone = resolve));
  const subscription = store.subscribe(
    { after, filter: options.filter },
    {
      onEvents: (events, scanned) => {
        received.push(...events);
        scannedTo = scanned;
        if (received.length >= count) resolveDone();
      },
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.timeoutMs ?? 10_000)));
  await options.whileRunning?.();
  await Promise.race([enough, timeout]);
  clearTimeout(timer);
  await subscription.stop();
  return Object.assign(received, { scannedTo });
}

export function describeEventStoreContract(name: string, target: () => ContractTarget): void {
  describe(`event-store contract: ${name}`, () => {
    const store = (): EventStore => target().store;

    it('R54: the store production builds keeps every member of the port its adapter has, optional ones included', async () => {
      const { store: built, adapter } = target();
      expect(PORT_MEMBERS.map((member) => [member, typeof built[member]])).toEqual(
        PORT_MEMBERS.map((member) => [member, typeof adapter[member]]),
      );
      if (!built.countEvents) return;
      const stream = uniqueStream('count');
      const { position } = await built.append(stream, [newEvent('Counted'), newEvent('Other'), newEvent('Counted')], {
        expectedRevision: 'no_stream',
      });
      const filter = { eventTypes: ['Counted'], streamPrefixes: [stream] };
      // The store's own count equals the count a reader pages out of the log.
      const paged = await countEventsBetween({ ...built, countEvents: undefined }, { upTo: position, filter });
      expect(await built.countEvents({ upTo: position, filter })).toBe(paged);
      expect(paged).toBe(2);
    });

    describe('append with an expected revision', () => {
      it('no_stream creates a stream and returns revision and global positions', async () => {
        const stream = uniqueStream();
        const result = await store().append(stream, [newEvent('A'), newEvent('B')], { expectedRevision: 'no_stream' });
        expect(result.nextExpectedRevision).toBe(1);
        expect(result.positions).toHaveLength(2);
        expect(result.positions[1]).toBeGreaterThan(result.positions[0] as number);
        expect(result.position).toBe(result.positions[1]);
        expect(result.duplicate).toBe(false);
      });

      it('no_stream on an existing stream raises the typed concurrency error and stores nothing', async () => {
        const stream = uniqueStream();
        await store().append(stream, [newEvent('A')], { expectedRevision: 'no_stream' });
        await expect(store().append(stream, [newEvent('B')], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await store().readStream(stream)).toHaveLength(1);
      });

      it('stream_exists refuses a missing stream and accepts an existing one', async () => {
        const stream = uniqueStream();
        await expect(store().append(stream, [newEvent('A')], { expectedRevision: 'stream_exists' })).rejects.toBeInstanceOf(
          ConcurrencyError,
        );
        await store().append(stream, [newEvent('A')], { expectedRevision: 'no_stream' });
        const result = await store().append(stream, [newEvent('B')], { expectedRevision: 'stream_exists' });
        expect(result.nextExpectedRevision).toBe(1);
      });

      it('an exact revision must match the last event, else the error names the actual revision', async () => {
        const stream = uniqueStream();
        await store().append(stream, [newEvent('A'), newEvent('B')], { expectedRevision: 'no_stream' });
        const error = await store()
          .append(stream, [newEvent('C')], { expectedRevision: 0 })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect((error as ConcurrencyError).actual).toBe(1);
        const ok = await store().append(stream, [newEvent('C')], { expectedRevision: 1 });
        expect(ok.nextExpectedRevision).toBe(2);
      });

      it('any appends whatever the stream state', async () => {
        const stream = uniqueStream();
        await store().append(stream, [newEvent('A')], { expectedRevision: 'any' });
        const result = await store().append(stream, [newEvent('B')], { expectedRevision: 'any' });
        expect(result.nextExpectedRevision).toBe(1);
      });
    });

    describe('idempotent retries by event id', () => {
      it('appending the same ids again is a no-op that reports the first positions, even with a stale revision', async () => {
        const stream = uniqueStream();
        const events = [newEvent('A'), newEvent('B')];
        const first = await store().append(stream, events, { expectedRevision: 'no_stream' });
        const again = await store().append(stream, events, { expectedRevision: 'no_stream' });
        expect(again.duplicate).toBe(true);
        expect(again.positions).toEqual(first.positions);
        expect(await store().readStream(stream)).toHaveLength(2);
      });

      it('a retry under any is deduplicated too', async () => {
        const stream = uniqueStream();
        const event = newEvent('A');
        await store().append(stream, [event], { expectedRevision: 'any' });
        const again = await store().append(stream, [event], { expectedRevision: 'any' });
        expect(again.duplicate).toBe(true);
        expect(await store().readStream(stream)).toHaveLength(1);
      });

      it('an append mixing stored and new ids is refused and stores nothing', async () => {
        const stream = uniqueStream();
        const stored = newEvent('A');
        await store().append(stream, [stored], { expectedRevision: 'no_stream' });
        await expect(store().append(stream, [stored, newEvent('B')], { expectedRevision: 0 })).rejects.toBeInstanceOf(
          PartialDuplicateError,
        );
        expect(await store().readStream(stream)).toHaveLength(1);
      });
    });

    describe('reading a stream', () => {
      it('reads forwards and backwards, from a revision, with a count, with every field', async () => {
        const stream = uniqueStream();
        const events = [newEvent('A', { n: 0 }), newEvent('B', { n: 1 }), newEvent('C', { n: 2 })];
        const appended = await store().append(stream, events, { expectedRevision: 'no_stream' });

        const forwards = await store().readStream(stream);
        expect(forwards.map((e) => e.type)).toEqual(['A', 'B', 'C']);
        expect(forwards.map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(forwards.map((e) => e.position)).toEqual(appended.positions);
        const first = forwards[0] as RecordedEvent;
        expect(first.id).toBe(events[0]?.id);
        expect(first.stream).toBe(stream);
        expect(first.data).toEqual({ n: 0 });
        expect(first.metadata).toEqual(events[0]?.metadata);
        expect(Number.isNaN(Date.parse(first.recordedAt))).toBe(false);

        const backwards = await store().readStream(stream, { direction: 'backwards' });
        expect(backwards.map((e) => e.type)).toEqual(['C', 'B', 'A']);
        const fromOne = await store().readStream(stream, { fromRevision: 1, maxCount: 1 });
        expect(fromOne.map((e) => e.type)).toEqual(['B']);
        const lastTwo = await store().readStream(stream, { direction: 'backwards', maxCount: 2 });
        expect(lastTwo.map((e) => e.type)).toEqual(['C', 'B']);
      });

      it('a stream that does not exist reads as empty', async () => {
        expect(await store().readStream(uniqueStream())).toEqual([]);
      });
    });

    describe('reading the global log', () => {
      it('reads after a position in increasing global order, filtered by type or stream prefix', async () => {
        const head = await store().headPosition();
        const category = `c${randomUUID().replaceAll('-', '').slice(0, 10)}`;
        const s1 = uniqueStream(category);
        const s2 = uniqueStream('other');
        await store().append(s1, [newEvent('X')], { expectedRevision: 'no_stream' });
        await store().append(s2, [newEvent('Y')], { expectedRevision: 'no_stream' });
        await store().append(s1, [newEvent('Y')], { expectedRevision: 0 });

        const all = (await store().readAll({ after: head, maxCount: 1000 })).filter((e) => e.stream === s1 || e.stream === s2);
        expect(all.map((e) => `${e.stream === s1 ? 's1' : 's2'}:${e.type}`)).toEqual(['s1:X', 's2:Y', 's1:Y']);
        const positions = all.map((e) => e.position);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
        expect(await store().headPosition()).toBeGreaterThanOrEqual(positions[2] as number);

        const byPrefix = await store().readAll({ after: head, filter: { streamPrefixes: [`${category}-`] } });
        expect(byPrefix.map((e) => e.type)).toEqual(['X', 'Y']);
        const byType = (await store().readAll({ after: head, filter: { eventTypes: ['X'] } })).filter((e) => e.stream === s1);
        expect(byType.map((e) => e.type)).toEqual(['X']);
        const afterFirst = await store().readAll({ after: positions[0], filter: { streamPrefixes: [`${category}-`] } });
        expect(afterFirst.map((e) => e.type)).toEqual(['Y']);
      });

      it('R160: logPages pages from a position to the head read at its start (or, asked, follows appends to the end)', async () => {
        const from = await store().headPosition();
        const stream = uniqueStream('pages');
        const filter = { streamPrefixes: [stream], eventTypes: ['A'] };
        const types = ['A', 'B', 'A', 'A', 'B'];
        await store().append(
          stream,
          types.map((type) => newEvent(type)),
          { expectedRevision: 'no_stream' },
        );
        const head = await store().headPosition();
        const pages: LogPage[] = [];
        for await (const page of logPages(store(), { after: from, pageSize: 2, filter })) {
          pages.push(page);
          // Appended while reading: past the head read at the start, so left for the next read.
          if (pages.length === 1) await store().append(stream, [newEvent('A')], { expectedRevision: 'any' });
        }
        expect(pages.map((page) => page.events.map((event) => event.revision))).toEqual([[0, 2], [3]]);
        expect(pages[0]?.scannedTo).toBe(pages[0]?.events[1]?.position);
        // The last page reports the log read up to that head, past the filtered-out B after the last A.
        expect(pages[1]?.scannedTo).toBe(head);

        const followed: RecordedEvent[] = [];
        for await (const event of logEvents(store(), { after: from, pageSize: 2, filter, until: 'end' })) followed.push(event);
        expect(followed.map((event) => event.revision)).toEqual([0, 2, 3, 5]);
        const upTo = [];
        for await (const event of logEvents(store(), { after: from, filter, until: pages[0]?.scannedTo })) upTo.push(event);
        expect(upTo).toHaveLength(2);
      });
    });

    describe('catch-up subscription', () => {
      it('starts mid-log, catches up while events keep arriving, then goes live without gaps or duplicates', async () => {
        const category = `s${randomUUID().replaceAll('-', '').slice(0, 10)}`;
        const stream = uniqueStream(category);
        const before = await store().append(stream, [newEvent('E', { n: 0 }), newEvent('E', { n: 1 })], { expectedRevision: 'no_stream' });
        for (let n = 2; n < 30; n += 1) await store().append(stream, [newEvent('E', { n })], { expectedRevision: n - 1 });

        // Start after the first event: 1..29 are history, 30..59 arrive while the subscription runs.
        const received = await collect(store(), before.positions[0] as number, 59, {
          filter: { streamPrefixes: [`${category}-`] },
          whileRunning: async () => {
            for (let n = 30; n < 60; n += 1) await store().append(stream, [newEvent('E', { n })], { expectedRevision: n - 1 });
          },
        });
        expect(received.map((e) => e.data['n'])).toEqual(Array.from({ length: 59 }, (_, i) => i + 1));
      });

      it('delivers only events of the filtered types and reports how far it scanned', async () => {
        const category = `f${randomUUID().replaceAll('-', '').slice(0, 10)}`;
        const stream = uniqueStream(category);
        const start = await store().headPosition();
        const wanted = `Wanted${randomUUID().slice(0, 8)}`;
        const appended = await store().append(stream, [newEvent('Other'), newEvent(wanted), newEvent('Other')], {
          expectedRevision: 'no_stream',
        });
        const received = await collect(store(), start, 1, { filter: { eventTypes: [wanted] } });
        expect(received.map((e) => e.type)).toEqual([wanted]);
        expect(received[0]?.position).toBe(appended.positions[1]);
        expect(received.scannedTo).toBeGreaterThanOrEqual(appended.positions[1] as number);
      });

      it('stop() ends delivery: nothing arrives after it resolved', async () => {
        const category = `t${randomUUID().replaceAll('-', '').slice(0, 10)}`;
        const stream = uniqueStream(category);
        const received: RecordedEvent[] = [];
        const subscription = store().subscribe(
          { after: await store().headPosition(), filter: { streamPrefixes: [`${category}-`] } },
          { onEvents: (events) => void received.push(...events) },
        );
        await store().append(stream, [newEvent('A')], { expectedRevision: 'no_stream' });
        await waitFor(() => received.length === 1);
        await subscription.stop();
        // stop() resolved only once the delivery loop had exited, so no later append can reach the handler.
        await store().append(stream, [newEvent('B')], { expectedRevision: 0 });
        await subscription.done;
        expect(received.map((e) => e.type)).toEqual(['A']);
        expect((await store().readStream(stream)).map((e) => e.type)).toEqual(['A', 'B']);
      });
    });
  });
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
