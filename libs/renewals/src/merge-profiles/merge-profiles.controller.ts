import { Body, Controller, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CommandMetaFromRequest, RequestMeta, Roles } from '@recert/kernel';
import { ProfileIdField } from '../profile/id-fields';
import { TargetProfileParams } from '../profile/profile.params';
import { CommandResult } from '../renewals.tokens';
import { MergeProfilesCommand } from './merge-profiles.command';

export class MergeProfilesDto {
  @ProfileIdField('sourceProfileId', { example: 'p-1002', description: 'The duplicate profile, closed by the merge' })
  sourceProfileId!: string;
}

@ApiTags('commands')
@ApiBearerAuth()
@Controller('certification-profiles')
@UseInterceptors(IdempotencyInterceptor)
export class MergeProfilesController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':targetId/merges')
  @HttpCode(200)
  @Roles('support')
  merge(
    @Param() params: TargetProfileParams,
    @Body() body: MergeProfilesDto,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<CommandResult> {
    return this.commandBus.execute(
      new MergeProfilesCommand({ targetProfileId: params.targetId, sourceProfileId: body.sourceProfileId }, meta),
    );
  }
}
