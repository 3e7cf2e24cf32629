import { Inject } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@recert/kernel';
import {
  Catalog,
  DomainError,
  holdingDecider,
  holdingIdOf,
  HoldingState,
  holdingStream,
  initialHoldingState,
  prerequisiteMet,
} from '@recert/domain';
import { CommandMeta } from '../command-handling/command-meta';
import { holdingDeps } from '../command-handling/decisions';
import { StreamCommands } from '../command-handling/stream-commands';
import { ProfileReader } from '../profile/profile.reader';
import { CATALOG, CommandResult, PolicyRegistry } from '../renewals.tokens';
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
    private readonly commands: StreamCommands,
    private readonly profiles: ProfileReader,
    private readonly policies: PolicyRegistry,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ data, meta }: EarnCertificationCommand): Promise<EarnCertificationResult> {
    await this.profiles.active(data.profileId);
    const certification = this.catalog.get(data.certificationCode);
    if (!certification) throw new DomainError('UNKNOWN_CERTIFICATION', `No certification ${data.certificationCode} in the catalog`);
    const now = this.clock.now();
    const earnedAt = data.earnedAt ?? now;
    if (earnedAt.getTime() > now.getTime())
      throw new DomainError('VALIDATION_FAILED', `earnedAt ${earnedAt.toISOString()} is in the future`);

    // R10: one prerequisite held and active at the moment the expert was earned.
    const prerequisites = new Map<string, HoldingState>();
    for (const code of certification.prerequisites) {
      const prerequisite = await this.commands.load(holdingStream(data.profileId, code), holdingDecider);
      prerequisites.set(code, prerequisite.state);
    }
    const prerequisiteActive = prerequisiteMet(certification, earnedAt, (code) => prerequisites.get(code) ?? initialHoldingState);

    const holdingId = holdingIdOf(data.profileId, certification.code);
    const outcome = await this.commands.handle(
      holdingDecider,
      { profileId: data.profileId, certificationCode: certification.code },
      {
        type: 'EarnCertification',
        // R19: a fresh verification id for the new cycle, drawn here: the decider stays free of randomness.
        data: { holdingId, profileId: data.profileId, earnedAt, prerequisiteActive, verificationId: newVerificationId() },
      },
      meta,
      holdingDeps(certification, this.policies),
    );
    const state = outcome.state;
    return { holdingId, expiresAt: state.status === 'held' ? state.expiresAt : null, events: outcome.events, position: outcome.position };
  }
}
