import { Body, Controller, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import { ExternalIdField } from '../profile/id-fields';
import { CommandBus } from '@nestjs/cqrs';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { CommandMetaFromRequest, LANGUAGE_TAG, RequestMeta, Roles } from '@recert/kernel';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { HoldingParams } from '../profile/profile.params';
import { AttemptRenewalCommand, AttemptRenewalResult } from './attempt-renewal.command';

export class AttemptRenewalDto {
  @ApiProperty()
  @IsBoolean()
  passed!: boolean;

  @ApiPropertyOptional({ minimum: 0, maximum: 1000, example: 780 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  score?: number;

  @ApiProperty({ example: 'en', description: 'BCP 47 tag of the language the assessment was taken in (R13)' })
  @IsString()
  @Matches(LANGUAGE_TAG, { message: 'language: a BCP 47 language tag such as en, ja or pt-BR' })
  language!: string;

  @ExternalIdField('attemptId', {
    optional: true,
    description: "The assessment site's id of this attempt; a repeat with the same id is not counted twice",
  })
  attemptId?: string;
}

@ApiTags('commands')
@ApiBearerAuth()
@Controller('certification-profiles')
@UseInterceptors(IdempotencyInterceptor)
export class AttemptRenewalController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':profileId/certifications/:code/renewal-attempts')
  @HttpCode(201)
  @Roles('assessment-system')
  attempt(
    @Param() params: HoldingParams,
    @Body() body: AttemptRenewalDto,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<AttemptRenewalResult> {
    return this.commandBus.execute(
      new AttemptRenewalCommand(
        {
          profileId: params.profileId,
          certificationCode: params.code,
          attemptId: body.attemptId ?? meta.commandId,
          passed: body.passed,
          score: body.score ?? null,
          language: body.language,
        },
        meta,
      ),
    );
  }
}
