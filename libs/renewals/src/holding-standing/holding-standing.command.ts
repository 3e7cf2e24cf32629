import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CommandMeta } from '../command-handling/command-meta';
import { HoldingCommand } from '@recert/domain';
import { CommandResult } from '../renewals.tokens';
import { HoldingHandler, HoldingWrite } from '../command-handling/holding-handler';

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
  constructor(private readonly holdings: HoldingHandler) {}

  async execute({ data, meta }: ChangeStandingCommand): Promise<CommandResult> {
    const outcome = await this.holdings.execute(new HoldingWrite(data, data.command, meta));
    return { events: outcome.events, position: outcome.position };
  }
}
