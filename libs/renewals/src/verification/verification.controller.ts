import { Body, Controller, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { assertMayAccessProfile, CommandMetaFromRequest, CurrentPrincipal, Principal, RequestMeta, Roles } from '@recert/kernel';
import { IsIn } from 'class-validator';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { HoldingParams } from '../profile/profile.params';
import { ChangeVerificationCommand, ChangeVerificationResult } from './verification.command';

export class VerificationVisibilityDto {
  @ApiProperty({ enum: ['public', 'private'], description: 'private: GET /verify/{id} answers 404, as for an unknown id' })
  @IsIn(['public', 'private'], { message: 'visibility: public or private' })
  visibility!: 'public' | 'private';
}

/** R19: the holder (own profile) or support choose how a holding's public verification is reached. */
@ApiTags('verification')
@ApiBearerAuth()
@Controller('certification-profiles')
@UseInterceptors(IdempotencyInterceptor)
export class VerificationController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':profileId/certifications/:code/verification-id-rotation')
  @HttpCode(200)
  @Roles('candidate', 'support')
  rotate(
    @Param() params: HoldingParams,
    @CurrentPrincipal() principal: Principal,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<ChangeVerificationResult> {
    assertMayAccessProfile(principal, params.profileId);
    return this.commandBus.execute(
      new ChangeVerificationCommand({ profileId: params.profileId, certificationCode: params.code, change: { rotate: true } }, meta),
    );
  }

  @Post(':profileId/certifications/:code/verification-visibility')
  @HttpCode(200)
  @Roles('candidate', 'support')
  visibility(
    @Param() params: HoldingParams,
    @Body() body: VerificationVisibilityDto,
    @CurrentPrincipal() principal: Principal,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<ChangeVerificationResult> {
    assertMayAccessProfile(principal, params.profileId);
    return this.commandBus.execute(
      new ChangeVerificationCommand(
        { profileId: params.profileId, certificationCode: params.code, change: { visibility: body.visibility } },
        meta,
      ),
    );
  }
}
