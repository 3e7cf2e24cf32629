import { eventList, type Recorded } from '@recert/kernel/pure';
import type { NewEvent, RecordedEvent } from './event-store.port';
import { logEvents, logPages } from './log-pages';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { onEventsOf, readStreamOf } from './typed-reads';

type Opened = { type: 'Opened'; data: { door: string; at: string } };
type Closed = { type: 'Closed'; data: { door: string; reason: string } };
const DOOR_EVENTS = eventList<Opened | Closed>({ Opened: true, Closed: true });

function newEvent(type: string, data: NewEvent['data']): NewEvent {
  return {
    id: `${type}-${JSON.stringify(data)}`,
    type,
    data,
    metadata: { correlationId: 'c', causationId: 'c', actor: 'spec', occurredAt: 'now' },
  };
}

/** Reads a field of each payload by its declared name: a renamed field fails to compile here. */
function told(event: Recorded<Opened | Closed>): string {
  return event.type === 'Opened' ? `${event.data.door} at ${event.data.at}` : `${event.data.door}: ${event.data.reason}`;
}

describe("R161: the store reads an aggregate's events typed by its event list", () => {
  let store: SqliteEventStore;
  beforeAll(async () => {
    store = new SqliteEventStore({ file: ':memory:' });
    await store.append(
      'door-1',
      [
        newEvent('Opened', { door: 'front', at: 'noon' }),
        newEvent('Painted', { door: 'front' }),
        newEvent('Closed', { door: 'front', reason: 'wind' }),
      ],
      {
        expectedRevision: 'no_stream',
      },
    );
  });
  afterAll(() => store.close());

  it('a stream (readStreamOf), the log (logPages with events) and a subscription batch (onEventsOf) yield the typed events only', async () => {
    expect((await readStreamOf(store, 'door-1', DOOR_EVENTS)).map(told)).toEqual(['front at noon', 'front: wind']);
    const fromLog: string[] = [];
    for await (const page of logPages(store, { events: DOOR_EVENTS })) fromLog.push(...page.events.map(told));
    expect(fromLog).toEqual(['front at noon', 'front: wind']);
    const seen: string[] = [];
    const all: RecordedEvent[] = [];
    for await (const event of logEvents(store)) all.push(event);
    await onEventsOf(DOOR_EVENTS, (events, scannedTo) => void seen.push(...events.map(told), `to ${scannedTo}`))(all, 3);
    expect(seen).toEqual(['front at noon', 'front: wind', 'to 3']);
  });
});
