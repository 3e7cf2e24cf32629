import { Inject } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AccountType, DomainError, evolveProfile, initialProfileState, ProfileEvent, ProfileState, profileStream } from '@recert/domain';
import { CommandMeta } from '../command-handling/command-meta';
import { StreamCommands } from '../command-handling/stream-commands';
import { AccountWrite, ProfileWrite } from '../command-handling/aggregate-writes';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../personal-data/personal-data.vault';
import { combine, CommandResult } from '../renewals.tokens';

/** Its result type rides on the command, so the bus's answer is typed. */
export class CreateProfileCommand extends Command<CommandResult> {
  constructor(
    readonly data: { profileId: string; accountId: string; accountType: AccountType; displayName: string; email: string },
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(CreateProfileCommand)
export class CreateProfileHandler implements ICommandHandler<CreateProfileCommand, CommandResult> {
  constructor(
    private readonly commands: StreamCommands,
    private readonly bus: CommandBus,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
  ) {}

  async execute({ data, meta }: CreateProfileCommand): Promise<CommandResult> {
    const stream = profileStream(data.profileId);
    const existing = await this.commands.load<ProfileState, ProfileEvent>(stream, evolveProfile, initialProfileState);
    // A repeat of a try that created it (#22.3) goes on: each append below answers with what that try stored.
    if (existing.state.status !== 'none' && !this.commands.ranBefore(existing.recorded, stream, meta))
      throw new DomainError('PROFILE_EXISTS', `Profile ${data.profileId} exists`);

    // The account index first: the link check verifies every listed profile against its own stream (R12).
    const account = await this.bus.execute(
      new AccountWrite(data.accountId, { type: 'RegisterProfile', data: { accountId: data.accountId, profileId: data.profileId } }, meta),
    );
    const personalData = await this.vault.seal(data.profileId, { displayName: data.displayName, email: data.email });
    const profile = await this.bus.execute(
      new ProfileWrite(
        data.profileId,
        {
          type: 'CreateProfile',
          data: { profileId: data.profileId, accountId: data.accountId, accountType: data.accountType, personalData },
        },
        meta,
      ),
    );
    return combine(account, profile);
  }
}
