import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { assertMayAccessProfile, CurrentPrincipal, Principal, Roles } from '@recert/kernel';
import { ProfileParams } from '@recert/renewals';
import { DomainError } from '@recert/domain';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import icalGenerator, { ICalCalendarMethod } from 'ical-generator';
import { DashboardQueries } from './dashboard.queries';

const WORDS = {
  en: { opens: 'Renewal window opens: {name}', expires: '{name} expires', renew: 'Renew before this date: {url}' },
  'zh-Hant': { opens: '續期期間開始：{name}', expires: '{name} 到期', renew: '請於此日前完成續期：{url}' },
  ja: { opens: '更新期間の開始: {name}', expires: '{name} の有効期限', renew: 'この日までに更新してください: {url}' },
} as const;
type CalendarLanguage = keyof typeof WORDS;

export class CalendarParams extends ProfileParams {
  @ApiProperty({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$', example: 'azure-administrator-associate' }) // R74: declared in OpenAPI
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'code: a certification code' })
  code!: string;
}

export class CalendarQuery {
  @ApiPropertyOptional({ enum: Object.keys(WORDS), description: 'Language of the event titles (default en)' })
  @IsOptional()
  @IsIn(Object.keys(WORDS), { message: `lang: one of ${Object.keys(WORDS).join(', ')}` })
  lang?: CalendarLanguage;
}

/** A holding's renewal window and expiry as an RFC 5545 calendar, so a holder's own calendar reminds them. */
@ApiTags('queries')
@ApiBearerAuth()
@Controller('certification-profiles')
export class CalendarController {
  constructor(private readonly queries: DashboardQueries) {}

  @Get(':profileId/certifications/:code/calendar.ics')
  @Roles('candidate', 'support', 'admin')
  @ApiProduces('text/calendar')
  @Header('Content-Type', 'text/calendar; charset=utf-8')
  async calendar(
    @Param() params: CalendarParams,
    @Query() query: CalendarQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<string> {
    assertMayAccessProfile(principal, params.profileId);
    const dashboard = await this.queries.dashboard(params.profileId);
    if (!dashboard) throw new DomainError('PROFILE_NOT_FOUND', `No certification profile ${params.profileId}`);
    const cert = dashboard.certifications.find((c) => c.code === params.code);
    if (!cert) throw new DomainError('HOLDING_NOT_FOUND', `Profile ${params.profileId} holds no ${params.code}`);
    const language = query.lang ?? 'en';
    const words = WORDS[language];
    const name = cert.names[language] ?? cert.name;
    const fill = (text: string, values: Record<string, string>): string =>
      text.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? '');
    const url = cert.renewalAssessmentUrl?.replaceAll('{code}', cert.code).replaceAll('{language}', language) ?? '';
    const calendar = icalGenerator({ name: `recert: ${name}`, prodId: { company: 'recert', product: 'dashboard' } });
    calendar.method(ICalCalendarMethod.PUBLISH);
    // Stable UIDs: importing the file again updates the same events instead of adding copies.
    const uid = (what: string): string => `${what}.${cert.cycle}.${params.code}.${params.profileId}@recert`;
    if (cert.renewalWindowOpensAt) {
      calendar.createEvent({
        id: uid('window'),
        start: new Date(cert.renewalWindowOpensAt),
        allDay: true,
        summary: fill(words.opens, { name }),
        description: url ? fill(words.renew, { url }) : undefined,
        url: url || undefined,
      });
    }
    if (cert.expiresAt) {
      calendar.createEvent({
        id: uid('expiry'),
        start: new Date(cert.expiresAt),
        allDay: true,
        summary: fill(words.expires, { name }),
        description: url ? fill(words.renew, { url }) : undefined,
        url: url || undefined,
        alarms: [{ trigger: 7 * 24 * 3600 }],
      });
    }
    return calendar.toString();
  }
}
