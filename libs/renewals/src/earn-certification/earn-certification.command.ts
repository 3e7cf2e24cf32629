import { Inject } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@recert/kernel';
import { DomainError, holdingIdOf, HoldingState, initialHoldingState, prerequisiteMet } from '@recert/domain';
import { CommandMeta } from '../command-handling/command-meta';
import { HoldingHandler } from '../command-handling/holding-handler';
import { CommandResult } from '../renewals.tokens';
import { newVerificationId } from '../verification/verification-id';

/** Its result type rides on the command, so the bus's answer is typed. */
export class EarnCertificationCommand extends Command<EarnCertificationResult> {
  constructor(
    readonly data: { profileId: string; certificationCode: string; earnedAt?: Date },
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

export interface EarnCertificationResult extends CommandResult {
  holdingId: string;
  expiresAt: string | null;
}

@CommandHandler(EarnCertificationCommand)
export class EarnCertificationHandler implements ICommandHandler<EarnCertificationCommand, EarnCertificationResult> {
  constructor(
    private readonly holdings: HoldingHandler,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ data, meta }: EarnCertificationCommand): Promise<EarnCertificationResult> {
    const certification = await this.holdings.prepare(data);
    const now = this.clock.now();
    const earnedAt = data.earnedAt ?? now;
    if (earnedAt.getTime() > now.getTime())
      throw new DomainError('VALIDATION_FAILED', `earnedAt ${earnedAt.toISOString()} is in the future`);

    // R10: one prerequisite held and active at the moment the expert was earned.
    const prerequisites = new Map<string, HoldingState>();
    for (const code of certification.prerequisites) {
      const prerequisite = await this.holdings.load(data.profileId, code);
      prerequisites.set(code, prerequisite.state);
    }
    const prerequisiteActive = prerequisiteMet(certification, earnedAt, (code) => prerequisites.get(code) ?? initialHoldingState);

    const holdingId = holdingIdOf(data.profileId, certification.code);
    const outcome = await this.holdings.write(
      data.profileId,
      certification,
      {
        type: 'EarnCertification',
        // R19: a fresh verification id for the new cycle, drawn here: the decider stays free of randomness.
        data: { holdingId, profileId: data.profileId, earnedAt, prerequisiteActive, verificationId: newVerificationId() },
      },
      meta,
    );
    const state = outcome.state;
    return { holdingId, expiresAt: state.status === 'held' ? state.expiresAt : null, events: outcome.events, position: outcome.position };
  }
}
