import {
  ANY,
  AllStreamResolvedEvent,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  Position,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AppendExpectedRevision,
  type AllStreamSubscription,
} from '@eventstore/db-client';
import { ConcurrencyError, EventStoreUnavailableError, PartialDuplicateError } from '../errors';
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

export interface EsdbEventStoreOptions {
  connectionString: string;
  /** How many of a stream's newest events are searched for ids already stored (idempotent retries). */
  dedupWindow?: number;
  batchSize?: number;
  /** Back-off before resubscribing after the server dropped a subscription. */
  resubscribeDelayMs?: number;
}

/**
 * EventStoreDB behind the same port as the embedded store. The global position is the commit position:
 * prepare differs from it only with explicit transactions, which recert never uses.
 */
export class EsdbEventStore implements EventStore {
  readonly kind = 'eventstoredb' as const;
  private readonly client: EventStoreDBClient;
  private readonly dedupWindow: number;
  private readonly batchSize: number;
  private readonly resubscribeDelayMs: number;
  private readonly subscriptions = new Set<Subscription>();

  constructor(options: EsdbEventStoreOptions) {
    this.client = EventStoreDBClient.connectionString(options.connectionString);
    this.dedupWindow = options.dedupWindow ?? 256;
    this.batchSize = options.batchSize ?? 500;
    this.resubscribeDelayMs = options.resubscribeDelayMs ?? 1000;
  }

  async append(stream: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    // The server's own dedup is reliable only with an exact revision and forgets on restart: check the stream.
    const duplicate = await this.findStored(stream, events);
    if (duplicate) return duplicate;
    try {
      const result = await this.client.appendToStream(
        stream,
        events.map((event) =>
          jsonEvent({ id: event.id, type: event.type, data: event.data, metadata: event.metadata as unknown as JsonObject }),
        ),
        { expectedRevision: toClientRevision(options.expectedRevision) },
      );
      const next = Number(result.nextExpectedRevision);
      if (events.length === 1 && result.position) {
        const position = toNumber(result.position.commit);
        return { nextExpectedRevision: next, position, positions: [position], duplicate: false };
      }
      // Each event of a multi-event append has its own position: read them back rather than guess.
      const stored = await this.readStream(stream, { fromRevision: next - events.length + 1, maxCount: events.length });
      const positions = stored.map((event) => event.position);
      return { nextExpectedRevision: next, position: positions[positions.length - 1] ?? 0, positions, duplicate: false };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion === NO_STREAM ? -1 : Number(error.actualVersion);
        throw new ConcurrencyError(stream, options.expectedRevision, actual);
      }
      throw wrap(error);
    }
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

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision !== undefined ? BigInt(options.fromRevision) : backwards ? END : START,
        maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
      });
      for await (const resolved of read) {
        const event = toRecorded(resolved as AllStreamResolvedEvent);
        if (event) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw wrap(error);
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.after ?? 0;
    const maxCount = options.maxCount ?? this.batchSize;
    const events: RecordedEvent[] = [];
    try {
      // fromPosition is inclusive for reads: skip the checkpoint itself.
      const read = this.client.readAll({
        direction: FORWARDS,
        fromPosition: after > 0 ? toPosition(after) : START,
        maxCount: Number.MAX_SAFE_INTEGER,
      });
      for await (const resolved of read) {
        const event = toRecorded(resolved);
        if (!event || event.position <= after) continue;
        if (!matchesFilter(options.filter, event.type, event.stream)) continue;
        events.push(event);
        if (events.length >= maxCount) {
          await read.cancel();
          break;
        }
      }
    } catch (error) {
      throw wrap(error);
    }
    return events;
  }

  subscribe(options: SubscribeOptions, handlers: SubscriptionHandlers): Subscription {
    let stopped = false;
    let live: AllStreamSubscription | undefined;
    let checkpoint = options.after;

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
    };

    const run = async (): Promise<void> => {
      while (!stopped) {
        try {
          // Catch up by pages, then go live from the last delivered position (exclusive for subscriptions).
          for (;;) {
            const page = await this.readAll({ after: checkpoint, maxCount: this.batchSize });
            if (stopped) return;
            await deliver(page);
            if (page.length < this.batchSize) break;
          }
          live = this.client.subscribeToAll({
            fromPosition: checkpoint > 0 ? toPosition(checkpoint) : START,
            filter: excludeSystemEvents(),
          });
          live.on('caughtUp', () => handlers.onCaughtUp?.(checkpoint));
          for await (const resolved of live) {
            if (stopped) break;
            const event = toRecorded(resolved);
            if (event && event.position > checkpoint) await deliver([event]);
          }
          if (stopped) return;
        } catch (error) {
          if (stopped) return;
          // The consumer failed: the subscription ends and says so once; the consumer decides what next.
          if (error instanceof HandlerFailed) {
            stopped = true;
            handlers.onError?.(error.cause instanceof Error ? error.cause : new Error(String(error.cause)));
            return;
          }
          // The server dropped us (slow consumer, leader change, restart). The client never resubscribes on its
          // own: start again from the last delivered checkpoint, after a pause.
          await new Promise((resolve) => setTimeout(resolve, this.resubscribeDelayMs));
        } finally {
          await live?.unsubscribe().catch(() => undefined);
          live = undefined;
        }
      }
    };

    const done = run();
    const subscription: Subscription = {
      done,
      stop: async () => {
        stopped = true;
        await live?.unsubscribe().catch(() => undefined);
        await done;
        this.subscriptions.delete(subscription);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<number> {
    try {
      const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 50 });
      for await (const resolved of read) {
        const event = toRecorded(resolved);
        if (event) {
          await read.cancel();
          return event.position;
        }
      }
      return 0;
    } catch (error) {
      throw wrap(error);
    }
  }

  async ping(): Promise<void> {
    await this.headPosition();
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.client.dispose();
  }
}

class HandlerFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('subscription handler failed');
  }
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

/** Maps a client event to the port's shape; system events and non-JSON events are not recert's. */
function toRecorded(resolved: AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || !event.isJson || event.type.startsWith('$') || event.streamId.startsWith('$')) return undefined;
  const position = event.position ?? (resolved.commitPosition !== undefined ? { commit: resolved.commitPosition, prepare: 0n } : undefined);
  return {
    id: event.id,
    type: event.type,
    data: event.data as JsonObject,
    metadata: event.metadata as unknown as EventMetadata,
    stream: event.streamId,
    revision: Number(event.revision),
    position: position ? toNumber(position.commit) : 0,
    recordedAt: event.created.toISOString(),
  };
}

function wrap(error: unknown): Error {
  if (error instanceof ConcurrencyError || error instanceof PartialDuplicateError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EventStoreUnavailableError(`EventStoreDB: ${message}`, { cause: error });
}
