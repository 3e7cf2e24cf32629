import { Body, Controller, Get, HttpCode, Inject, Injectable, Logger, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { CLOCK, Clock, ISO_INSTANT, PageInfo, pageOfSorted, parsePage, Roles, ValidationProblem } from '@recert/kernel';
import { IsDefined, IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { Catalog, WhatIfReport } from '@recert/domain';
import { CATALOG, PolicyRegistry } from '../renewals.tokens';
import { candidateBook, ReplayProgress, replayProgress, runWhatIf } from './what-if.runner';

export class StartPolicyReplayDto {
  @ApiProperty({ description: 'The candidate: one policy version (added to the live book) or an array of versions (the whole book)' })
  @IsDefined()
  policy!: unknown;

  @ApiPropertyOptional({ example: '2027-01-01T00:00:00Z', description: 'Compare states at this instant; default now' })
  @IsOptional()
  @IsString()
  @Matches(ISO_INSTANT, { message: 'asOf: an ISO 8601 instant with a time zone' })
  asOf?: string;
}

export class ReplayPageQuery {
  @ApiPropertyOptional({ example: '1' })
  @IsOptional()
  @IsString()
  @Matches(/^[1-9]\d{0,5}$/, { message: 'page: a whole number from 1' })
  page?: string;

  @ApiPropertyOptional({ example: '50', description: '1-200, default 50' })
  @IsOptional()
  @IsString()
  @Matches(/^(?:[1-9]\d?|1\d{2}|200)$/, { message: 'pageSize: a whole number from 1 to 200' })
  pageSize?: string;
}

/** `GET …/latest`: by cursor (R110, `limit`, `cursor`) or by page number (R100, `page`, `pageSize`), not both. */
export class ReplayLatestQuery extends ReplayPageQuery {
  @ApiPropertyOptional({ example: '50', description: 'Differing holdings per page: 0 (the summary alone) to 500, default 50' })
  @IsOptional()
  @IsString()
  limit?: string;

  @ApiPropertyOptional({ description: "The previous page's `page.nextCursor`; absent for the first page" })
  @IsOptional()
  @IsString()
  cursor?: string;
}

/**
 * R100, R110: the latest replay's summary with one page of its differing holdings, never all of them at once;
 * `page` is the cursor's (null when paged by number), `differences` the count and the page by number (null while the
 * replay has no report; its `page` null past the first page of a cursor walk).
 */
export type PagedReplayJob = Omit<PolicyReplayJob, 'report'> & {
  report: (Omit<WhatIfReport, 'holdings'> & { holdings: WhatIfReport['holdings'] }) | null;
  page: PageInfo | null;
  differences: { total: number; page: number | null; pageSize: number } | null;
};

export class PolicyReplayParams {
  @ApiProperty()
  @IsUUID()
  id!: string;
}

export interface PolicyReplayJob {
  id: string;
  state: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  /** In events (#12.12): `percent` is eventsRead of eventsTotal; position and head are the store's, for reference. */
  progress: ReplayProgress;
  error: string | null;
  report: WhatIfReport | null;
}

/** Replays run in the background of this process; the last ones are kept for their reports. */
@Injectable()
export class PolicyReplayJobs {
  private readonly logger = new Logger('PolicyReplay');
  private readonly jobs = new Map<string, PolicyReplayJob>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly policies: PolicyRegistry,
  ) {}

  start(policy: unknown, asOf: Date | undefined): PolicyReplayJob {
    const live = this.policies.book();
    let candidate;
    try {
      candidate = candidateBook(policy, live);
    } catch (error) {
      throw new ValidationProblem(
        [{ field: 'policy', message: error instanceof Error ? error.message : 'invalid policy' }],
        'The candidate policy is invalid',
      );
    }
    const job: PolicyReplayJob = {
      id: randomUUID(),
      state: 'running',
      startedAt: this.clock.now().toISOString(),
      finishedAt: null,
      progress: replayProgress(0, 0, 0, 0),
      error: null,
      report: null,
    };
    this.jobs.set(job.id, job);
    while (this.jobs.size > 20) this.jobs.delete(this.jobs.keys().next().value as string);
    runWhatIf({
      store: this.store,
      live,
      candidate,
      catalog: this.catalog,
      asOf: asOf ?? this.clock.now(),
      yieldBetweenPages: true,
      onProgress: (progress) => (job.progress = progress),
    })
      .then((report) => {
        job.report = report;
        job.state = 'done';
      })
      .catch((error: unknown) => {
        job.state = 'failed';
        job.error = error instanceof Error ? error.message : String(error);
        this.logger.error(`replay ${job.id} failed: ${job.error}`);
      })
      .finally(() => (job.finishedAt = this.clock.now().toISOString()));
    return job;
  }

  get(id: string): PolicyReplayJob | undefined {
    return this.jobs.get(id);
  }

  /** The newest finished report, for the program's dashboard page. */
  latest(): PolicyReplayJob | undefined {
    return [...this.jobs.values()].reverse().find((job) => job.state === 'done');
  }
}

/**
 * What a GET answers (#23.4, R110): the job with its report's summary first (counts and totals, whole), and the
 * differing holdings one page at a time, in holdingId order; `page.nextCursor` fetches the next. A report of a
 * million holders thus never travels whole; `limit=0` is the summary alone (the program page's call).
 */
export interface PolicyReplayJobPage extends PolicyReplayJob {
  page: PageInfo | null;
}

export const REPLAY_PAGE = { defaultLimit: 50, maxLimit: 500, minLimit: 0 };

function paged(job: PolicyReplayJob, limit: string | undefined, cursor: string | undefined): PolicyReplayJobPage {
  const request = parsePage(limit, cursor, REPLAY_PAGE);
  if (!job.report) return { ...job, page: null };
  const { items, page } = pageOfSorted(job.report.holdings, (difference) => difference.holdingId, request);
  return { ...job, report: { ...job.report, holdings: items }, page };
}

const LIMIT_QUERY = {
  name: 'limit',
  required: false,
  description: 'Differing holdings per page: 0 (the summary alone) to 500, default 50; over 500 is 400 VALIDATION_FAILED',
};
const CURSOR_QUERY = { name: 'cursor', required: false, description: "The previous page's `page.nextCursor`; absent for the first page" };

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/policy-replays')
export class PolicyReplaysController {
  constructor(private readonly jobs: PolicyReplayJobs) {}

  @Post()
  @HttpCode(202)
  @Roles('admin')
  start(@Body() body: StartPolicyReplayDto): PolicyReplayJob {
    return this.jobs.start(body.policy, body.asOf ? new Date(body.asOf) : undefined);
  }

  @Get('latest')
  @Roles('admin')
  @ApiOperation({
    summary: 'The newest finished replay: its summary, and one page of the differing holdings',
    description:
      "By cursor (`limit` 0-500, default 50, `cursor`: `page.nextCursor`, R110) or by page number (`page`, `pageSize` 1-200, R100, for the console's pager); `differences.total` counts them all.",
  })
  latest(@Query() query: ReplayLatestQuery): PagedReplayJob {
    parsePage(query.limit, query.cursor, REPLAY_PAGE);
    const byNumber = query.page !== undefined || query.pageSize !== undefined;
    if (byNumber && (query.limit !== undefined || query.cursor !== undefined))
      throw new ValidationProblem([{ field: 'page', message: 'page and pageSize do not go with limit and cursor' }]);
    const job = this.jobs.latest();
    if (!job) throw new NotFoundException('No what-if replay has finished yet');
    if (!job.report) return { ...job, page: null, differences: null };
    const total = job.report.holdings.length;
    if (!byNumber) {
      const cursorPage = paged(job, query.limit, query.cursor);
      const limit = cursorPage.page?.limit ?? 50;
      return { ...cursorPage, differences: { total, page: query.cursor === undefined ? 1 : null, pageSize: limit } };
    }
    const page = Number(query.page ?? 1);
    const pageSize = Number(query.pageSize ?? 50);
    const holdings = [...job.report.holdings].sort((a, b) => (a.holdingId < b.holdingId ? -1 : a.holdingId > b.holdingId ? 1 : 0));
    return {
      ...job,
      report: { ...job.report, holdings: holdings.slice((page - 1) * pageSize, page * pageSize) },
      page: null,
      differences: { total, page, pageSize },
    };
  }

  @Get(':id')
  @Roles('admin')
  @ApiOperation({ summary: 'One replay: progress while running; then its summary, and the differing holdings by page (`limit`, `cursor`)' })
  @ApiQuery(LIMIT_QUERY)
  @ApiQuery(CURSOR_QUERY)
  get(@Param() params: PolicyReplayParams, @Query('limit') limit?: string, @Query('cursor') cursor?: string): PolicyReplayJobPage {
    parsePage(limit, cursor, REPLAY_PAGE);
    const job = this.jobs.get(params.id);
    if (!job) throw new NotFoundException(`No policy replay ${params.id}`);
    return paged(job, limit, cursor);
  }
}
