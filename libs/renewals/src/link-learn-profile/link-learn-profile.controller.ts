import { Body, Controller, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import { ExternalIdField } from '../profile/id-fields';
import { CommandBus } from '@nestjs/cqrs';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { assertMayAccessProfile, CommandMetaFromRequest, CurrentPrincipal, Principal, RequestMeta, Roles } from '@recert/kernel';
import { IsIn } from 'class-validator';
import { ProfileParams } from '../profile/profile.params';
import { CommandResult } from '../renewals.tokens';
import { LinkLearnProfileCommand } from './link-learn-profile.command';

export class LinkLearnProfileDto {
  @ExternalIdField('learnProfileId', { example: 'learn-77' })
  learnProfileId!: string;

  @ExternalIdField('accountId', { example: 'msa-42', description: 'The account the learn profile uses' })
  accountId!: string;

  @ApiProperty({ enum: ['personal', 'work'] })
  @IsIn(['personal', 'work'])
  accountType!: 'personal' | 'work';
}

@ApiTags('commands')
@ApiBearerAuth()
@Controller('certification-profiles')
@UseInterceptors(IdempotencyInterceptor)
export class LinkLearnProfileController {
  constructor(private readonly commandBus: CommandBus) {}

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
    return this.commandBus.execute(new LinkLearnProfileCommand({ profileId: params.profileId, ...body }, meta));
  }
}
