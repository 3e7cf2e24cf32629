import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { assertMayAccessProfile, CurrentPrincipal, Principal, Roles } from '@recert/kernel';
import { ProfileParams } from '@recert/renewals';
import { DomainError } from '@recert/domain';
import { ConsistencyQuery, ReadConsistency } from '../runtime/consistency';
import { Dashboard, DashboardQueries } from './dashboard.queries';

@ApiTags('queries')
@ApiBearerAuth()
@Controller('certification-profiles')
export class DashboardController {
  constructor(
    private readonly queries: DashboardQueries,
    private readonly consistency: ReadConsistency,
  ) {}

  @Get(':profileId/dashboard')
  @Roles('candidate', 'support', 'admin')
  async dashboard(
    @Param() params: ProfileParams,
    @Query() query: ConsistencyQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Dashboard> {
    assertMayAccessProfile(principal, params.profileId);
    await this.consistency.await(query, ['holdings']);
    const dashboard = await this.queries.dashboard(params.profileId);
    if (!dashboard) throw new DomainError('PROFILE_NOT_FOUND', `No certification profile ${params.profileId}`);
    return dashboard;
  }
}
