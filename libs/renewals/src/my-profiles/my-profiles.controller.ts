import { Controller, ForbiddenException, Get, Injectable } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  accountStream,
  AccountEvent,
  AccountState,
  evolveAccount,
  evolveProfile,
  initialAccountState,
  initialProfileState,
  ProfileEvent,
  ProfileState,
  profileStream,
} from '@recert/domain';
import { CurrentPrincipal, holdsByAccount, Principal, ProfileOwnership, Roles } from '@recert/kernel';
import { StreamReader } from '../command-handling/stream-reader';

/**
 * Which account owns which certification profiles (R68), from the profiles' own streams: a profile's account is
 * the one it was created with, also after it was merged away. The account index only lists candidates.
 */
@Injectable()
export class ProfileOwners implements ProfileOwnership {
  constructor(private readonly reader: StreamReader) {}

  async accountOf(profileId: string): Promise<string | undefined> {
    const { state } = await this.reader.load<ProfileState, ProfileEvent>(profileStream(profileId), evolveProfile, initialProfileState);
    return state.status === 'active' ? state.accountId : state.status === 'closed' ? state.last.accountId : undefined;
  }

  /** The account's active profiles, each checked against its own stream (the index is not the truth). */
  async activeProfilesOf(accountId: string): Promise<string[]> {
    const { state } = await this.reader.load<AccountState, AccountEvent>(accountStream(accountId), evolveAccount, initialAccountState);
    const owned = await Promise.all(
      state.profiles.map(async (profileId) => ((await this.accountOf(profileId)) === accountId ? profileId : null)),
    );
    return owned.filter((profileId): profileId is string => profileId !== null).sort();
  }
}

export interface MyProfiles {
  /** The signed-in account (a development token with a profileId claim: none). */
  accountId: string | null;
  profiles: { profileId: string }[];
  /** More than one active profile: support must merge them before any can be linked (R12). */
  mustMerge: boolean;
}

@ApiTags('queries')
@ApiBearerAuth()
@Controller('me')
export class MyProfilesController {
  constructor(private readonly owners: ProfileOwners) {}

  @Get('profiles')
  @Roles('candidate')
  @ApiOperation({ summary: "The signed-in holder's certification profiles: every active one its account owns (R68, R12)" })
  async profiles(@CurrentPrincipal() principal: Principal): Promise<MyProfiles> {
    if (holdsByAccount(principal)) {
      const profiles = await this.owners.activeProfilesOf(principal.accountId);
      return { accountId: principal.accountId, profiles: profiles.map((profileId) => ({ profileId })), mustMerge: profiles.length > 1 };
    }
    if (principal.profileId) return { accountId: null, profiles: [{ profileId: principal.profileId }], mustMerge: false };
    throw new ForbiddenException('The token names no account and no profile');
  }
}
