/**
 * The one event-store port every other part of recert uses. Three adapters implement it: the embedded SQLite
 * store (default), PostgreSQL and EventStoreDB. All pass the same contract suite.
 */

// The shape of an event lives in the pure kernel, so the domain can name it without importing a store.
import type { EventList, EventMetadata, EventShape, JsonObject, JsonValue, NewEvent, Recorded, RecordedEvent } from '@recert/kernel/pure';
export type { EventList, EventMetadata, EventShape, JsonObject, JsonValue, NewEvent, Recorded, RecordedEvent };

/** `any`, `no_stream`, `stream_exists`, or the exact revision of the stream's last event. */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

export interface AppendResult {
  /** Revision of the stream's last event after the append. */
  nextExpectedRevision: number;
  /** Global position of the last event appended (or of the already stored duplicate). */
  position: number;
  /** Global position of each appended event, in order. */
  positions: number[];
  /** True when every event id was already stored: nothing was written. */
  duplicate: boolean;
  /** The store's `recordedAt` of the appended events, when the adapter knows it without reading them back. */
  recordedAt?: string;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive start revision (forwards: lowest, backwards: highest). */
  fromRevision?: number;
  maxCount?: number;
}

export interface EventFilter {
  /** Only events whose type is one of these. */
  eventTypes?: readonly string[];
  /** Only events whose stream name starts with one of these prefixes. */
  streamPrefixes?: readonly string[];
}

export interface ReadAllOptions {
  /** Exclusive: read events whose position is greater than this. 0 reads from the start. */
  after?: number;
  maxCount?: number;
  filter?: EventFilter;
}

export interface SubscriptionHandlers {
  /**
   * Called with consecutive batches in global order; the next batch comes once the promise settles.
   * `scannedTo` is the position up to which the log has been read (at least the last event's position,
   * more when a filter skipped events), so a consumer can checkpoint past events it does not see.
   * A batch may be empty when only filtered-out events were scanned. `scannedId`, when the adapter knows it, is the id
   * of the event at `scannedTo` (filtered out or not), kept with a checkpoint to tell a rewound log (#24.2).
   */
  onEvents(events: RecordedEvent[], scannedTo: number, scannedId?: string): void | Promise<void>;
  /** Called each time the subscription has delivered everything up to the head it knows of. */
  onCaughtUp?(position: number): void;
  /** Called once when the subscription stops because of an error it could not recover from. */
  onError?(error: Error): void;
  /**
   * Optional: called when a transient failure (the store unreachable, a node restarting) makes the subscription
   * pause `delayMs` before its `attempt`-th try from its checkpoint, so a stall shows in health before it ends.
   */
  onRetrying?(error: Error, attempt: number, delayMs: number): void;
}

export interface SubscribeOptions {
  /** Exclusive checkpoint: the position of the last event already processed (0 = from the start). */
  after: number;
  filter?: EventFilter;
  /** Largest batch handed to onEvents (a hint; adapters may deliver smaller ones). */
  batchSize?: number;
}

export interface Subscription {
  /** Stops delivery; resolves once no handler call is running. */
  stop(): Promise<void>;
  /** Resolves when the subscription ends, by stop() or by an error. */
  readonly done: Promise<void>;
}

export interface EventStore {
  readonly kind: 'sqlite' | 'postgres' | 'eventstoredb';
  /**
   * Optional: which log of that kind (a file, a cluster and namespace). A checkpoint stores kind and identity, and a
   * read model whose checkpoint came from another log is rebuilt, not resumed: positions mean nothing elsewhere.
   */
  readonly identity?: string;
  append(stream: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult>;
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Catch-up subscription to the global log that switches to live events without gaps or duplicates. */
  subscribe(options: SubscribeOptions, handlers: SubscriptionHandlers): Subscription;
  /**
   * Optional: how many events (matching `filter`) lie after `after` up to `upTo`, counted by the store itself. Progress
   * and lag are reported in events (#12.12); without this, callers count with `readAll` (countEventsBetween).
   */
  countEvents?(options: { after?: number; upTo: number; filter?: EventFilter }): Promise<number>;
  /**
   * Optional: the log's epoch, a UUID written when the store is created and changed by the restore procedure
   * (`npm run store:new-epoch`, ADR 0007). Positions of one epoch mean nothing in another: a checkpoint of another
   * epoch is never resumed (#24.2).
   */
  epoch?(): Promise<string>;
  /** Optional: id of the event at `position`, undefined when none is there (a rewound log, #24.2). */
  eventIdAt?(position: number): Promise<string | undefined>;
  /** Position of the newest event in the log (0 when empty). */
  headPosition(): Promise<number>;
  /** Cheap check for health endpoints. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const EVENT_STORE = Symbol('EVENT_STORE');

export function matchesFilter(filter: EventFilter | undefined, type: string, stream: string): boolean {
  if (!filter) return true;
  if (filter.eventTypes && !filter.eventTypes.includes(type)) return false;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((prefix) => stream.startsWith(prefix))) return false;
  return true;
}
