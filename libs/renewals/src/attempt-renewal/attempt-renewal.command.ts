import { Inject } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Catalog, DomainError } from '@recert/domain';
import { CommandMeta } from '../command-handling/command-meta';
import { holdingDecision } from '../command-handling/decisions';
import { StreamCommands } from '../command-handling/stream-commands';
import { ProfileReader } from '../profile/profile.reader';
import { CATALOG, CommandResult, PolicyRegistry } from '../renewals.tokens';

/** Its result type rides on the command, so the bus's answer is typed. */
export class AttemptRenewalCommand extends Command<AttemptRenewalResult> {
  constructor(
    readonly data: {
      profileId: string;
      certificationCode: string;
      attemptId: string;
      passed: boolean;
      score: number | null;
      language: string;
    },
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

export interface AttemptRenewalResult extends CommandResult {
  attempt: number;
  renewed: boolean;
  expiresAt: string | null;
}

@CommandHandler(AttemptRenewalCommand)
export class AttemptRenewalHandler implements ICommandHandler<AttemptRenewalCommand, AttemptRenewalResult> {
  constructor(
    private readonly commands: StreamCommands,
    private readonly profiles: ProfileReader,
    private readonly policies: PolicyRegistry,
    @Inject(CATALOG) private readonly catalog: Catalog,
  ) {}

  async execute({ data, meta }: AttemptRenewalCommand): Promise<AttemptRenewalResult> {
    const profile = await this.profiles.active(data.profileId);
    const certification = this.catalog.get(data.certificationCode);
    if (!certification) throw new DomainError('UNKNOWN_CERTIFICATION', `No certification ${data.certificationCode} in the catalog`);
    const outcome = await this.commands.run(
      holdingDecision(
        data.profileId,
        certification,
        {
          type: 'AttemptRenewal',
          data: {
            attemptId: data.attemptId,
            passed: data.passed,
            score: data.score,
            language: data.language,
            profileLinked: profile.linkedLearnProfileId !== null,
          },
        },
        this.policies,
        meta,
      ),
    );
    const attempted = outcome.events.find((event) => event.type === 'AssessmentAttempted');
    const state = outcome.state;
    return {
      attempt: attempted ? Number(attempted.data['attempt']) : state.status === 'held' && state.window ? state.window.attempts : 0,
      renewed: outcome.events.some((event) => event.type === 'CertificationRenewed'),
      expiresAt: state.status === 'held' ? state.expiresAt : null,
      events: outcome.events,
      position: outcome.position,
    };
  }
}
