import { eventList, type Recorded, type RecordedEvent } from './events';

type Opened = { type: 'Opened'; data: { id: string; at: string } };
type Closed = { type: 'Closed'; data: { id: string; reason: string } };
type Door = Opened | Closed;

const DOOR_EVENTS = eventList<Door>({ Opened: true, Closed: true } as const satisfies Record<Door['type'], true>);

function stored(type: string, data: RecordedEvent['data']): RecordedEvent {
  const metadata = { correlationId: 'c', causationId: 'c', actor: 'spec', occurredAt: '2026-01-01T00:00:00.000Z' };
  return { id: type, type, data, metadata, stream: 'door-1', revision: 0, position: 1, recordedAt: metadata.occurredAt };
}

/** What a reader of the union does: narrowing by type gives each payload its own fields. */
function describeDoor(event: Recorded<Door>): string {
  return event.type === 'Opened' ? `${event.data.id} opened at ${event.data.at}` : `${event.data.id} closed: ${event.data.reason}`;
}

describe('R161: an event list is the one list of a union and the guard that narrows stored events to it', () => {
  it('lists every type once, in the order declared', () => {
    expect(DOOR_EVENTS.types).toEqual(['Opened', 'Closed']);
  });

  it('narrows a stored event of a listed type, refuses the others', () => {
    const events = [
      stored('Opened', { id: 'd', at: 'noon' }),
      stored('Painted', { id: 'd' }),
      stored('Closed', { id: 'd', reason: 'wind' }),
    ];
    expect(events.filter(DOOR_EVENTS.is).map(describeDoor)).toEqual(['d opened at noon', 'd closed: wind']);
  });

  it('a field read that the union does not declare fails to compile', () => {
    const read = (event: Recorded<Door>): unknown =>
      // @ts-expect-error `reason` is Closed's, not Opened's: a renamed or misplaced field does not compile.
      event.type === 'Opened' ? event.data.reason : undefined;
    expect(read(stored('Opened', { id: 'd', at: 'noon' }) as Recorded<Door>)).toBeUndefined();
  });
});
