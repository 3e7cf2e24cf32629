import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import {
  CERTIFICATION_CODE,
  CommandMetaFromRequest,
  PageInfo,
  pageOfSorted,
  parsePage,
  PROFILE_ID,
  RequestMeta,
  Roles,
  ValidationProblem,
} from '@recert/kernel';
import { MAX_GRANTED_ATTEMPTS, OVERRIDE_KINDS, OverrideKind, OverrideStatus, OverrideTarget } from '@recert/domain';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { ReasonField } from '../profile/id-fields';
import { CommandResult } from '../renewals.tokens';
import { OverrideDryRun, OverrideRequests } from './override-requests.service';
import { OverrideRequestView, OverrideView } from './override-view';

const DATE_OR_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;
const STATUSES: readonly OverrideStatus[] = ['pending', 'approved', 'completed', 'rejected', 'expired'];

export class OverrideFilterDto {
  @ApiProperty({ example: 'azure-administrator-associate', pattern: CERTIFICATION_CODE.source })
  @IsString()
  @Matches(CERTIFICATION_CODE, { message: 'target.filter.certificationCode: lower-case letters, digits and dashes' })
  certificationCode!: string;

  @ApiProperty({ example: '2027-01-01', description: 'Inclusive: an ISO 8601 date (its midnight UTC) or instant (R28)' })
  @IsString()
  @Matches(DATE_OR_INSTANT, { message: 'target.filter.expiresFrom: an ISO 8601 date or instant' })
  expiresFrom!: string;

  @ApiProperty({ example: '2027-01-31T23:59:59Z', description: 'Inclusive: an ISO 8601 date (its midnight UTC) or instant (R28)' })
  @IsString()
  @Matches(DATE_OR_INSTANT, { message: 'target.filter.expiresTo: an ISO 8601 date or instant' })
  expiresTo!: string;
}

/** One holding (`profileId` and `certificationCode`), or, for `bulk-extend-expiry`, a `filter`. */
export class OverrideTargetDto {
  @ApiPropertyOptional({ example: 'cp-1', pattern: PROFILE_ID.source })
  @IsOptional()
  @IsString()
  @Matches(PROFILE_ID, { message: 'target.profileId: 1-64 letters, digits, _ or -' })
  profileId?: string;

  @ApiPropertyOptional({ example: 'azure-administrator-associate', pattern: CERTIFICATION_CODE.source })
  @IsOptional()
  @IsString()
  @Matches(CERTIFICATION_CODE, { message: 'target.certificationCode: lower-case letters, digits and dashes' })
  certificationCode?: string;

  @ApiPropertyOptional({ type: OverrideFilterDto, description: 'bulk-extend-expiry only: the holdings whose expiry lies in the range' })
  @IsOptional()
  @ValidateNested()
  @Type(() => OverrideFilterDto)
  filter?: OverrideFilterDto;
}

export class OverrideParamsDto {
  @ApiPropertyOptional({
    example: 'P3M',
    description: 'extend-expiry, bulk-extend-expiry, reopen-window: an ISO 8601 duration, at most the level validity (R23)',
  })
  @IsOptional()
  @IsString()
  @Length(2, 32)
  @Matches(DURATION, { message: 'params.by: an ISO 8601 duration such as P3M' })
  by?: string;

  @ApiPropertyOptional({ example: 1, description: `grant-attempts: 1 to ${MAX_GRANTED_ATTEMPTS} attempts free of the cooldown (R27)` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_GRANTED_ATTEMPTS)
  attempts?: number;
}

export class RequestOverrideDto {
  @ApiProperty({ enum: OVERRIDE_KINDS, example: 'extend-expiry' })
  @IsIn(OVERRIDE_KINDS, { message: `kind: one of ${OVERRIDE_KINDS.join(', ')}` })
  kind!: OverrideKind;

  @ApiProperty({ type: OverrideTargetDto })
  @ValidateNested()
  @Type(() => OverrideTargetDto)
  target!: OverrideTargetDto;

  @ApiPropertyOptional({ type: OverrideParamsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => OverrideParamsDto)
  params?: OverrideParamsDto;

  @ReasonField({ example: 'Exam platform outage 2027-01-10..12 (incident 881)' })
  reason!: string;

  @ApiPropertyOptional({ description: 'R29: answer the exact report of what approving it would do now, and store nothing' })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export class RejectOverrideDto {
  @ReasonField({ optional: true, example: 'The outage did not affect this program' })
  reason?: string;
}

export class OverrideIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id: an override request id' })
  id!: string;
}

export class OverrideListQuery {
  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES, { message: `status: one of ${STATUSES.join(', ')}` })
  status?: OverrideStatus;

  @ApiPropertyOptional({ example: '50', description: 'Requests per page, 1 to 500, default 50; over 500 is 400 VALIDATION_FAILED' })
  @IsOptional()
  @IsString()
  limit?: string;

  @ApiPropertyOptional({ description: "The previous page's `page.nextCursor`; absent for the first page (the oldest requests)" })
  @IsOptional()
  @IsString()
  cursor?: string;
}

/** Requests accumulate for the life of a program: the list is paged in log order (#23.5, R110). */
export const OVERRIDE_LIST_PAGE = { defaultLimit: 50, maxLimit: 500 };

/** The target as the decider takes it: the shape per kind is the decider's to check (R25). */
function targetOf(dto: OverrideTargetDto): OverrideTarget {
  const single = dto.profileId !== undefined || dto.certificationCode !== undefined;
  if (dto.filter && !single) return { filter: { ...dto.filter } };
  if (!dto.filter && dto.profileId !== undefined && dto.certificationCode !== undefined) {
    return { profileId: dto.profileId, certificationCode: dto.certificationCode };
  }
  throw new ValidationProblem(
    [{ field: 'target', message: 'either { profileId, certificationCode } or { filter: { certificationCode, expiresFrom, expiresTo } }' }],
    'The target is malformed',
  );
}

/** Overrides under four eyes (#14.1, R22-R29): admin only; the approver is never the requester. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiExtraModels(OverrideFilterDto)
@Controller('admin/override-requests')
@UseInterceptors(IdempotencyInterceptor)
export class OverrideRequestsController {
  constructor(
    private readonly overrides: OverrideRequests,
    private readonly view: OverrideView,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles('admin')
  @ApiOperation({
    summary: 'Request an override (201 { id, status: pending, … }); with dryRun: true, 200 and the report of what it would do (R29)',
  })
  async request(
    @Body() body: RequestOverrideDto,
    @CommandMetaFromRequest() meta: RequestMeta,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ): Promise<(OverrideRequestView & CommandResult) | OverrideDryRun> {
    const dryRun = body.dryRun === true;
    const answer = await this.overrides.request(
      { kind: body.kind, target: targetOf(body.target), params: { ...(body.params ?? {}) }, reason: body.reason },
      meta,
      dryRun,
    );
    // A dry run creates nothing.
    if (dryRun) response.status(200);
    return answer;
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Approve (another admin than the requester, else 403 FORBIDDEN); applies the effect and answers the report' })
  approve(@Param() params: OverrideIdParams, @CommandMetaFromRequest() meta: RequestMeta): Promise<OverrideRequestView & CommandResult> {
    return this.overrides.approve(params.id, meta);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Reject (another admin than the requester, else 403 FORBIDDEN)' })
  reject(
    @Param() params: OverrideIdParams,
    @Body() body: RejectOverrideDto,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<OverrideRequestView & CommandResult> {
    return this.overrides.reject(params.id, body.reason ?? null, meta);
  }

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'Override requests in log order, optionally of one status' })
  async list(@Query() query: OverrideListQuery): Promise<{ overrideRequests: OverrideRequestView[]; page: PageInfo }> {
    const request = parsePage(query.limit, query.cursor, OVERRIDE_LIST_PAGE);
    // The key is a request's ordinal in log order, which a later decision never moves (filtered by status or not).
    const all = (await this.view.list()).map((view, ordinal) => ({ view, ordinal }));
    const chosen = query.status ? all.filter((entry) => entry.view.status === query.status) : all;
    const { items, page } = pageOfSorted(chosen, (entry) => entry.ordinal, request);
    return { overrideRequests: items.map((entry) => entry.view), page };
  }

  @Get(':id')
  @Roles('admin')
  @ApiOperation({ summary: 'One override request, with its report once completed' })
  get(@Param() params: OverrideIdParams): Promise<OverrideRequestView> {
    return this.view.get(params.id);
  }
}
