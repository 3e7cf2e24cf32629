import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { RecordedEvent } from '@recert/eventstore';
import { assertMayAccessProfile, CurrentPrincipal, PageInfo, pageOfSorted, parsePage, Principal, Roles } from '@recert/kernel';
import { ProfileParams } from '@recert/renewals';
import { DomainError } from '@recert/domain';
import { IsOptional, IsString } from 'class-validator';
import { ConsistencyQuery } from '../runtime/consistency';
import { HistoryQueries } from './history.queries';

/** A holder's history grows with every event of their holdings: paged by global position (#23.5, R110). */
export const HISTORY_PAGE = { defaultLimit: 100, maxLimit: 500 };

export class HistoryQuery extends ConsistencyQuery {
  @ApiPropertyOptional({ example: '100', description: 'Events per page, 1 to 500, default 100; over 500 is 400 VALIDATION_FAILED' })
  @IsOptional()
  @IsString()
  limit?: string;

  @ApiPropertyOptional({ description: "The previous page's `page.nextCursor`; absent for the first page (the oldest events)" })
  @IsOptional()
  @IsString()
  cursor?: string;
}

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
    @Query() query: HistoryQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ profileId: string; events: RecordedEvent[]; page: PageInfo }> {
    const request = parsePage(query.limit, query.cursor, HISTORY_PAGE);
    assertMayAccessProfile(principal, params.profileId);
    const events = await this.queries.history(params.profileId);
    if (!events) throw new DomainError('PROFILE_NOT_FOUND', `No certification profile ${params.profileId}`);
    const { items, page } = pageOfSorted(events, (event) => event.position, request);
    return { profileId: params.profileId, events: items, page };
  }
}
