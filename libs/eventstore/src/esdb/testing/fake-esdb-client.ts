import { EventEmitter } from 'node:events';
import {
  NO_STREAM,
  NotLeaderError,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamRecordedEvent,
  type AllStreamResolvedEvent,
  type AppendResult,
  type AppendToStreamOptions,
  type EventData,
  type ReadAllOptions,
  type ReadStreamOptions,
  type ResolvedEvent,
  type SubscribeToAllOptions,
} from '@eventstore/db-client';
import type { EsdbClient, EsdbLive, EsdbRead } from '../esdb-event-store';

/**
 * Unit specs only: an in-memory stand-in for the five client methods the adapter calls, with the client's own
 * shapes and error classes, and knobs to fail, stall or drop. It is not a server: the contract suite never uses it.
 * Positions grow by 100 per record, like byte offsets, so code that takes them for counts shows it.
 */
export class FakeEsdbClient implements EsdbClient {
  readonly records: AllStreamResolvedEvent[] = [];
  readonly calls: { method: string; stream?: string; options: object }[] = [];
  /** Errors thrown by the next calls of a method, in order (an append throws; a read or subscription fails on its first record). */
  readonly failures = new Map<string, Error[]>();
  /** While set, every live subscription fails with it (reads still answer). */
  subscriptionsFail: Error | undefined;
  /** Reads that never answer until cancelled (a stalled node). */
  stallReads = false;
  /** Appends that are never acknowledged (a dead connection batchAppend waits on until keepalive notices). */
  stallAppends = false;
  /** Live subscriptions that are never confirmed. */
  confirmSubscriptions = true;
  readonly live = new Set<FakeLive>();
  private nextCommit = 100n;

  failNext(method: 'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll', ...errors: Error[]): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...errors]);
  }

  /** Writes a record as another writer would (system events, other applications' streams). */
  write(stream: string, type: string, data: object = {}, isJson = true): AllStreamResolvedEvent {
    const commit = this.nextCommit;
    this.nextCommit += 100n;
    const revision = BigInt(this.records.filter((r) => r.event?.streamId === stream).length);
    const common = { streamId: stream, id: `${stream}#${revision}#${commit}`, revision, type, metadata: {}, created: new Date(0) };
    const position = { commit, prepare: commit };
    // A non-JSON record carries bytes, as the server gives them.
    const event: AllStreamRecordedEvent = isJson
      ? { ...common, data: { ...data }, isJson: true, position }
      : { ...common, data: new TextEncoder().encode(JSON.stringify(data)), isJson: false, position };
    const record: AllStreamResolvedEvent = { event, commitPosition: commit };
    this.records.push(record);
    for (const subscription of this.live) subscription.offer(record);
    return record;
  }

  async appendToStream(stream: string, events: EventData[], options: AppendToStreamOptions): Promise<AppendResult> {
    this.calls.push({ method: 'appendToStream', stream, options });
    const failure = this.takeFailure('appendToStream');
    if (failure) throw failure;
    if (this.stallAppends) return new Promise<AppendResult>(() => undefined);
    const current = this.records.filter((r) => r.event?.streamId === stream).length - 1;
    const expected = options.expectedRevision;
    const clash =
      (expected === NO_STREAM && current >= 0) ||
      (expected === STREAM_EXISTS && current < 0) ||
      (typeof expected === 'bigint' && BigInt(current) !== expected);
    if (clash) {
      throw new WrongExpectedVersionError(undefined, {
        streamName: stream,
        expected,
        current: current < 0 ? NO_STREAM : BigInt(current),
      });
    }
    let last: AllStreamResolvedEvent | undefined;
    for (const event of events) {
      last = this.write(stream, event.type, event.data as object);
      Object.assign(last.event as object, { id: event.id, metadata: event.metadata });
    }
    return { success: true, nextExpectedRevision: BigInt(current + events.length), position: last?.event?.position };
  }

  readStream(stream: string, options: ReadStreamOptions): EsdbRead<ResolvedEvent> {
    this.calls.push({ method: 'readStream', stream, options });
    const failure = this.takeFailure('readStream');
    let records = this.records.filter((r) => r.event?.streamId === stream);
    const missing = records.length === 0 ? new StreamNotFoundError(undefined, stream) : undefined;
    const backwards = options.direction === 'backwards';
    if (backwards) records = [...records].reverse();
    const from = options.fromRevision;
    if (typeof from === 'bigint') records = records.filter((r) => (backwards ? r.event!.revision <= from : r.event!.revision >= from));
    return new FakeRead(records.slice(0, Number(options.maxCount ?? Number.MAX_SAFE_INTEGER)), failure ?? missing, this.stallReads);
  }

  readAll(options: ReadAllOptions): EsdbRead<AllStreamResolvedEvent> {
    this.calls.push({ method: 'readAll', options });
    const backwards = options.direction === 'backwards';
    const failure = this.takeFailure('readAll');
    let records = backwards ? [...this.records].reverse() : [...this.records];
    const from = options.fromPosition;
    if (from && typeof from === 'object') {
      const at = from.commit;
      // Reads of $all include their start position, in either direction.
      records = records.filter((r) => (backwards ? r.commitPosition! <= at : r.commitPosition! >= at));
    }
    return new FakeRead(records.slice(0, Number(options.maxCount ?? Number.MAX_SAFE_INTEGER)), failure, this.stallReads);
  }

  subscribeToAll(options: SubscribeToAllOptions): EsdbLive<AllStreamResolvedEvent> {
    this.calls.push({ method: 'subscribeToAll', options });
    const from = options.fromPosition;
    // Subscriptions start after their position (exclusive).
    const after = from && typeof from === 'object' ? from.commit : -1n;
    // The server applies a stream-name prefix filter: other streams never reach the client.
    const filter = options.filter as { filterOn?: string; prefixes?: string[] } | undefined;
    const prefixes = filter?.filterOn === 'streamName' ? filter.prefixes : undefined;
    const subscription = new FakeLive(this, this.takeFailure('subscribeToAll') ?? this.subscriptionsFail, prefixes);
    this.live.add(subscription);
    for (const record of this.records) if (record.commitPosition! > after) subscription.offer(record);
    setImmediate(() => {
      if (this.confirmSubscriptions) subscription.emit('confirmation');
      subscription.emit('caughtUp');
    });
    return subscription;
  }

  /** The server drops every live subscription (a restart, a leader change). */
  dropSubscriptions(error: Error): void {
    for (const subscription of this.live) subscription.fail(error);
  }

  async dispose(): Promise<void> {
    for (const subscription of this.live) await subscription.unsubscribe();
  }

  private takeFailure(method: string): Error | undefined {
    return this.failures.get(method)?.shift();
  }
}

class FakeRead<E> implements EsdbRead<E> {
  private cancelled = false;
  private wakeCancelled: (() => void) | undefined;

  constructor(
    private readonly items: E[],
    private readonly failure: Error | undefined,
    private readonly stall: boolean,
  ) {}

  async cancel(): Promise<void> {
    this.cancelled = true;
    this.wakeCancelled?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<E> {
    if (this.stall) await new Promise<void>((resolve) => (this.wakeCancelled = resolve));
    if (this.cancelled) return;
    if (this.failure) throw this.failure;
    for (const item of this.items) {
      if (this.cancelled) return;
      await Promise.resolve();
      yield item;
    }
  }
}

export class FakeLive extends EventEmitter implements EsdbLive<AllStreamResolvedEvent> {
  private readonly queue: AllStreamResolvedEvent[] = [];
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly owner: FakeEsdbClient,
    failure: Error | undefined,
    private readonly prefixes?: readonly string[],
  ) {
    super();
    this.error = failure;
  }

  offer(record: AllStreamResolvedEvent): void {
    if (this.prefixes && !this.prefixes.some((prefix) => record.event?.streamId.startsWith(prefix))) return;
    this.queue.push(record);
    this.wake?.();
  }

  fail(error: Error): void {
    this.error = error;
    this.wake?.();
  }

  async unsubscribe(): Promise<void> {
    this.ended = true;
    this.owner.live.delete(this);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<AllStreamResolvedEvent> {
    for (;;) {
      if (this.ended) return;
      if (this.error) {
        this.owner.live.delete(this);
        throw this.error;
      }
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

/** What a follower (or a demoted leader) answers a requires-leader call with, naming the leader it knows. */
export function notLeaderError(host = 'esdb2', port = 2113): NotLeaderError {
  const metadata = { getMap: () => ({ 'leader-endpoint-host': host, 'leader-endpoint-port': String(port) }) };
  return new NotLeaderError({ metadata } as unknown as ConstructorParameters<typeof NotLeaderError>[0]);
}
