import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_STORE, EventStore, RecordedEvent } from '@recert/eventstore';
import { CLOCK, Clock, deterministicId, EventLoopTurns } from '@recert/kernel';
import {
  ApplyOverride,
  Catalog,
  decideHolding,
  decideOverride,
  DomainError,
  evolveHolding,
  evolveOverride,
  filterBounds,
  HoldingCommand,
  holdingDecider,
  HoldingState,
  holdingStream,
  initialHoldingState,
  initialOverrideState,
  OverrideCommand,
  overrideDecider,
  OverrideEvent,
  OverrideKind,
  OverrideOutcome,
  OverrideParams,
  OverrideReport,
  overrideReport,
  OverrideReportRow,
  OverrideRequested,
  OverrideState,
  OverrideStatus,
  OverrideTarget,
} from '@recert/domain';
import { CommandMeta } from '../command-handling/command-meta';
import { holdingDeps } from '../command-handling/decisions';
import { StreamCommands } from '../command-handling/stream-commands';
import { ProfileReader } from '../profile/profile.reader';
import { CATALOG, CommandResult, PolicyRegistry } from '../renewals.tokens';
import { OVERRIDE_TARGETS, OverrideTargetRef, OverrideTargets } from './override-targets';

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

export interface OverrideDryRun {
  dryRun: true;
  kind: OverrideKind;
  target: OverrideTarget;
  params: OverrideParams;
  report: OverrideReport;
}

export interface OverrideRequestInput {
  kind: OverrideKind;
  target: OverrideTarget;
  params: OverrideParams;
  reason: string;
}

const OUTCOME: Record<ApplyOverride['kind'], OverrideOutcome> = {
  'extend-expiry': 'extended',
  'reopen-window': 'reopened',
  'grant-attempts': 'granted',
  revoke: 'revoked',
};

type Requested = OverrideRequested['data'];
type Known = Extract<OverrideState, { request: unknown }>;

/**
 * Overrides under four eyes (#14.1, R22-R29). Every write is `StreamCommands.handle`: the request and its decisions
 * on `override-<id>`, each effect on its holding's stream through the holding decider. An approval is a process like
 * a merge: `OverrideApproved` records it, every effect is applied once per override id (derived event ids, and the
 * holding decider ignores an override it applied), `OverrideCompleted` closes it with its report; the scheduler
 * completes any approved request a crash left without its completion, and expires the undecided ones.
 */
@Injectable()
export class OverrideRequests {
  private readonly logger = new Logger('OverrideRequests');
  private scannedTo = 0;
  /** Every request seen in the log, folded: the list and the scheduler read it (refreshed from the log first). */
  private readonly known = new Map<string, Known>();

  constructor(
    private readonly commands: StreamCommands,
    private readonly profiles: ProfileReader,
    private readonly policies: PolicyRegistry,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(OVERRIDE_TARGETS) private readonly targets: OverrideTargets,
  ) {}

  /** R23: the longest extension the policy in force allows for the certification's level. */
  private maxExtension(code: string, now: Date): string | null {
    const certification = this.catalog.get(code);
    if (!certification) throw new DomainError('UNKNOWN_CERTIFICATION', `No certification ${code} in the catalog`);
    return this.policies.book().inForceAt(now)?.validity[certification.level] ?? null;
  }

  /** R22: a request (or, with dryRun, the exact report of what its approval would do now, storing nothing: R29). */
  async request(
    input: OverrideRequestInput,
    meta: CommandMeta,
    dryRun: boolean,
  ): Promise<(OverrideRequestView & CommandResult) | OverrideDryRun> {
    const now = this.clock.now();
    const code = 'filter' in input.target ? input.target.filter.certificationCode : input.target.certificationCode;
    const maxExtension = this.maxExtension(code, now);
    const overrideId = deterministicId('override-request', meta.commandId);
    const command: OverrideCommand = { type: 'RequestOverride', data: { ...input, overrideId, actor: meta.actor } };
    // The decider's refusals first, with nothing stored.
    const [requested] = decideOverride(command, initialOverrideState, { now, maxExtension }) as [OverrideRequested];
    if ('profileId' in input.target) await this.profiles.active(input.target.profileId);
    if (dryRun) {
      const report = await this.effects(requested.data, meta.actor, null);
      return { dryRun: true, kind: requested.data.kind, target: requested.data.target, params: requested.data.params, report };
    }
    // A single holding's override that could not apply now is refused now (its rule's code), storing nothing.
    await this.refuseUnapplicable(requested.data, meta.actor);
    const outcome = await this.commands.handle(overrideDecider, overrideId, command, meta, { deps: () => ({ maxExtension }) });
    return { ...viewOf(outcome.state as Known, now), events: outcome.events, position: outcome.position };
  }

  /** R22/R26: a different admin approves; the effect lands and the request completes with its report. */
  async approve(overrideId: string, meta: CommandMeta): Promise<OverrideRequestView & CommandResult> {
    const loaded = await this.load(overrideId);
    const now = this.clock.now();
    // The four-eyes, expiry and decided-once refusals first, storing nothing.
    decideOverride({ type: 'ApproveOverride', data: { actor: meta.actor } }, loaded, { now, maxExtension: null });
    if (loaded.status === 'pending') await this.refuseUnapplicable(loaded.request, meta.actor);
    const approved = await this.commands.handle(
      overrideDecider,
      overrideId,
      { type: 'ApproveOverride', data: { actor: meta.actor } },
      meta,
    );
    const completed = await this.complete(approved.state as Known);
    const events = [...approved.events, ...completed.events];
    return {
      ...viewOf(completed.state, this.clock.now()),
      events,
      position: Math.max(approved.position, completed.position),
    };
  }

  async reject(overrideId: string, reason: string | null, meta: CommandMeta): Promise<OverrideRequestView & CommandResult> {
    await this.load(overrideId);
    const outcome = await this.commands.handle(
      overrideDecider,
      overrideId,
      { type: 'RejectOverride', data: { actor: meta.actor, reason } },
      meta,
    );
    return { ...viewOf(outcome.state as Known, this.clock.now()), events: outcome.events, position: outcome.position };
  }

  async get(overrideId: string): Promise<OverrideRequestView> {
    return viewOf(await this.load(overrideId), this.clock.now());
  }

  async list(status?: OverrideStatus): Promise<OverrideRequestView[]> {
    await this.refresh();
    const now = this.clock.now();
    const views = [...this.known.values()].map((state) => viewOf(state, now));
    return status ? views.filter((view) => view.status === status) : views;
  }

  /** R24: records the expiry of every request left undecided for 7 days; answers how many. */
  async expireDue(): Promise<number> {
    await this.refresh();
    const now = this.clock.now();
    let expired = 0;
    for (const state of [...this.known.values()]) {
      if (state.status !== 'pending' || now.getTime() < Date.parse(state.request.expiresAt)) continue;
      const id = state.request.overrideId;
      const meta = { commandId: `expire-override:${id}`, correlationId: id, causationId: id, actor: 'scheduler' };
      try {
        const outcome = await this.commands.handle(overrideDecider, id, { type: 'ExpireOverrideRequest' }, meta);
        expired += outcome.events.length > 0 ? 1 : 0;
      } catch (error) {
        this.logger.error(`expiring override ${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return expired;
  }

  /** R26: completes every approved request whose completion a crash left missing; answers how many. */
  async completeApproved(): Promise<number> {
    await this.refresh();
    let completed = 0;
    for (const state of [...this.known.values()]) {
      if (state.status !== 'approved') continue;
      try {
        const outcome = await this.complete(state);
        if (outcome.events.length === 0) continue;
        completed += 1;
        this.logger.log(`completed override ${state.request.overrideId}, approved by ${state.decidedBy ?? 'someone'}`);
      } catch (error) {
        this.logger.error(`completing override ${state.request.overrideId}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return completed;
  }

  /** Applies every effect (idempotent per holding) and records the completion with the report. */
  private async complete(state: Known): Promise<{ state: Known; events: RecordedEvent[]; position: number }> {
    if (state.status !== 'approved') return { state, events: [], position: 0 };
    const request = state.request;
    const approvedBy = state.decidedBy ?? '';
    const meta: CommandMeta = {
      commandId: deterministicId('override-effect', request.overrideId),
      correlationId: request.overrideId,
      causationId: request.overrideId,
      actor: approvedBy,
    };
    // A single holding's effect is answered with the events; a bulk one's by its report (it may be many thousands).
    const written: RecordedEvent[] = [];
    const report = await this.effects(request, approvedBy, meta, 'filter' in request.target ? undefined : written);
    const outcome = await this.commands.handle(overrideDecider, request.overrideId, { type: 'CompleteOverride', data: { report } }, meta);
    return { state: outcome.state as Known, events: [...written, ...outcome.events], position: outcome.position };
  }

  /** The effect on every target, in one stable order: written when `meta` is given, else only decided (a dry run). */
  private async effects(
    request: Requested,
    approvedBy: string,
    meta: CommandMeta | null,
    written?: RecordedEvent[],
  ): Promise<OverrideReport> {
    const rows: OverrideReportRow[] = [];
    // #22.5: tens of thousands of holdings decided on reads that resolve at once: give the event loop its turns.
    const turns = new EventLoopTurns();
    for (const ref of await this.targetsOf(request, meta !== null)) {
      await turns.turn();
      rows.push(await this.effectRow(request, ref, approvedBy, meta, written));
    }
    return overrideReport(rows);
  }

  private async targetsOf(request: Requested, real: boolean): Promise<OverrideTargetRef[]> {
    const target = request.target;
    if (!('filter' in target)) return [target];
    const bounds = filterBounds(target.filter);
    if (!bounds) throw new DomainError('VALIDATION_FAILED', 'target.filter: malformed bounds (R28)');
    return this.targets.holdingsMatching(
      { certificationCode: target.filter.certificationCode, ...bounds },
      real ? request.overrideId : null,
    );
  }

  private async effectRow(
    request: Requested,
    ref: OverrideTargetRef,
    approvedBy: string,
    meta: CommandMeta | null,
    written?: RecordedEvent[],
  ): Promise<OverrideReportRow> {
    const base = { profileId: ref.profileId, certificationCode: ref.certificationCode };
    const kind: ApplyOverride['kind'] = request.kind === 'bulk-extend-expiry' ? 'extend-expiry' : request.kind;
    const certification = this.catalog.get(ref.certificationCode);
    if (!certification) return { ...base, outcome: 'refused', code: 'UNKNOWN_CERTIFICATION', detail: `No ${ref.certificationCode}` };
    const command: HoldingCommand = {
      type: 'ApplyOverride',
      data: {
        overrideId: request.overrideId,
        requestedBy: request.requestedBy,
        approvedBy,
        kind,
        reason: request.reason,
        ...(request.params.by !== undefined ? { by: request.params.by } : {}),
        ...(request.params.attempts !== undefined ? { attempts: request.params.attempts } : {}),
      },
    };
    try {
      let events: { type: string; data: Record<string, unknown> }[];
      let state: HoldingState;
      if (meta) {
        const outcome = await this.commands.handle(holdingDecider, ref, command, meta, holdingDeps(certification, this.policies));
        events = outcome.events;
        state = outcome.state;
        written?.push(...outcome.events);
      } else {
        const loaded = await this.commands.load(holdingStream(ref.profileId, ref.certificationCode), evolveHolding, initialHoldingState);
        state = loaded.state;
        events = decideHolding(command, state, { now: this.clock.now(), policies: this.policies.book(), certification });
      }
      const effect = events[0];
      if (effect) {
        const data = effect.data as { from?: string; to?: string };
        return { ...base, outcome: OUTCOME[kind], from: data.from ?? null, to: data.to ?? null };
      }
      // Applied before (a resumed run): the holding remembers what this override did.
      const last = state.status === 'held' && state.lastOverride?.overrideId === request.overrideId ? state.lastOverride : null;
      return { ...base, outcome: OUTCOME[kind], from: last?.from ?? null, to: last?.to ?? null };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return { ...base, outcome: 'refused', code: error.code, detail: error.message };
    }
  }

  /** A single holding's override whose effect would be refused is refused with that rule's code (nothing stored). */
  private async refuseUnapplicable(request: Requested, approvedBy: string): Promise<void> {
    if ('filter' in request.target) return;
    const row = await this.effectRow(request, request.target, approvedBy, null);
    if (row.outcome === 'refused' && row.code) throw new DomainError(row.code, row.detail ?? 'The override cannot apply');
  }

  private async load(overrideId: string): Promise<Known> {
    const { state } = await this.commands.load(overrideDecider.streamOf(overrideId), evolveOverride, initialOverrideState);
    if (state.status === 'none') throw new DomainError('OVERRIDE_NOT_FOUND', `No override request ${overrideId}`);
    return state;
  }

  /** Reads the override events written since the last look (this process's or another's). */
  private async refresh(): Promise<void> {
    for (;;) {
      const page = await this.store.readAll({ after: this.scannedTo, maxCount: 1000, filter: { eventTypes: [...OVERRIDE_EVENT_TYPES] } });
      this.remember(page);
      if (page.length > 0) this.scannedTo = (page[page.length - 1] as RecordedEvent).position;
      if (page.length < 1000) return;
    }
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

function viewOf(state: Known, now: Date): OverrideRequestView {
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
