import type { EventList, EventShape, Recorded } from '@recert/kernel/pure';
import type { EventFilter, EventStore, RecordedEvent } from './event-store.port';

/** One page of the log as `logPages` reads it. */
export interface LogPage<Event extends RecordedEvent = RecordedEvent> {
  /** The events of the page matching the filter, in global order; may be empty when the filter skipped everything. */
  events: Event[];
  /**
   * How far the log has been read: the last event's position, or more once a short page showed the log scanned to its
   * end (filtered-out events past the last one). A consumer keeps it as its cursor, as `subscribe`'s `scannedTo`.
   */
  scannedTo: number;
}

export interface LogPagesOptions {
  /** Exclusive: start after this position (0, the default, reads from the start). */
  after?: number;
  /** Events asked of the store per page (default 1000). */
  pageSize?: number;
  filter?: EventFilter;
  /**
   * Where to stop. `'head'` (the default): at the head read when the iteration starts, so a long read is bounded and
   * what was appended meanwhile is left for the next read. `'end'`: until a short page, following appends made while
   * reading (a view catching up). A number: at that position, one the log has reached (a head read before, a mark).
   */
  until?: 'head' | 'end' | number;
}

/**
 * The one loop that pages through the global log with `readAll` (#28.3): pages in global order from `after`, each with
 * the position read up to, ending as `until` says. With `events` (an aggregate's `EventList`) the filter is its types
 * and every event comes out narrowed to the union.
 */
export function logPages<E extends EventShape>(
  store: EventStore,
  options: LogPagesOptions & { events: EventList<E> },
): AsyncGenerator<LogPage<Recorded<E>>>;
export function logPages(store: EventStore, options?: LogPagesOptions): AsyncGenerator<LogPage>;
export async function* logPages(
  store: EventStore,
  options: LogPagesOptions & { events?: EventList<EventShape> } = {},
): AsyncGenerator<LogPage> {
  const pageSize = options.pageSize ?? 1000;
  const filter = options.events ? { ...options.filter, eventTypes: options.events.types } : options.filter;
  const until = options.until ?? 'head';
  const bound = until === 'head' ? await store.headPosition() : until === 'end' ? Infinity : until;
  let after = options.after ?? 0;
  while (after < bound) {
    const page = await store.readAll({ after, maxCount: pageSize, filter });
    const events = page.filter((event) => event.position <= bound);
    const reachedBound = events.length < page.length;
    // A short page read the log to its end: up to the bound (a head), filtered-out events included.
    const short = page.length < pageSize;
    const scannedTo = reachedBound || (short && until !== 'end') ? bound : (events[events.length - 1]?.position ?? after);
    if (scannedTo > after) yield { events, scannedTo };
    if (reachedBound || short) return;
    after = scannedTo;
  }
}

/** Every event of the log from `after` to where `until` says, page after page (see `logPages`). */
export async function* logEvents(store: EventStore, options?: LogPagesOptions): AsyncGenerator<RecordedEvent> {
  for await (const page of logPages(store, options)) yield* page.events;
}

/**
 * Events (matching `filter`) after `after` up to `upTo`: the store's own count when it has one, else counted page by
 * page with `readAll` (on EventStoreDB positions are byte offsets, so their difference is no count of events).
 */
export async function countEventsBetween(
  store: EventStore,
  options: { after?: number; upTo: number; filter?: EventFilter; pageSize?: number },
): Promise<number> {
  if (store.countEvents) return store.countEvents(options);
  const pages = logPages(store, { after: options.after, until: options.upTo, filter: options.filter, pageSize: options.pageSize ?? 5000 });
  let count = 0;
  for await (const page of pages) count += page.events.length;
  return count;
}
