import { CommandBus } from '@nestjs/cqrs';
import { Body, Controller, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CommandMetaFromRequest, ISO_INSTANT, RequestMeta, Roles, ValidationProblem } from '@recert/kernel';
import { IsObject, IsString, Length, Matches } from 'class-validator';
import { ReasonField } from '../profile/id-fields';
import { PolicyAdoptionWrite } from '../command-handling/aggregate-writes';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { parsePolicy, Policy } from '@recert/domain';
import { CommandResult, PolicyRegistry } from '../renewals.tokens';
import { PolicyAdoptions } from './policy-adoptions.service';

export class AdoptPolicyDto {
  @ApiProperty({
    description:
      'A policy version as in POLICY_FILE (its own effectiveFrom is replaced by the one below); `reminders` lists offsets before expiry (`window-opens` or ISO 8601 durations, PT1H to P2Y, at most 8; R30)',
  })
  @IsObject()
  policy!: Record<string, unknown>;

  @ApiProperty({ example: '2027-01-01T00:00:00Z', description: 'Now or later: a policy never applies retroactively (R14)' })
  @IsString()
  @Matches(ISO_INSTANT, { message: 'effectiveFrom: an ISO 8601 instant with a time zone' })
  effectiveFrom!: string;
}

export class PolicyVersionParams {
  @ApiProperty({ example: '2027-01-01', description: 'The version of a pending adoption' })
  @IsString()
  @Length(1, 64)
  version!: string;
}

export class WithdrawPolicyAdoptionDto {
  @ReasonField({ example: 'Adopted with the wrong extension; re-adopted as 2027-01-01b' })
  reason!: string;
}

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/policies')
@UseInterceptors(IdempotencyInterceptor)
export class AdoptPolicyController {
  constructor(
    private readonly bus: CommandBus,
    private readonly registry: PolicyRegistry,
    private readonly adoptions: PolicyAdoptions,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles('admin')
  async adopt(@Body() body: AdoptPolicyDto, @CommandMetaFromRequest() meta: RequestMeta): Promise<CommandResult & { policy: Policy }> {
    let policy: Policy;
    try {
      policy = parsePolicy({ ...body.policy, effectiveFrom: body.effectiveFrom });
    } catch (error) {
      throw new ValidationProblem(
        [{ field: 'policy', message: error instanceof Error ? error.message : 'invalid' }],
        'The policy is invalid',
      );
    }
    const knownVersions = this.registry.book().versions.map((version) => version.version);
    const outcome = await this.bus.execute(
      new PolicyAdoptionWrite(undefined, { type: 'AdoptPolicy', data: { policy, knownVersions } }, meta),
    );
    // This process adopts at once; the others (and this one again, harmlessly) through their subscription.
    this.adoptions.adopt(policy);
    return { events: outcome.events, position: outcome.position, policy };
  }

  /**
   * R14b: withdraws an adoption that has not taken effect (refused once it has: decisions were taken under it). The
   * holdings read model is rebuilt for the book without it, blue/green like an adoption (ADR 0003).
   */
  @Post(':version/withdrawal')
  @HttpCode(200)
  @Roles('admin')
  async withdraw(
    @Param() params: PolicyVersionParams,
    @Body() body: WithdrawPolicyAdoptionDto,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<CommandResult> {
    const outcome = await this.bus.execute(
      new PolicyAdoptionWrite(undefined, { type: 'WithdrawPolicyAdoption', data: { version: params.version, reason: body.reason } }, meta),
    );
    this.adoptions.withdraw(params.version);
    return { events: outcome.events, position: outcome.position };
  }
}
