import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Catalog } from '../catalog';
import { CommandMeta } from '../command-handling/command-meta';
import { holdingDecision } from '../command-handling/decisions';
import { StreamCommands } from '../command-handling/stream-commands';
import { DomainError } from '../errors';
import { HoldingCommand } from '../holding/holding.decide';
import { ProfileReader } from '../profile/profile.reader';
import { CATALOG, CommandResult, PolicyRegistry } from '../renewals.tokens';

export type StandingCommand = Extract<HoldingCommand, { type: 'RevokeCertification' | 'SuspendCertification' | 'ReinstateCertification' }>;

/** R15-R17: an admin revokes, suspends or reinstates one holding, with a reason. */
export class ChangeStandingCommand {
  constructor(
    readonly data: { profileId: string; certificationCode: string; command: StandingCommand },
    readonly meta: CommandMeta,
  ) {}
}

@CommandHandler(ChangeStandingCommand)
export class ChangeStandingHandler implements ICommandHandler<ChangeStandingCommand, CommandResult> {
  constructor(
    private readonly commands: StreamCommands,
    private readonly profiles: ProfileReader,
    private readonly policies: PolicyRegistry,
    @Inject(CATALOG) private readonly catalog: Catalog,
  ) {}

  async execute({ data, meta }: ChangeStandingCommand): Promise<CommandResult> {
    await this.profiles.active(data.profileId);
    const certification = this.catalog.get(data.certificationCode);
    if (!certification) throw new DomainError('UNKNOWN_CERTIFICATION', `No certification ${data.certificationCode} in the catalog`);
    const outcome = await this.commands.run(holdingDecision(data.profileId, certification, data.command, this.policies, meta));
    return { events: outcome.events, position: outcome.position };
  }
}
