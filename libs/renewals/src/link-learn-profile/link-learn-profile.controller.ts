import { Body, Controller, ForbiddenException, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import { ExternalIdField, ReasonField } from '../profile/id-fields';
import { CommandBus } from '@nestjs/cqrs';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import {
  assertMayAccessProfile,
  CommandMetaFromRequest,
  CurrentPrincipal,
  onlyAsCandidate,
  Principal,
  RequestMeta,
  Roles,
  ValidationProblem,
} from '@recert/kernel';
import { IsIn, IsOptional } from 'class-validator';
import { AccountType } from '@recert/domain';
import { ProfileParams } from '../profile/profile.params';
import { combine, CommandResult } from '../renewals.tokens';
import { LearnProfileWrite, ProfileWrite } from '../command-handling/aggregate-writes';
import { ProfileReader } from '../profile/profile.reader';
import { LinkLearnProfileCommand } from './link-learn-profile.command';

export class LinkLearnProfileDto {
  @ExternalIdField('learnProfileId', { example: 'learn-77', description: "A candidate's must be its token's learnProfileId" })
  learnProfileId!: string;

  @ExternalIdField('accountId', {
    example: 'msa-42',
    optional: true,
    description: "Support only (required with reason): the learn profile's account. A candidate's comes from its token.",
  })
  accountId?: string;

  @ApiPropertyOptional({ enum: ['personal', 'work'], description: 'Support only (required with reason)' })
  @IsOptional()
  @IsIn(['personal', 'work'])
  accountType?: AccountType;

  @ReasonField({
    example: 'Ticket 1234: holder linked by phone',
    description: 'Support only, required: stored with the event',
    optional: true,
  })
  reason?: string;
}

export class ReleaseLearnProfileLinkDto {
  @ReasonField({ example: 'Ticket 1234: linked by someone else; the owner signed in and asked' })
  reason!: string;
}

type LinkingAccount = { accountId: string; accountType: AccountType; supportReason?: string };

/**
 * Who proves the learn profile is theirs (API.md, Authentication): a candidate by its token's learning-account
 * claims, never the body's; support on a holder's behalf only with a reason and the account named in the body.
 */
export function linkingAccount(principal: Principal, body: LinkLearnProfileDto): LinkingAccount {
  if (onlyAsCandidate(principal)) {
    const { learnProfileId, accountId, accountType } = principal;
    if (!learnProfileId || !accountId || !accountType) {
      throw new ForbiddenException(
        "A candidate's token must carry the signed-in learning account (learnProfileId, accountId, accountType)",
      );
    }
    if (learnProfileId !== body.learnProfileId) throw new ForbiddenException("The learn profile is not the token's learning account");
    return { accountId, accountType };
  }
  const missing = (['reason', 'accountId', 'accountType'] as const).filter((field) => body[field] === undefined);
  if (missing.length > 0) {
    throw new ValidationProblem(
      missing.map((field) => ({ field, message: `${field} is required when support links on a holder's behalf` })),
      "Support links on a holder's behalf only with a reason and the account",
    );
  }
  return { accountId: body.accountId as string, accountType: body.accountType as AccountType, supportReason: body.reason as string };
}

@ApiTags('commands')
@ApiBearerAuth()
@Controller('certification-profiles')
@UseInterceptors(IdempotencyInterceptor)
export class LinkLearnProfileController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly profiles: ProfileReader,
  ) {}

  @Post(':profileId/learn-profile-link')
  @HttpCode(200)
  @Roles('candidate', 'support')
  link(
    @Param() params: ProfileParams,
    @Body() body: LinkLearnProfileDto,
    @CurrentPrincipal() principal: Principal,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<CommandResult> {
    assertMayAccessProfile(principal, params.profileId);
    const account = linkingAccount(principal, body);
    return this.commandBus.execute(
      new LinkLearnProfileCommand({ profileId: params.profileId, learnProfileId: body.learnProfileId, ...account }, meta),
    );
  }

  /**
   * Support releases a wrongly linked learn profile (#16.2): the learn profile is free again for its owner, the
   * profile unlinked. Both events carry the reason; the actor is in their metadata, so the audit export shows who.
   * The learn profile goes first: a crash in between leaves a profile still linked, which a repeat completes.
   */
  @Post(':profileId/learn-profile-link/release')
  @HttpCode(200)
  @Roles('support')
  @ApiOperation({ summary: "Release the profile's learn profile link (support, with a reason; audited)" })
  async release(
    @Param() params: ProfileParams,
    @Body() body: ReleaseLearnProfileLinkDto,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<CommandResult> {
    const profile = await this.profiles.active(params.profileId);
    const learnProfileId = profile.linkedLearnProfileId;
    const released = learnProfileId
      ? await this.commandBus.execute(
          new LearnProfileWrite(
            learnProfileId,
            { type: 'ReleaseLink', data: { learnProfileId, profileId: profile.profileId, reason: body.reason } },
            meta,
          ),
        )
      : { events: [], position: 0 };
    // Refused with PROFILE_NOT_LINKED when there is no link: nothing was released above either.
    const unlinked = await this.commandBus.execute(
      new ProfileWrite(profile.profileId, { type: 'UnlinkLearnProfile', data: { reason: body.reason } }, meta),
    );
    return combine(released, unlinked);
  }
}
