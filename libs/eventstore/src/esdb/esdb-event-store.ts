import {
  ANY,
  AccessDeniedError,
  AllStreamResolvedEvent,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  FORWARDS,
  MaxAppendSizeExceededError,
  NO_STREAM,
  NotLeaderError,
  Position,
  START,
  STREAM_EXISTS,
  StreamDeletedError as ClientStreamDeletedError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AppendExpectedRevision,
  type AppendResult as ClientAppendResult,
  type AppendToStreamOptions,
  type EventData,
  type ReadAllOptions as ClientReadAllOptions,
  type ReadStreamOptions as ClientReadStreamOptions,
  type ResolvedEvent,
  type SubscribeToAllOptions,
} from '@eventstore/db-client';
import {
  AppendTooLargeError,
  ConcurrencyError,
  EventStoreAccessDeniedError,
  EventStoreUnavailableError,
  InvalidPositionError,
  PartialDuplicateError,
  StreamDeletedError,
} from '../errors';
import {
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  JsonObject,
  matchesFilter,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  SubscriptionHandlers,
} from '../event-store.port';
import { registeredSubscription } from '../polling-subscription';

/** A read the adapter can stop early; the client's `StreamingRead` is one. */
export interface EsdbRead<E> extends AsyncIterable<E> {
  cancel(): Promise<void>;
}

/** A live subscription; the client's `AllStreamSubscription` is one. */
export interface EsdbLive<E> extends AsyncIterable<E> {
  on(event: 'confirmation' | 'caughtUp', listener: () => void): unknown;
  unsubscribe(): Promise<void>;
}

/**
 * The part of `EventStoreDBClient` the adapter calls: the real client in production, a small in-memory stand-in
 * in unit specs (`testing/fake-esdb-client.ts`). The assignment below the class keeps the two in step.
 */
export interface EsdbClient {
  appendToStream(stream: string, events: EventData[], options: AppendToStreamOptions): Promise<ClientAppendResult>;
  readStream(stream: string, options: ClientReadStreamOptions): EsdbRead<ResolvedEvent>;
  readAll(options: ClientReadAllOptions): EsdbRead<AllStreamResolvedEvent>;
  subscribeToAll(options: SubscribeToAllOptions): EsdbLive<AllStreamResolvedEvent>;
  dispose(): Promise<void>;
}

export interface EsdbRetryPolicy {
  /** First pause after a transient subscription failure; doubles on each failure in a row. */
  initialDelayMs: number;
  /** Longest pause between two tries. */
  maxDelayMs: number;
  /** Failures in a row after which the subscription gives up and calls onError (the consumer resubscribes). */
  maxAttempts: number;
}

export interface EsdbEventStoreOptions {
  connectionString?: string;
  /** Unit specs only: a stand-in for the client. */
  client?: EsdbClient;
  /**
   * Prepended to every stream recert writes and reads (STREAM_PREFIX, e.g. `recert.`); global reads, subscriptions,
   * the head and the audit export see only streams that carry it. Empty: every non-system stream is recert's.
   */
  streamPrefix?: string;
  /** How many of a stream's newest events are searched for ids already stored (idempotent retries). */
  dedupWindow?: number;
  batchSize?: number;
  /**
   * Longest wait for the next record of a read (and for a subscription's confirmation). Client 6.2.1 ignores the
   * `deadline` option on reads and subscriptions (it passes `deadline: Infinity`), so the adapter keeps its own.
   */
  readDeadlineMs?: number;
  /**
   * Deadline of an append. Passed to the client, which with batchAppend (every server since 21.10) only sends it to the
   * server inside the request: the gRPC call itself has none (`deadline: Infinity`, batchAppend.js). The adapter keeps
   * its own timer too, so a dead connection fails the append instead of waiting for keepalive (#24.7).
   */
  appendDeadlineMs?: number;
  resubscribe?: Partial<EsdbRetryPolicy>;
  /** Records scanned backwards per page while looking for the newest recert event. */
  headPageSize?: number;
}

/**
 * EventStoreDB behind the same port as the embedded store. The global position is the commit position:
 * prepare differs from it only with explicit transactions, which recert never uses.
 * Why each failure path is as it is: docs/adr/0009-eventstoredb-deployment-and-failure-paths.md.
 */
export class EsdbEventStore implements EventStore {
  readonly kind = 'eventstoredb' as const;
  /** Which log this is, for checkpoints: the cluster's seed hosts and the namespace, never credentials. */
  readonly identity: string;
  private readonly client: EsdbClient;
  private readonly prefix: string;
  private readonly dedupWindow: number;
  private readonly batchSize: number;
  private readonly readDeadlineMs: number;
  private readonly appendDeadlineMs: number;
  private readonly retry: EsdbRetryPolicy;
  private readonly headPageSize: number;
  private readonly subscriptions = new Set<Subscription>();

  constructor(options: EsdbEventStoreOptions) {
    if (options.client) this.client = options.client;
    else if (options.connectionString) this.client = EventStoreDBClient.connectionString(options.connectionString);
    else throw new Error('EsdbEventStore needs a connection string');
    this.prefix = options.streamPrefix ?? '';
    this.identity = `${hostsOf(options.connectionString)}/${this.prefix}`;
    this.dedupWindow = options.dedupWindow ?? 256;
    this.batchSize = options.batchSize ?? 500;
    this.readDeadlineMs = options.readDeadlineMs ?? 10_000;
    this.appendDeadlineMs = options.appendDeadlineMs ?? 10_000;
    this.retry = { initialDelayMs: 250, maxDelayMs: 30_000, maxAttempts: 10, ...options.resubscribe };
    this.headPageSize = Math.max(2, options.headPageSize ?? 500);
  }

  async append(stream: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    // The server's own dedup is reliable only with an exact revision and forgets on restart: check the stream.
    const duplicate = await this.findStored(stream, events);
    if (duplicate) return duplicate;
    let result: ClientAppendResult;
    let timer: NodeJS.Timeout | undefined;
    try {
      const appended = this.client.appendToStream(
        this.prefix + stream,
        events.map((event) => jsonEvent({ id: event.id, type: event.type, data: event.data, metadata: event.metadata })),
        { expectedRevision: toClientRevision(options.expectedRevision), deadline: this.appendDeadlineMs },
      );
      // The append may still land after this answer: its event ids derive from the command, so a retry finds it stored.
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AppendDeadlineExceeded(this.appendDeadlineMs)), this.appendDeadlineMs);
      });
      result = await Promise.race([appended, expired]);
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion === NO_STREAM ? -1 : Number(error.actualVersion);
        throw new ConcurrencyError(stream, options.expectedRevision, actual);
      }
      throw mapError(error, { stream });
    } finally {
      clearTimeout(timer);
    }
    const next = Number(result.nextExpectedRevision);
    if (events.length === 1 && result.position) {
      const position = toNumber(result.position.commit);
      return { nextExpectedRevision: next, position, positions: [position], duplicate: false };
    }
    // Each event of a multi-event append has its own position: read them back (from the leader, as readStream does).
    const stored = await this.readStream(stream, { fromRevision: next - events.length + 1, maxCount: events.length });
    const positions = stored.map((event) => event.position);
    return { nextExpectedRevision: next, position: positions[positions.length - 1] ?? 0, positions, duplicate: false };
  }

  private async findStored(stream: string, events: readonly NewEvent[]): Promise<AppendResult | undefined> {
    const recent = await this.readStream(stream, { direction: 'backwards', maxCount: this.dedupWindow });
    if (recent.length === 0) return undefined;
    const byId = new Map(recent.map((event) => [event.id, event]));
    const found = events.map((event) => byId.get(event.id));
    const count = found.filter((event) => event !== undefined).length;
    if (count === 0) return undefined;
    if (count < events.length) throw new PartialDuplicateError(stream);
    const stored = found as RecordedEvent[];
    const head = recent[0] as RecordedEvent;
    return {
      nextExpectedRevision: head.revision,
      position: (stored[stored.length - 1] as RecordedEvent).position,
      positions: stored.map((event) => event.position),
      duplicate: true,
    };
  }

  /**
   * Stream reads decide commands (the command loop, the dedup check, the read-back of an append): they must see
   * every acknowledged write, so they require the leader. A follower, or a leader demoted since the client
   * connected, answers NotLeader; the client then points its next call at the leader it named, so one retry.
   */
  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const read = async (): Promise<RecordedEvent[]> => {
      const events: RecordedEvent[] = [];
      const handle = this.client.readStream(this.prefix + stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision !== undefined ? BigInt(options.fromRevision) : backwards ? END : START,
        maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
        requiresLeader: true,
      });
      await drain(handle, this.readDeadlineMs, (resolved) => {
        const event = this.toRecorded(resolved as AllStreamResolvedEvent);
        if (event) events.push(event);
        return true;
      });
      return events;
    };
    try {
      return await read().catch((error: unknown) => {
        if (error instanceof NotLeaderError) return read();
        throw error;
      });
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw mapError(error, { stream });
    }
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.after ?? 0;
    const maxCount = options.maxCount ?? this.batchSize;
    const events: RecordedEvent[] = [];
    try {
      // fromPosition is inclusive for reads: skip the checkpoint itself. The client's reads of $all carry no
      // server-side filter (readAll.js sets NoFilter), so filtering happens here.
      const handle = this.client.readAll({
        direction: FORWARDS,
        fromPosition: after > 0 ? toPosition(after) : START,
        maxCount: Number.MAX_SAFE_INTEGER,
      });
      await drain(handle, this.readDeadlineMs, (resolved) => {
        const event = this.toRecorded(resolved);
        if (!event || event.position <= after) return true;
        if (!matchesFilter(options.filter, event.type, event.stream)) return true;
        events.push(event);
        return events.length < maxCount;
      });
    } catch (error) {
      throw mapError(error, { after });
    }
    return events;
  }

  subscribe(options: SubscribeOptions, handlers: SubscriptionHandlers): Subscription {
    const batchSize = options.batchSize ?? this.batchSize;
    let stopped = false;
    let live: EsdbLive<AllStreamResolvedEvent> | undefined;
    let wake: (() => void) | undefined;
    let checkpoint = options.after;
    let failures = 0;

    const deliver = async (events: RecordedEvent[]): Promise<void> => {
      const last = events[events.length - 1];
      if (!last) return;
      const matching = events.filter((event) => matchesFilter(options.filter, event.type, event.stream));
      try {
        await handlers.onEvents(matching, last.position);
      } catch (error) {
        throw new HandlerFailed(error);
      }
      checkpoint = last.position;
      failures = 0;
    };

    const followLive = async (): Promise<void> => {
      const subscription = this.client.subscribeToAll({
        fromPosition: checkpoint > 0 ? toPosition(checkpoint) : START,
        // The server filters (#24.7): with a namespace, only its streams cross the wire (system streams begin with `$`).
        filter: this.prefix ? streamNameFilter({ prefixes: [this.prefix] }) : excludeSystemEvents(),
      });
      live = subscription;
      if (stopped) return;
      // No record of a live subscription is due while the log is quiet, but its confirmation is: that is its deadline.
      let unconfirmed = false;
      const timer = setTimeout(() => {
        unconfirmed = true;
        void subscription.unsubscribe().catch(() => undefined);
      }, this.readDeadlineMs);
      subscription.on('confirmation', () => {
        clearTimeout(timer);
        failures = 0;
      });
      subscription.on('caughtUp', () => handlers.onCaughtUp?.(checkpoint));
      try {
        for await (const resolved of subscription) {
          if (stopped) return;
          const event = this.toRecorded(resolved);
          if (event && event.position > checkpoint) await deliver([event]);
          if (stopped) return;
        }
      } finally {
        clearTimeout(timer);
      }
      if (stopped) return;
      throw new EventStoreUnavailableError(
        unconfirmed
          ? `EventStoreDB did not confirm the subscription within ${this.readDeadlineMs} ms`
          : 'EventStoreDB ended the subscription',
      );
    };

    const pause = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });

    const run = async (): Promise<void> => {
      while (!stopped) {
        try {
          // Catch up by pages, then go live from the last delivered position (exclusive for subscriptions).
          for (;;) {
            const page = await this.readAll({ after: checkpoint, maxCount: batchSize });
            if (stopped) return;
            await deliver(page);
            // stop() may have come while the handler ran: going live now would outlive it.
            if (stopped) return;
            if (page.length < batchSize) break;
          }
          await followLive();
          if (stopped) return;
        } catch (error) {
          if (stopped) return;
          // The consumer failed: the subscription ends and says so once; the consumer decides what next.
          if (error instanceof HandlerFailed) {
            stopped = true;
            handlers.onError?.(error.cause instanceof Error ? error.cause : new Error(String(error.cause)));
            return;
          }
          const mapped = mapError(error, {});
          // The client never resubscribes by itself (server-dropped slow consumer, leader change, restart): start
          // again from the last delivered checkpoint, backing off; a failure that no pause can mend ends it.
          failures += 1;
          if (!(mapped instanceof EventStoreUnavailableError) || failures >= this.retry.maxAttempts) {
            stopped = true;
            handlers.onError?.(new Error(`${mapped.message}${failures > 1 ? ` (after ${failures} tries)` : ''}`, { cause: mapped }));
            return;
          }
          const delay = backoff(this.retry, failures);
          handlers.onRetrying?.(mapped, failures, delay);
          await pause(delay);
        } finally {
          const opened = live;
          live = undefined;
          await opened?.unsubscribe().catch(() => undefined);
        }
      }
    };

    return registeredSubscription(this.subscriptions, run(), async () => {
      stopped = true;
      wake?.();
      await live?.unsubscribe().catch(() => undefined);
    });
  }

  /**
   * The newest recert event, paging back through $all: scavenges, system writes and other applications' streams
   * can fill any fixed window at the end of the log.
   */
  async headPosition(): Promise<number> {
    let from: Position | typeof END = END;
    let below: bigint | undefined;
    try {
      for (;;) {
        let found: number | undefined;
        let last: Position | undefined;
        let count = 0;
        const handle = this.client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: this.headPageSize });
        await drain(handle, this.readDeadlineMs, (resolved) => {
          count += 1;
          const position = positionOf(resolved);
          // A page starts at the last record of the one before (a record's own position is a valid start; any
          // other offset may not be): skip it if the server includes it again.
          if (below !== undefined && position && position.commit >= below) return true;
          last = position ?? last;
          const event = this.toRecorded(resolved);
          if (!event) return true;
          found = event.position;
          return false;
        });
        if (found !== undefined) return found;
        if (count < this.headPageSize || !last) return 0;
        from = last;
        below = last.commit;
      }
    } catch (error) {
      throw mapError(error, {});
    }
  }

  /**
   * Readiness in one record (#24.7): the newest record of `$all`, whoever wrote it, read from the leader. The head's
   * search for a recert event could page back through a whole shared cluster's log.
   */
  async ping(): Promise<void> {
    try {
      const handle = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1, requiresLeader: true });
      await drain(handle, this.readDeadlineMs, () => false);
    } catch (error) {
      throw mapError(error, {});
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.client.dispose();
  }

  /** Maps a client event to the port's shape; system events, non-JSON events and other namespaces are not recert's. */
  private toRecorded(resolved: AllStreamResolvedEvent): RecordedEvent | undefined {
    const event = resolved.event;
    if (!event || !event.isJson || event.type.startsWith('$') || event.streamId.startsWith('$')) return undefined;
    if (!event.streamId.startsWith(this.prefix)) return undefined;
    const position = positionOf(resolved);
    return {
      id: event.id,
      type: event.type,
      data: event.data as JsonObject,
      metadata: event.metadata as EventMetadata,
      stream: event.streamId.slice(this.prefix.length),
      revision: Number(event.revision),
      position: position ? toNumber(position.commit) : 0,
      recordedAt: event.created.toISOString(),
    };
  }
}

// The real client must keep fitting the seam the unit specs fake.
const clientFitsSeam: (client: EventStoreDBClient) => EsdbClient = (client) => client;
void clientFitsSeam;

class HandlerFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('subscription handler failed');
  }
}

class ReadDeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`no answer from EventStoreDB within ${ms} ms`);
  }
}

class AppendDeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`no acknowledgement of the append from EventStoreDB within ${ms} ms`);
  }
}

/**
 * Reads until `visit` returns false or the read ends, each record within `deadlineMs` of the previous one: a
 * stalled node fails the read instead of holding it (and a request, or a health check) forever.
 */
async function drain<E>(handle: EsdbRead<E>, deadlineMs: number, visit: (item: E) => boolean): Promise<void> {
  const iterator = handle[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ReadDeadlineExceeded(deadlineMs)), deadlineMs);
      });
      const next = await Promise.race([iterator.next(), expired]);
      clearTimeout(timer);
      if (next.done) return;
      if (!visit(next.value)) {
        await handle.cancel();
        return;
      }
    }
  } catch (error) {
    if (error instanceof ReadDeadlineExceeded) await handle.cancel().catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

export function backoff(policy: EsdbRetryPolicy, failures: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, failures - 1));
}

/**
 * Only unavailability is worth a retry (503 at the edge); the rest are faults of their own. Client 6.2.1 maps gRPC
 * UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED and a server-side CANCELLED to these classes (utils/CommandError.js), and
 * discovery gives up with a plain "Failed to discover" error (Client/discovery.js).
 */
export function mapError(error: unknown, context: { stream?: string; after?: number }): Error {
  if (
    error instanceof ConcurrencyError ||
    error instanceof PartialDuplicateError ||
    error instanceof EventStoreUnavailableError ||
    error instanceof EventStoreAccessDeniedError ||
    error instanceof StreamDeletedError ||
    error instanceof AppendTooLargeError ||
    error instanceof InvalidPositionError
  )
    return error;
  const message = error instanceof Error ? error.message : String(error);
  if (
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof CancelledError ||
    error instanceof NotLeaderError ||
    error instanceof ReadDeadlineExceeded ||
    error instanceof AppendDeadlineExceeded ||
    (error instanceof Error && /^Failed to discover/.test(error.message))
  )
    return new EventStoreUnavailableError(`EventStoreDB: ${message}`, { cause: error });
  if (error instanceof AccessDeniedError)
    return new EventStoreAccessDeniedError(`EventStoreDB denied access: ${message}`, { cause: error });
  if (error instanceof ClientStreamDeletedError)
    return new StreamDeletedError(context.stream ?? String(error.streamName), { cause: error });
  if (error instanceof MaxAppendSizeExceededError)
    return new AppendTooLargeError(context.stream ?? '', error.maxAppendSize, { cause: error });
  // A read of $all from a position that is no record's start fails on the server with an error of no class.
  if (context.after !== undefined && context.after > 0) return new InvalidPositionError(context.after, { cause: error });
  return new Error(`EventStoreDB: ${message}`, { cause: error });
}

function toClientRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

function toPosition(position: number): Position {
  return { commit: BigInt(position), prepare: BigInt(position) };
}

function toNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`Position ${value} exceeds the safe integer range`);
  return Number(value);
}

function positionOf(resolved: AllStreamResolvedEvent): Position | undefined {
  return (
    resolved.event?.position ??
    (resolved.commitPosition !== undefined ? { commit: resolved.commitPosition, prepare: resolved.commitPosition } : undefined)
  );
}

/** The hosts of a connection string, sorted, without credentials or options: which cluster this is. */
export function hostsOf(connectionString: string | undefined): string {
  if (!connectionString) return 'unknown';
  const match = /^[a-z+]+:\/\/(?:[^@/]*@)?([^/?]*)/.exec(connectionString);
  return `esdb://${(match?.[1] ?? '').split(',').sort().join(',')}`;
}
