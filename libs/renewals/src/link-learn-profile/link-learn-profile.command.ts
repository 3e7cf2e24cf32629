import { Inject } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, Clock } from '@recert/kernel';
import {
  AccountEvent,
  AccountState,
  accountStream,
  AccountType,
  decideProfile,
  DomainError,
  evolveAccount,
  evolveLearnProfile,
  initialAccountState,
  initialLearnProfileState,
  LearnProfileEvent,
  LearnProfileState,
  learnProfileStream,
  ProfileCommand,
} from '@recert/domain';
import { CommandMeta } from '../command-handling/command-meta';
import { StreamReader } from '../command-handling/stream-reader';
import { LearnProfileWrite, ProfileWrite } from '../command-handling/aggregate-writes';
import { ProfileReader } from '../profile/profile.reader';
import { combine, CommandResult } from '../renewals.tokens';

/** Its result type rides on the command, so the bus's answer is typed. */
export class LinkLearnProfileCommand extends Command<CommandResult> {
  constructor(
    readonly data: { profileId: string; learnProfileId: string; accountId: string; accountType: AccountType; supportReason?: string },
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(LinkLearnProfileCommand)
export class LinkLearnProfileHandler implements ICommandHandler<LinkLearnProfileCommand, CommandResult> {
  constructor(
    private readonly reader: StreamReader,
    private readonly bus: CommandBus,
    private readonly profiles: ProfileReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Active profiles of an account, each checked against its own stream: the index may list a failed creation. */
  private async activeProfilesOf(accountId: string): Promise<number> {
    const index = await this.reader.load<AccountState, AccountEvent>(accountStream(accountId), evolveAccount, initialAccountState);
    let count = 0;
    for (const profileId of index.state.profiles) {
      const state = await this.profiles.state(profileId);
      if (state.status === 'active' && state.accountId === accountId) count += 1;
    }
    return count;
  }

  async execute({ data, meta }: LinkLearnProfileCommand): Promise<CommandResult> {
    const learnStream = learnProfileStream(data.learnProfileId);
    // Check every rule before reserving anything, so a refused link stores nothing.
    const learn = await this.reader.load<LearnProfileState, LearnProfileEvent>(learnStream, evolveLearnProfile, initialLearnProfileState);
    const profileState = await this.profiles.state(data.profileId);
    const command: Extract<ProfileCommand, { type: 'LinkLearnProfile' }> = {
      type: 'LinkLearnProfile',
      data: {
        learnProfileId: data.learnProfileId,
        accountId: data.accountId,
        accountType: data.accountType,
        learnProfileLinkedTo: learn.state.linkedTo,
        activeProfilesOfAccount: profileState.status === 'active' ? await this.activeProfilesOf(profileState.accountId) : 0,
        reason: 'request',
        ...(data.supportReason !== undefined ? { supportReason: data.supportReason } : {}),
      },
    };
    if (decideProfile(command, profileState, { now: this.clock.now() }).length === 0) return { events: [], position: 0 };

    const reservation = await this.bus.execute(
      new LearnProfileWrite(
        data.learnProfileId,
        { type: 'ReserveLink', data: { learnProfileId: data.learnProfileId, profileId: data.profileId, accountId: data.accountId } },
        meta,
      ),
    );
    try {
      const linked = await this.bus.execute(
        new ProfileWrite(data.profileId, { ...command, data: { ...command.data, learnProfileLinkedTo: data.profileId } }, meta),
      );
      return combine(reservation, linked);
    } catch (error) {
      // The profile changed under us (linked elsewhere, merged): give the learn profile back.
      if (reservation.events.length > 0 && error instanceof DomainError) {
        await this.bus.execute(
          new LearnProfileWrite(
            data.learnProfileId,
            { type: 'ReleaseLink', data: { learnProfileId: data.learnProfileId, profileId: data.profileId, reason: error.code } },
            meta,
            { step: 'release' },
          ),
        );
      }
      throw error;
    }
  }
}
