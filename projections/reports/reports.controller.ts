import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Roles } from '@recert/kernel';
import { IsIn, IsISO8601, IsOptional, IsString, Matches } from 'class-validator';
import { ConsistencyQuery, ReadConsistency } from '../runtime/consistency';
import { ReportsQueries, SummaryReport } from './reports.queries';

export class ExpiringQuery extends ConsistencyQuery {
  @ApiPropertyOptional({ example: '90', description: 'Holdings expiring within this many days (1-3650), default 90' })
  @IsOptional()
  @IsString()
  @Matches(/^(?:[1-9]\d{0,2}|[1-2]\d{3}|3[0-5]\d{2}|36[0-4]\d|3650)$/, { message: 'withinDays: a whole number from 1 to 3650' })
  withinDays?: string;

  @ApiPropertyOptional({ example: '1' })
  @IsOptional()
  @IsString()
  @Matches(/^[1-9]\d{0,5}$/, { message: 'page: a whole number from 1' })
  page?: string;

  @ApiPropertyOptional({ example: '50', description: '1-500, default 50' })
  @IsOptional()
  @IsString()
  @Matches(/^(?:[1-9]\d?|[1-4]\d{2}|500)$/, { message: 'pageSize: a whole number from 1 to 500' })
  pageSize?: string;

  @ApiPropertyOptional({ example: 'azure-administrator-associate', description: 'Only this certification' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'certification: a certification code' })
  certification?: string;

  @ApiPropertyOptional({ enum: ['active', 'renewal-open'], description: 'Only holdings in this status' })
  @IsOptional()
  @IsIn(['active', 'renewal-open'], { message: 'status: active or renewal-open' })
  status?: 'active' | 'renewal-open';

  @ApiPropertyOptional({ example: '2026-03-01T00:00:00Z', description: 'Expiring at or after (with expiresTo: instead of withinDays)' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'expiresFrom: an ISO 8601 instant' })
  expiresFrom?: string;

  @ApiPropertyOptional({ example: '2026-06-01T00:00:00Z', description: 'Expiring before' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'expiresTo: an ISO 8601 instant' })
  expiresTo?: string;
}

export class WeeksQuery extends ConsistencyQuery {
  @ApiPropertyOptional({ example: '26', description: 'How many weeks ahead (1-104), default 26' })
  @IsOptional()
  @IsString()
  @Matches(/^(?:[1-9]|[1-9]\d|10[0-4])$/, { message: 'weeks: a whole number from 1 to 104' })
  weeks?: string;
}

export class RenewalRateQuery extends ConsistencyQuery {
  @ApiPropertyOptional({ example: '12', description: 'How many calendar months back, this one included (1-60), default 12' })
  @IsOptional()
  @IsString()
  @Matches(/^(?:[1-9]|[1-5]\d|60)$/, { message: 'months: a whole number from 1 to 60' })
  months?: string;

  @ApiPropertyOptional({ example: 'azure-administrator-associate', description: 'Only this certification' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'certification: a certification code' })
  certification?: string;
}

@ApiTags('queries')
@ApiBearerAuth()
@Controller('reports')
export class ReportsController {
  constructor(
    private readonly queries: ReportsQueries,
    private readonly consistency: ReadConsistency,
  ) {}

  @Get('summary')
  @Roles('admin')
  async summary(@Query() query: ConsistencyQuery): Promise<SummaryReport> {
    await this.consistency.await(query, ['holdings']);
    return this.queries.summary();
  }

  @Get('expiring-by-week')
  @Roles('admin')
  async expiringByWeek(@Query() query: WeeksQuery): Promise<Awaited<ReturnType<ReportsQueries['expiringByWeek']>>> {
    await this.consistency.await(query, ['holdings']);
    return this.queries.expiringByWeek(Number(query.weeks ?? 26));
  }

  @Get('renewal-rate')
  @Roles('admin')
  @ApiOperation({
    summary: 'Renewal rate per month (#15.4): renewed / windows closed',
    description:
      'Per calendar month (UTC), oldest first: `closed` counts the renewal windows whose expiry fell in the month and has passed ' +
      '(renewed or expired), `renewed` those renewed before it, `rate` = renewed / closed (null when none closed). ' +
      'A window still open is not counted until its expiry passes.',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        asOf: { type: 'string', format: 'date-time' },
        certification: { type: 'string', nullable: true },
        months: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              month: { type: 'string', example: '2026-01' },
              closed: { type: 'integer' },
              renewed: { type: 'integer' },
              rate: { type: 'number', nullable: true, example: 0.75 },
            },
          },
        },
      },
    },
  })
  async renewalRate(@Query() query: RenewalRateQuery): Promise<Awaited<ReturnType<ReportsQueries['renewalRate']>>> {
    await this.consistency.await(query, ['renewal-outcomes']);
    return this.queries.renewalRate(Number(query.months ?? 12), query.certification);
  }

  @Get('expiring')
  @Roles('admin')
  async expiring(@Query() query: ExpiringQuery): Promise<Awaited<ReturnType<ReportsQueries['expiring']>>> {
    await this.consistency.await(query, ['holdings']);
    return this.queries.expiring(Number(query.withinDays ?? 90), Number(query.page ?? 1), Number(query.pageSize ?? 50), {
      certification: query.certification,
      status: query.status,
      expiresFrom: query.expiresFrom ? new Date(query.expiresFrom).toISOString() : undefined,
      expiresTo: query.expiresTo ? new Date(query.expiresTo).toISOString() : undefined,
    });
  }
}
