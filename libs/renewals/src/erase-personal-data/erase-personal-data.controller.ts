import { CommandBus } from '@nestjs/cqrs';
import { Body, Controller, HttpCode, Inject, Param, Post, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CLOCK, Clock, CommandMetaFromRequest, RequestMeta, Roles } from '@recert/kernel';
import { ProfileWrite } from '../command-handling/aggregate-writes';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../personal-data/personal-data.vault';
import { ReasonField } from '../profile/id-fields';
import { ProfileParams } from '../profile/profile.params';
import { CommandResult } from '../renewals.tokens';

export class ErasePersonalDataDto {
  @ReasonField({ example: 'GDPR art. 17 request #1234' })
  reason!: string;
}

/**
 * Crypto-shredding: destroys the profile's key so its name and e-mail can no longer be read from any copy of the log,
 * and records that it happened. The certification history itself stays: it is the program's record.
 */
@ApiTags('commands')
@ApiBearerAuth()
@Controller('certification-profiles')
@UseInterceptors(IdempotencyInterceptor)
export class ErasePersonalDataController {
  constructor(
    private readonly bus: CommandBus,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post(':profileId/personal-data-erasure')
  @HttpCode(200)
  @Roles('support', 'admin')
  async erase(
    @Param() params: ProfileParams,
    @Body() body: ErasePersonalDataDto,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<CommandResult> {
    const alreadyErased = await this.vault.isErased(params.profileId);
    const outcome = await this.bus.execute(
      new ProfileWrite(
        params.profileId,
        {
          type: 'ErasePersonalData',
          data: { profileId: params.profileId, reason: body.reason, alreadyErased },
        },
        meta,
      ),
    );
    // The fact is stored first: a crash between the two leaves a recorded erasure that a repeat completes.
    await this.vault.erase(params.profileId, this.clock.now());
    return { events: outcome.events, position: outcome.position };
  }
}
