import { Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { CLOCK, Clock } from '@recert/kernel';
import { Deadline, DeadlineQueries } from '@recert/projections';
import { HoldingWrite } from '@recert/renewals';
import { DomainError, HoldingCommand } from '@recert/domain';

/**
 * The holdings' deadlines (R3, R9): asks the deadlines read model what is due now and sends each holding an ordinary
 * command. Deciders ignore what is already done and appends carry expected revisions, so two runs, or two
 * processes, at once open each window and expire each holding exactly once.
 */
@Injectable()
export class DeadlineTicks {
  private readonly logger = new Logger('Scheduler');

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly deadlines: DeadlineQueries,
    private readonly bus: CommandBus,
  ) {}

  async runOnce(): Promise<{ windowsOpened: number; expired: number; asOf: Date }> {
    const now = this.clock.now();
    let windowsOpened = 0;
    let expired = 0;
    for (const due of await this.deadlines.windowsDue(now)) {
      windowsOpened += await this.send(due, { type: 'OpenRenewalWindow' }, 'open-window');
    }
    for (const due of await this.deadlines.expiriesDue(now)) {
      expired += await this.send(due, { type: 'ExpireHolding' }, 'expire');
    }
    return { windowsOpened, expired, asOf: now };
  }

  private async send(due: Deadline, command: HoldingCommand, kind: string): Promise<number> {
    try {
      const meta = {
        commandId: `${kind}:${due.holdingId}`,
        correlationId: `scheduler:${kind}`,
        causationId: due.holdingId,
        actor: 'scheduler',
      };
      // A deadline falls due whatever the profile's state: the holding decider knows what a merged one does.
      const ref = { profileId: due.profileId, certificationCode: due.code };
      const outcome = await this.bus.execute(new HoldingWrite(ref, command, meta, { activeProfile: false }));
      return outcome.events.length > 0 ? 1 : 0;
    } catch (error) {
      // A certification gone from the catalog has no deadlines to keep: skipped, as before, without an error.
      if (error instanceof DomainError && error.code === 'UNKNOWN_CERTIFICATION') return 0;
      // One holding's failure must not stop the others; it is due again on the next run.
      this.logger.error(`${kind} ${due.holdingId}: ${error instanceof Error ? error.message : String(error)}`);
      return 0;
    }
  }
}
