import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { RecordedEvent } from '@recert/eventstore';
import { CLOCK, Clock, EventLoopTurns } from '@recert/kernel';
import {
  ApplyOverride,
  Catalog,
  decideHolding,
  DomainError,
  filterBounds,
  HoldingCommand,
  HoldingState,
  OverrideOutcome,
  OverrideReport,
  overrideReport,
  OverrideReportRow,
  OverrideRequested,
} from '@recert/domain';
import { CommandMeta } from '../command-handling/command-meta';
import { HoldingHandler, HoldingWrite } from '../command-handling/holding-handler';
import { CATALOG, PolicyRegistry } from '../renewals.tokens';
import { OVERRIDE_TARGETS, OverrideTargetRef, OverrideTargets } from './override-targets';

const OUTCOME: Record<ApplyOverride['kind'], OverrideOutcome> = {
  'extend-expiry': 'extended',
  'reopen-window': 'reopened',
  'grant-attempts': 'granted',
  revoke: 'revoked',
};

export type RequestedOverride = OverrideRequested['data'];

/**
 * An override's effect on its holdings (R26-R29), written or only decided: the approval's process writes it, a dry
 * run and a request's refusals only decide it, with the same holding decider on the same states.
 */
@Injectable()
export class OverrideEffects {
  constructor(
    private readonly bus: CommandBus,
    private readonly holdings: HoldingHandler,
    private readonly policies: PolicyRegistry,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(OVERRIDE_TARGETS) private readonly targets: OverrideTargets,
  ) {}

  /** The effect on every target, in one stable order: written when `meta` is given, else only decided (a dry run). */
  async effects(
    request: RequestedOverride,
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

  /** A single holding's override whose effect would be refused is refused with that rule's code (nothing stored). */
  async refuseUnapplicable(request: RequestedOverride, approvedBy: string): Promise<void> {
    if ('filter' in request.target) return;
    const row = await this.effectRow(request, request.target, approvedBy, null);
    if (row.outcome === 'refused' && row.code) throw new DomainError(row.code, row.detail ?? 'The override cannot apply');
  }

  private async targetsOf(request: RequestedOverride, real: boolean): Promise<OverrideTargetRef[]> {
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
    request: RequestedOverride,
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
        // An override acts on the holding whatever its profile's state (the decider refuses a merged-out one).
        const outcome = await this.bus.execute(new HoldingWrite(ref, command, meta, { activeProfile: false }));
        events = outcome.events;
        state = outcome.state;
        written?.push(...outcome.events);
      } else {
        state = (await this.holdings.load(ref.profileId, ref.certificationCode)).state;
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
}
