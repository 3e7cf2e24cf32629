import type { EventList, EventShape, Recorded } from '@recert/kernel/pure';
import type { EventStore, ReadStreamOptions, SubscriptionHandlers } from './event-store.port';

/**
 * A stream read as an aggregate's events (#28.3): typed by its event list, events of other types left out. A
 * consumer narrows each by `type` and reads its fields without a cast; `logPages` does the same for the log.
 */
export async function readStreamOf<E extends EventShape>(
  store: EventStore,
  stream: string,
  events: EventList<E>,
  options?: ReadStreamOptions,
): Promise<Recorded<E>[]> {
  return (await store.readStream(stream, options)).filter(events.is);
}

/**
 * A subscription's `onEvents` that hands on only the list's events, typed; `scannedTo` still covers the others, so
 * a checkpoint moves past them. Subscribe with `filter: { eventTypes: list.types }` to skip them at the store.
 */
export function onEventsOf<E extends EventShape>(
  events: EventList<E>,
  onEvents: (events: Recorded<E>[], scannedTo: number, scannedId?: string) => void | Promise<void>,
): SubscriptionHandlers['onEvents'] {
  return (batch, scannedTo, scannedId) => onEvents(batch.filter(events.is), scannedTo, scannedId);
}
