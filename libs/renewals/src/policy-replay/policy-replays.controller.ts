import { Body, Controller, Get, HttpCode, Inject, Injectable, Logger, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { CLOCK, Clock, ISO_INSTANT, Roles, ValidationProblem } from '@recert/kernel';
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

/** R100: the latest replay's summary with one page of its differing holdings, never all of them at once. */
export type PagedReplayJob = Omit<PolicyReplayJob, 'report'> & {
  report: (Omit<WhatIfReport, 'holdings'> & { holdings: WhatIfReport['holdings'] }) | null;
  differences: { total: number; page: number; pageSize: number } | null;
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
    summary: 'The newest finished replay: its summary and totals, and one page of the differing holdings (R100)',
    description: '`report.holdings` is the page asked for (`page`, `pageSize` 1-200, default 50); `differences.total` counts them all.',
  })
  latest(@Query() query: ReplayPageQuery): PagedReplayJob {
    const job = this.jobs.latest();
    if (!job) throw new NotFoundException('No what-if replay has finished yet');
    const page = Number(query.page ?? 1);
    const pageSize = Number(query.pageSize ?? 50);
    if (!job.report) return { ...job, differences: null };
    const all = job.report.holdings;
    return {
      ...job,
      report: { ...job.report, holdings: all.slice((page - 1) * pageSize, page * pageSize) },
      differences: { total: all.length, page, pageSize },
    };
  }

  @Get(':id')
  @Roles('admin')
  get(@Param() params: PolicyReplayParams): PolicyReplayJob {
    const job = this.jobs.get(params.id);
    if (!job) throw new NotFoundException(`No policy replay ${params.id}`);
    return job;
  }
}
