import { randomUUID } from 'node:crypto';
import { EventStore, NewEvent, ReadAllOptions, RecordedEvent } from './event-store.port';
import { countEventsBetween } from './log-pages';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

const event = (type: string): NewEvent => ({
  id: randomUUID(),
  type,
  data: {},
  metadata: { correlationId: randomUUID(), causationId: randomUUID(), actor: 'test', occurredAt: '2026-01-01T00:00:00.000Z' },
});

/** A log whose positions are byte offsets of uneven events, as on EventStoreDB: only `readAll`, no count of its own. */
function byteOffsetStore(types: string[]): EventStore {
  let offset = 0;
  const log: RecordedEvent[] = types.map((type, n) => {
    offset += 300 + ((n * 7919) % 5000);
    return { ...event(type), stream: `s-${n}`, revision: 0, position: offset, recordedAt: '2026-01-01T00:00:00.000Z' };
  });
  const readAll = (options: ReadAllOptions = {}): Promise<RecordedEvent[]> =>
    Promise.resolve(
      log
        .filter((e) => e.position > (options.after ?? 0) && (!options.filter?.eventTypes || options.filter.eventTypes.includes(e.type)))
        .slice(0, options.maxCount ?? 100),
    );
  return { kind: 'eventstoredb', readAll, headPosition: () => Promise.resolve(offset) } as unknown as EventStore;
}

describe('#12.12 counting events between positions', () => {
  it('#12.12: the SQLite store counts events itself, by type and up to a position', async () => {
    const store = new SqliteEventStore({ file: ':memory:' });
    try {
      await store.append('a-1', [event('X'), event('Y'), event('X')], { expectedRevision: 'no_stream' });
      await store.append('b-1', [event('X')], { expectedRevision: 'no_stream' });
      const head = await store.headPosition();
      expect(await store.countEvents({ upTo: head })).toBe(4);
      expect(await store.countEvents({ upTo: head, filter: { eventTypes: ['X'] } })).toBe(3);
      expect(await store.countEvents({ after: 1, upTo: head - 1, filter: { eventTypes: ['X'] } })).toBe(1);
      expect(await store.countEvents({ upTo: head, filter: { eventTypes: ['X'], streamPrefixes: ['b-'] } })).toBe(1);
      expect(await countEventsBetween(store, { upTo: head, filter: { eventTypes: [] } })).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('#12.12: on a log of byte offsets the count is of events, never the difference of positions', async () => {
    const types = Array.from({ length: 250 }, (_, n) => (n % 5 === 0 ? 'Y' : 'X'));
    const store = byteOffsetStore(types);
    const head = await store.headPosition();
    expect(head).toBeGreaterThan(250 * 300);
    expect(await countEventsBetween(store, { upTo: head, pageSize: 40 })).toBe(250);
    expect(await countEventsBetween(store, { upTo: head, filter: { eventTypes: ['X'] }, pageSize: 40 })).toBe(200);
    const [, second] = await store.readAll({ maxCount: 2 });
    expect(await countEventsBetween(store, { upTo: second!.position })).toBe(2);
  });
});
