import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RecordedEvent } from '@recert/eventstore';
import { assertMayAccessProfile, CurrentPrincipal, Principal, Roles } from '@recert/kernel';
import { ProfileParams } from '@recert/renewals';
import { DomainError } from '@recert/domain';
import { ConsistencyQuery } from '../runtime/consistency';
import { HistoryQueries } from './history.queries';

@ApiTags('queries')
@ApiBearerAuth()
@Controller('certification-profiles')
export class HistoryController {
  constructor(private readonly queries: HistoryQueries) {}

  /** Read from the log itself, so it is consistent with every acknowledged write: consistentWith is met at once. */
  @Get(':profileId/history')
  @Roles('candidate', 'support', 'admin')
  async history(
    @Param() params: ProfileParams,
    @Query() _query: ConsistencyQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ profileId: string; events: RecordedEvent[] }> {
    assertMayAccessProfile(principal, params.profileId);
    const events = await this.queries.history(params.profileId);
    if (!events) throw new DomainError('PROFILE_NOT_FOUND', `No certification profile ${params.profileId}`);
    return { profileId: params.profileId, events };
  }
}
