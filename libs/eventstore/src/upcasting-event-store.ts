import type { EventStore, RecordedEvent, SubscriptionHandlers } from './event-store.port';

/**
 * The store boundary upcasts: every event read (a stream, the log, a subscription) comes out at its newest
 * payload version, so no reader upcasts and none can forget to. Appends pass through unchanged. Every member of the
 * port, optional ones included, is passed on (R54): a dropped `countEvents` made production page through the log to count.
 */
export function upcastingEventStore(store: EventStore, upcast: (event: RecordedEvent) => RecordedEvent): EventStore {
  // Upcasting changes payloads, never types nor streams, so the store's own count matches what reads return.
  const countEvents = store.countEvents?.bind(store);
  return {
    ...(countEvents ? { countEvents } : {}),
    get kind() {
      return store.kind;
    },
    get identity() {
      return store.identity;
    },
    append: (stream, events, options) => store.append(stream, events, options),
    readStream: async (stream, options) => (await store.readStream(stream, options)).map(upcast),
    readAll: async (options) => (await store.readAll(options)).map(upcast),
    subscribe: (options, handlers) => {
      const upcasting: SubscriptionHandlers = {
        ...handlers,
        onEvents: (events, scannedTo, scannedId) => handlers.onEvents(events.map(upcast), scannedTo, scannedId),
      };
      return store.subscribe(options, upcasting);
    },
    // Optional: present only when the adapter has them, so a reader can tell a log without epochs (#24.2).
    ...(store.epoch && { epoch: () => store.epoch?.() ?? Promise.reject(new Error('no epoch')) }),
    ...(store.eventIdAt && { eventIdAt: (position: number) => store.eventIdAt?.(position) ?? Promise.resolve(undefined) }),
    headPosition: () => store.headPosition(),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
