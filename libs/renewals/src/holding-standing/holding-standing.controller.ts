import { Body, Controller, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { CommandMetaFromRequest, ISO_INSTANT, RequestMeta, Roles } from '@recert/kernel';
import { IsISO8601, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { HoldingParams } from '../profile/profile.params';
import { CommandResult } from '../renewals.tokens';
import { ChangeStandingCommand, StandingCommand } from './holding-standing.command';

export class StandingReasonDto {
  @ApiProperty({ example: 'Exam fraud confirmed by case #4711', description: 'Why: stored with the event and shown in the audit export' })
  @IsString()
  @Length(3, 500)
  @Matches(/\S/, { message: 'reason: must not be blank' })
  reason!: string;
}

export class SuspensionDto extends StandingReasonDto {
  @ApiPropertyOptional({ example: '2026-06-01T00:00:00Z', description: 'When the suspension ends by itself (R17); in the future' })
  @IsOptional()
  @IsString()
  @IsISO8601({ strict: true, strictSeparator: true })
  @Matches(ISO_INSTANT, { message: 'until: an ISO 8601 instant with a time zone, e.g. 2026-06-01T00:00:00Z' })
  until?: string;
}

/** The program's decisions on one holding (R15-R17): admin only, each with a mandatory reason. */
@ApiTags('commands')
@ApiBearerAuth()
@Controller('certification-profiles')
@UseInterceptors(IdempotencyInterceptor)
export class HoldingStandingController {
  constructor(private readonly commandBus: CommandBus) {}

  private run(params: HoldingParams, command: StandingCommand, meta: RequestMeta): Promise<CommandResult> {
    return this.commandBus.execute(
      new ChangeStandingCommand({ profileId: params.profileId, certificationCode: params.code, command }, meta),
    );
  }

  @Post(':profileId/certifications/:code/revocation')
  @HttpCode(200)
  @Roles('admin')
  revoke(
    @Param() params: HoldingParams,
    @Body() body: StandingReasonDto,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<CommandResult> {
    return this.run(params, { type: 'RevokeCertification', data: { reason: body.reason } }, meta);
  }

  @Post(':profileId/certifications/:code/suspension')
  @HttpCode(200)
  @Roles('admin')
  suspend(
    @Param() params: HoldingParams,
    @Body() body: SuspensionDto,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<CommandResult> {
    return this.run(
      params,
      { type: 'SuspendCertification', data: { reason: body.reason, until: body.until ? new Date(body.until) : null } },
      meta,
    );
  }

  @Post(':profileId/certifications/:code/reinstatement')
  @HttpCode(200)
  @Roles('admin')
  reinstate(
    @Param() params: HoldingParams,
    @Body() body: StandingReasonDto,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<CommandResult> {
    return this.run(params, { type: 'ReinstateCertification', data: { reason: body.reason } }, meta);
  }
}
