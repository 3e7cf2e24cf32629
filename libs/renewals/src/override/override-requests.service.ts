import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CLOCK, Clock, deterministicId } from '@recert/kernel';
import {
  Catalog,
  decideOverride,
  initialOverrideState,
  OverrideCommand,
  OverrideKind,
  OverrideParams,
  OverrideReport,
  OverrideRequested,
  OverrideTarget,
} from '@recert/domain';
import { OverrideWrite } from '../command-handling/aggregate-writes';
import { CommandMeta } from '../command-handling/command-meta';
import { certificationOf } from '../command-handling/holding-handler';
import { ProfileReader } from '../profile/profile.reader';
import { CATALOG, CommandResult, PolicyRegistry } from '../renewals.tokens';
import { OverrideEffects } from './override-effects';
import { OverrideProcess } from './override-process';
import { KnownOverride, OverrideRequestView, OverrideView, viewOf } from './override-view';

export { OVERRIDE_EVENT_TYPES } from './override-view';
export type { OverrideRequestView } from './override-view';

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

/**
 * Overrides under four eyes (#14.1, R22-R29), the command side: a request and its decisions on `override-<id>`, sent
 * on the bus (`OverrideWrite`); an approval hands over to the `OverrideProcess`, which writes each effect on its
 * holding through the holding decider. What is shown is the `OverrideView`.
 */
@Injectable()
export class OverrideRequests {
  constructor(
    private readonly bus: CommandBus,
    private readonly effects: OverrideEffects,
    private readonly process: OverrideProcess,
    private readonly view: OverrideView,
    private readonly profiles: ProfileReader,
    private readonly policies: PolicyRegistry,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** R23: the longest extension the policy in force allows for the certification's level. */
  private maxExtension(code: string, now: Date): string | null {
    const certification = certificationOf(this.catalog, code);
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
      const report = await this.effects.effects(requested.data, meta.actor, null);
      return { dryRun: true, kind: requested.data.kind, target: requested.data.target, params: requested.data.params, report };
    }
    // A single holding's override that could not apply now is refused now (its rule's code), storing nothing.
    await this.effects.refuseUnapplicable(requested.data, meta.actor);
    const outcome = await this.bus.execute(new OverrideWrite(overrideId, command, meta, { deps: () => ({ maxExtension }) }));
    return { ...viewOf(outcome.state as KnownOverride, now), events: outcome.events, position: outcome.position };
  }

  /** R22/R26: a different admin approves; the effect lands and the request completes with its report. */
  async approve(overrideId: string, meta: CommandMeta): Promise<OverrideRequestView & CommandResult> {
    const loaded = await this.view.load(overrideId);
    const now = this.clock.now();
    // The four-eyes, expiry and decided-once refusals first, storing nothing.
    decideOverride({ type: 'ApproveOverride', data: { actor: meta.actor } }, loaded, { now, maxExtension: null });
    if (loaded.status === 'pending') await this.effects.refuseUnapplicable(loaded.request, meta.actor);
    const approved = await this.bus.execute(new OverrideWrite(overrideId, { type: 'ApproveOverride', data: { actor: meta.actor } }, meta));
    const completed = await this.process.complete(approved.state as KnownOverride);
    const events = [...approved.events, ...completed.events];
    return {
      ...viewOf(completed.state, this.clock.now()),
      events,
      position: Math.max(approved.position, completed.position),
    };
  }

  async reject(overrideId: string, reason: string | null, meta: CommandMeta): Promise<OverrideRequestView & CommandResult> {
    await this.view.load(overrideId);
    const outcome = await this.bus.execute(
      new OverrideWrite(overrideId, { type: 'RejectOverride', data: { actor: meta.actor, reason } }, meta),
    );
    return { ...viewOf(outcome.state as KnownOverride, this.clock.now()), events: outcome.events, position: outcome.position };
  }
}
