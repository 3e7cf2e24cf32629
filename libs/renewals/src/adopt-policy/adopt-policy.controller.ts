import { Body, Controller, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CommandMetaFromRequest, ISO_INSTANT, RequestMeta, Roles, ValidationProblem } from '@recert/kernel';
import { IsObject, IsString, Matches } from 'class-validator';
import { StreamCommands } from '../command-handling/stream-commands';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { parsePolicy, Policy, policyAdoptionDecider } from '@recert/domain';
import { CommandResult, PolicyRegistry } from '../renewals.tokens';
import { PolicyAdoptions } from './policy-adoptions.service';

export class AdoptPolicyDto {
  @ApiProperty({ description: 'A policy version as in POLICY_FILE (its own effectiveFrom is replaced by the one below)' })
  @IsObject()
  policy!: Record<string, unknown>;

  @ApiProperty({ example: '2027-01-01T00:00:00Z', description: 'Now or later: a policy never applies retroactively (R14)' })
  @IsString()
  @Matches(ISO_INSTANT, { message: 'effectiveFrom: an ISO 8601 instant with a time zone' })
  effectiveFrom!: string;
}

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/policies')
@UseInterceptors(IdempotencyInterceptor)
export class AdoptPolicyController {
  constructor(
    private readonly commands: StreamCommands,
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
    const outcome = await this.commands.handle(policyAdoptionDecider, undefined, { policy, knownVersions }, meta);
    // This process adopts at once; the others (and this one again, harmlessly) through their subscription.
    this.adoptions.adopt(policy);
    return { events: outcome.events, position: outcome.position, policy };
  }
}
