import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CommandMetaFromRequest, RequestMeta, Roles } from '@recert/kernel';
import { RosterExportWrite } from '@recert/renewals';
import { CommandBus } from '@nestjs/cqrs';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ConsistencyQuery, ReadConsistency } from '../runtime/consistency';
import { ROSTER_SORTS, ROSTER_STATUSES, RosterItem, RosterQueries, RosterSort, RosterStatus } from './roster.queries';

export class RosterFilterQuery extends ConsistencyQuery {
  @ApiPropertyOptional({ example: 'Ada Lovelace', description: 'A profile id, an e-mail, or words of a name (whole words, R98)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ enum: ROSTER_STATUSES })
  @IsOptional()
  @IsIn(ROSTER_STATUSES, { message: `status: one of ${ROSTER_STATUSES.join(', ')}` })
  status?: RosterStatus;

  @ApiPropertyOptional({ example: 'azure-administrator-associate' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'certification: a certification code' })
  certification?: string;
}

export class RosterQuery extends RosterFilterQuery {
  @ApiPropertyOptional({ enum: ROSTER_SORTS, description: 'default expires (soonest first, never-expiring last)' })
  @IsOptional()
  @IsIn(ROSTER_SORTS, { message: `sort: one of ${ROSTER_SORTS.join(', ')}` })
  sort?: RosterSort;

  @ApiPropertyOptional({ example: '1' })
  @IsOptional()
  @IsString()
  @Matches(/^[1-9]\d{0,5}$/, { message: 'page: a whole number from 1' })
  page?: string;

  @ApiPropertyOptional({ example: '50', description: '1-100, default 25' })
  @IsOptional()
  @IsString()
  @Matches(/^(?:[1-9]\d?|100)$/, { message: 'pageSize: a whole number from 1 to 100' })
  pageSize?: string;
}

const CSV_HEADER = [
  'profileId',
  'displayName',
  'email',
  'certificationCode',
  'certification',
  'status',
  'earnedAt',
  'expiresAt',
  'suspendedUntil',
];

/** A CSV cell; one starting like a formula is quoted with a leading apostrophe so a spreadsheet shows it as text. */
function cell(value: string | null): string {
  let text = value ?? '';
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** #27.2 find anyone: the roster with names (admins), searched and paged, and its whole CSV streamed. */
@ApiTags('queries')
@ApiBearerAuth()
@Controller('reports')
export class RosterController {
  constructor(
    private readonly roster: RosterQueries,
    private readonly consistency: ReadConsistency,
    private readonly bus: CommandBus,
  ) {}

  @Get('roster')
  @Roles('admin')
  @ApiOperation({ summary: 'Every holding with its holder (name, e-mail), searched (R98), filtered by any status, sorted, paged' })
  async page(@Query() query: RosterQuery): Promise<Awaited<ReturnType<RosterQueries['page']>>> {
    await this.consistency.await(query, ['holdings']);
    return this.roster.page(
      { q: query.q?.trim() || undefined, status: query.status, certification: query.certification },
      query.sort ?? 'expires',
      Number(query.page ?? 1),
      Number(query.pageSize ?? 25),
    );
  }

  @Get('roster.csv')
  @Roles('admin')
  @ApiOperation({
    summary: 'The whole roster (or the filtered part) as CSV, streamed in holding order; the export is recorded (RosterExported, R99)',
  })
  async csv(@Query() query: RosterFilterQuery, @Res() response: Response, @CommandMetaFromRequest() meta: RequestMeta): Promise<void> {
    await this.consistency.await(query, ['holdings']);
    const filter = { q: query.q?.trim() || undefined, status: query.status, certification: query.certification };
    const filters = Object.fromEntries(Object.entries(filter).filter((entry): entry is [string, string] => entry[1] !== undefined));
    // Recorded before the first row leaves: who took the names is in the log even if the download is cut short.
    await this.bus.execute(
      new RosterExportWrite(
        meta.commandId,
        { type: 'RecordRosterExport', data: { exportId: meta.commandId, exportedBy: meta.actor, filters } },
        meta,
      ),
    );
    response.status(200).type('text/csv; charset=utf-8');
    response.setHeader('Content-Disposition', 'attachment; filename="recert-roster.csv"');
    response.setHeader('Cache-Control', 'no-store');
    const write = async (text: string): Promise<void> => {
      if (!response.write(text)) await new Promise((resolve) => response.once('drain', resolve));
    };
    await write(`\uFEFF${CSV_HEADER.join(',')}\r\n`);
    for await (const items of this.roster.stream(filter)) {
      if (response.destroyed) return;
      await write(items.map((item: RosterItem) => `${this.line(item)}\r\n`).join(''));
    }
    response.end();
  }

  private line(item: RosterItem): string {
    return [
      item.profileId,
      item.displayName,
      item.email,
      item.code,
      this.roster.certificationName(item.code),
      item.status,
      item.earnedAt,
      item.expiresAt,
      item.suspendedUntil,
    ]
      .map(cell)
      .join(',');
  }
}
