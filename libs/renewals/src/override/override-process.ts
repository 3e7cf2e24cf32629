import { Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { RecordedEvent } from '@recert/eventstore';
import { CLOCK, Clock, deterministicId } from '@recert/kernel';
import { Inject } from '@nestjs/common';
import { OverrideWrite } from '../command-handling/aggregate-writes';
import { CommandMeta } from '../command-handling/command-meta';
import { OverrideEffects } from './override-effects';
import { KnownOverride, OverrideView } from './override-view';

/**
 * The approval's process (R24, R26, ADR 0011), like a merge's: every effect applied once per override id (derived
 * event ids, and the holding decider ignores an override it applied), then `OverrideCompleted` with its report. The
 * scheduler completes here any approved request a crash left without its completion, and expires the undecided ones.
 */
@Injectable()
export class OverrideProcess {
  private readonly logger = new Logger('OverrideRequests');

  constructor(
    private readonly bus: CommandBus,
    private readonly effects: OverrideEffects,
    private readonly view: OverrideView,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Applies every effect (idempotent per holding) and records the completion with the report. */
  async complete(state: KnownOverride): Promise<{ state: KnownOverride; events: RecordedEvent[]; position: number }> {
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
    const report = await this.effects.effects(request, approvedBy, meta, 'filter' in request.target ? undefined : written);
    const outcome = await this.bus.execute(new OverrideWrite(request.overrideId, { type: 'CompleteOverride', data: { report } }, meta));
    return { state: outcome.state as KnownOverride, events: [...written, ...outcome.events], position: outcome.position };
  }

  /** R24: records the expiry of every request left undecided for 7 days; answers how many. */
  async expireDue(): Promise<number> {
    const known = await this.view.all();
    const now = this.clock.now();
    let expired = 0;
    for (const state of known) {
      if (state.status !== 'pending' || now.getTime() < Date.parse(state.request.expiresAt)) continue;
      const id = state.request.overrideId;
      const meta = { commandId: `expire-override:${id}`, correlationId: id, causationId: id, actor: 'scheduler' };
      try {
        const outcome = await this.bus.execute(new OverrideWrite(id, { type: 'ExpireOverrideRequest' }, meta));
        expired += outcome.events.length > 0 ? 1 : 0;
      } catch (error) {
        this.logger.error(`expiring override ${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return expired;
  }

  /** R26: completes every approved request whose completion a crash left missing; answers how many. */
  async completeApproved(): Promise<number> {
    let completed = 0;
    for (const state of await this.view.all()) {
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
}
