import { Body, Controller, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { CERTIFICATION_CODE, CommandMetaFromRequest, ISO_INSTANT, RequestMeta, Roles } from '@recert/kernel';
import { IsISO8601, IsOptional, IsString, Matches } from 'class-validator';
import { ProfileParams } from '../profile/profile.params';
import { EarnCertificationCommand, EarnCertificationResult } from './earn-certification.command';

export class EarnCertificationDto {
  @ApiProperty({ example: 'azure-administrator-associate' })
  @IsString()
  @Matches(CERTIFICATION_CODE, { message: 'certificationCode: lower-case letters, digits and dashes' })
  certificationCode!: string;

  @ApiPropertyOptional({ example: '2026-01-15T09:00:00Z', description: 'When the exam was passed; default now, never in the future' })
  @IsOptional()
  @IsString()
  @IsISO8601({ strict: true, strictSeparator: true })
  @Matches(ISO_INSTANT, { message: 'earnedAt: an ISO 8601 instant with a time zone, e.g. 2026-01-15T09:00:00Z' })
  earnedAt?: string;
}

@ApiTags('commands')
@ApiBearerAuth()
@Controller('certification-profiles')
@UseInterceptors(IdempotencyInterceptor)
export class EarnCertificationController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':profileId/certifications')
  @HttpCode(201)
  @Roles('exam-system')
  earn(
    @Param() params: ProfileParams,
    @Body() body: EarnCertificationDto,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<EarnCertificationResult> {
    return this.commandBus.execute(
      new EarnCertificationCommand(
        {
          profileId: params.profileId,
          certificationCode: body.certificationCode,
          earnedAt: body.earnedAt ? new Date(body.earnedAt) : undefined,
        },
        meta,
      ),
    );
  }
}
