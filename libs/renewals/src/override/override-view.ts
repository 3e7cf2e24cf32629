import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, EventStore, logPages, RecordedEvent } from '@recert/eventstore';
import { CLOCK, Clock } from '@recert/kernel';
import {
  DomainError,
  evolveOverride,
  initialOverrideState,
  overrideDecider,
  OverrideEvent,
  OverrideKind,
  OverrideParams,
  OverrideReport,
  OverrideState,
  OverrideStatus,
  OverrideTarget,
} from '@recert/domain';
import { StreamReader } from '../command-handling/stream-reader';

export const OVERRIDE_EVENT_TYPES: readonly OverrideEvent['type'][] = [
  'OverrideRequested',
  'OverrideApproved',
  'OverrideRejected',
  'OverrideRequestExpired',
  'OverrideCompleted',
];

/** An override request as the API shows it. */
export interface OverrideRequestView {
  id: string;
  kind: OverrideKind;
  target: OverrideTarget;
  params: OverrideParams;
  reason: string;
  /** `expired` as soon as 7 days passed undecided, even before the scheduler records it (R24). */
  status: OverrideStatus;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  /** The admin who approved or rejected it. */
  decidedBy: string | null;
  /** R29: what the approval did, once completed. */
  report: OverrideReport | null;
}

/** A request the log knows of, folded. */
export type KnownOverride = Extract<OverrideState, { request: unknown }>;

/**
 * The override requests' read side (#14.1, #28.4): one request from its stream, and every request the log holds,
 * folded in memory from the override events written since the last look (this process's or another's). What the
 * list and the process manager read.
 */
@Injectable()
export class OverrideView {
  private scannedTo = 0;
  private readonly known = new Map<string, KnownOverride>();

  constructor(
    private readonly reader: StreamReader,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** One request as stored now, else OVERRIDE_NOT_FOUND. */
  async load(overrideId: string): Promise<KnownOverride> {
    const { state } = await this.reader.load(overrideDecider.streamOf(overrideId), evolveOverride, initialOverrideState);
    if (state.status === 'none') throw new DomainError('OVERRIDE_NOT_FOUND', `No override request ${overrideId}`);
    return state;
  }

  async get(overrideId: string): Promise<OverrideRequestView> {
    return viewOf(await this.load(overrideId), this.clock.now());
  }

  async list(status?: OverrideStatus): Promise<OverrideRequestView[]> {
    const now = this.clock.now();
    const views = (await this.all()).map((state) => viewOf(state, now));
    return status ? views.filter((view) => view.status === status) : views;
  }

  /** Every request in the log, caught up first. */
  async all(): Promise<KnownOverride[]> {
    // To the end of the log, following what is appended meanwhile (a view catching up, R160).
    const pages = logPages(this.store, { after: this.scannedTo, filter: { eventTypes: [...OVERRIDE_EVENT_TYPES] }, until: 'end' });
    for await (const page of pages) {
      this.remember(page.events);
      this.scannedTo = page.scannedTo;
    }
    return [...this.known.values()];
  }

  private remember(events: readonly RecordedEvent[]): void {
    for (const event of events) {
      if (!event.stream.startsWith('override-')) continue;
      const overrideEvent = event as unknown as OverrideEvent;
      const id = overrideEvent.data.overrideId;
      const next = evolveOverride(this.known.get(id) ?? initialOverrideState, overrideEvent);
      if (next.status !== 'none') this.known.set(id, next);
    }
  }
}

export function viewOf(state: KnownOverride, now: Date): OverrideRequestView {
  const r = state.request;
  const lapsed = state.status === 'pending' && now.getTime() >= Date.parse(r.expiresAt);
  return {
    id: r.overrideId,
    kind: r.kind,
    target: r.target,
    params: r.params,
    reason: r.reason,
    status: lapsed ? 'expired' : state.status,
    requestedBy: r.requestedBy,
    requestedAt: r.requestedAt,
    expiresAt: r.expiresAt,
    decidedBy: state.decidedBy,
    report: state.report,
  };
}
