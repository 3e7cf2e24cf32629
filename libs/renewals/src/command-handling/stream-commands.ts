import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  ConcurrencyError,
  EVENT_STORE,
  EventStore,
  EventStoreUnavailableError,
  EventShape,
  NewEvent,
  Recorded,
  RecordedEvent,
} from '@recert/eventstore';
import { CLOCK, Clock, deterministicId } from '@recert/kernel';
import { Aggregate, currentSchemaVersion, Decider, DomainError } from '@recert/domain';
import { POLICIES_READY, PoliciesReady } from '../renewals.tokens';
import { CommandMeta } from './command-meta';

export type DomainEvent = EventShape;

/** An aggregate's stream as read: its state, the revision to append after, and its events typed by the event list. */
export interface Loaded<State, Event extends RecordedEvent = RecordedEvent> {
  state: State;
  /** Revision of the stream's last event, -1 when the stream does not exist. */
  revision: number;
  recorded: Event[];
}

export interface StreamOutcome<State, Event extends RecordedEvent = RecordedEvent> {
  /** What was appended now (or found already appended by an earlier try of the same command), typed as the decider's. */
  events: Event[];
  /** State after the appended events. */
  state: State;
  /** Global position of the last appended event, 0 when nothing was appended. */
  position: number;
}

/** Options of one `handle`: what the decider needs besides state and clock (read again on each retry), and a step name. */
export interface HandleOptions<Deps> {
  deps?: () => Deps;
  /** Distinguishes several appends of one command to the same stream (merge steps). */
  step?: string;
}

export const MAX_CONFLICT_RETRIES = 5;

/**
 * The one command loop: read the stream, fold it with evolve, decide, append with the expected revision;
 * on a clash read again and decide again, a few times, then CONCURRENCY_CONFLICT.
 */
@Injectable()
export class StreamCommands {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    /** Optional so the loop can run outside Nest (tests, benches) where no adoption exists. */
    @Optional() @Inject(POLICIES_READY) private readonly adoptions?: PoliciesReady,
  ) {}

  /**
   * Reads a stream as the aggregate (its decider) knows it: events of a type its list does not name are not folded
   * (an evolve's exhaustive switch has no branch for them), the others come out typed.
   */
  async load<State, Event extends EventShape>(stream: string, aggregate: Aggregate<State, Event>): Promise<Loaded<State, Recorded<Event>>> {
    const all = await this.store.readStream(stream);
    const last = all[all.length - 1];
    const revision = last ? last.revision : -1;
    const recorded = all.filter(aggregate.events.is);
    const state = recorded.reduce((folded, event) => aggregate.evolve(folded, event), aggregate.initialState);
    return { state, revision, recorded };
  }

  /**
   * The one write path: every write of recert, whatever asks (a request, the scheduler, the dispatcher, the
   * merge process), is `handle(decider, id, command, meta)`.
   */
  async handle<Id, Command, State, Event extends EventShape, Deps = object>(
    decider: Decider<Id, Command, State, Event, Deps>,
    id: Id,
    command: Command,
    meta: CommandMeta,
    options: HandleOptions<Deps> = {},
  ): Promise<StreamOutcome<State, Recorded<Event>>> {
    // A decision under an incomplete policy book would be wrong (R14): wait for the adopted versions.
    if (this.adoptions && !this.adoptions.loaded)
      throw new EventStoreUnavailableError('Adopted policies are not loaded yet: the event store was unreachable');
    const stream = decider.streamOf(id);
    const evolve = decider.evolve.bind(decider);
    for (let attempt = 0; ; attempt += 1) {
      const { state, revision, recorded } = await this.load(stream, decider);
      if (meta.replayStored) {
        const stored = this.storedBy(recorded, stream, meta, options.step);
        if (stored.length > 0) return { events: stored, state, position: stored[stored.length - 1]?.position ?? 0 };
      }
      const now = this.clock.now();
      // Deciders without dependencies take `{}`; the ones with some are always given them by their callers.
      const deps = (options.deps?.() ?? {}) as Deps;
      const events = decider.decide(command, state, { ...deps, now });
      if (events.length === 0) return { events: [], state, position: 0 };
      const toAppend = events.map((event, index) => this.toNewEvent(event, stream, meta, options.step, revision + 1 + index, now));
      try {
        const result = await this.store.append(stream, toAppend, {
          expectedRevision: revision === -1 ? 'no_stream' : revision,
        });
        // A twin of this command (same ids) got there first: it did the work, this one appended nothing.
        if (result.duplicate) return { events: [], state: events.reduce(evolve, state), position: result.position };
        const firstRevision = result.nextExpectedRevision - toAppend.length + 1;
        // The answer carries the stored recordedAt (#16.13): from the append, or read back when the adapter has none.
        const recordedAt =
          result.recordedAt ??
          (await this.store.readStream(stream, { fromRevision: firstRevision, maxCount: 1 }))[0]?.recordedAt ??
          now.toISOString();
        const recorded = toAppend.map(
          (event, index): Recorded<Event> => ({
            ...event,
            stream,
            revision: firstRevision + index,
            position: result.positions[index] ?? result.position,
            recordedAt,
          }),
        );
        return { events: recorded, state: events.reduce(evolve, state), position: result.position };
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if (attempt >= MAX_CONFLICT_RETRIES) {
          throw new DomainError('CONCURRENCY_CONFLICT', `${stream} kept changing under this request; it stored nothing`);
        }
      }
    }
  }

  /** Whether an earlier try of this command stored events in the stream just loaded (for checks made before `handle`). */
  ranBefore(recorded: readonly RecordedEvent[], stream: string, meta: CommandMeta, step?: string): boolean {
    return meta.replayStored === true && this.storedBy(recorded, stream, meta, step).length > 0;
  }

  /**
   * The events an earlier try of this command (same id) appended to the stream (#22.3): their ids are derived from
   * the command id, stream, step and revision, so they are recognised whoever wrote them and whatever the answer
   * that try never gave.
   */
  private storedBy<Stored extends RecordedEvent>(
    recorded: readonly Stored[],
    stream: string,
    meta: CommandMeta,
    step: string | undefined,
  ): Stored[] {
    return recorded.filter((event) => event.id === this.eventId(meta, stream, step, event.revision, event.type));
  }

  private eventId(meta: CommandMeta, stream: string, step: string | undefined, revision: number, type: string): string {
    return deterministicId(meta.commandId, stream, step ?? '', String(revision), type);
  }

  private toNewEvent<Event extends EventShape>(
    event: Event,
    stream: string,
    meta: CommandMeta,
    step: string | undefined,
    revision: number,
    now: Date,
  ): Event & Omit<NewEvent, 'type' | 'data'> {
    const policyVersion = typeof event.data['policyVersion'] === 'string' ? event.data['policyVersion'] : undefined;
    return {
      ...event,
      // Same command, same stream, same revision: same id, so a repeated append is dropped by the store.
      id: this.eventId(meta, stream, step, revision, event.type),
      metadata: {
        correlationId: meta.correlationId,
        causationId: meta.causationId,
        actor: meta.actor,
        occurredAt: now.toISOString(),
        schemaVersion: currentSchemaVersion(event.type),
        ...(policyVersion ? { policyVersion } : {}),
      },
    };
  }
}
