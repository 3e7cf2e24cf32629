import { Controller, Get, Header, Headers, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { assertMayAccessProfile, CLOCK, Clock, CurrentPrincipal, Principal, Roles } from '@recert/kernel';
import { ProfileParams } from '@recert/renewals';
import { canonicalTimeZone, DomainError, PREFERENCE_LANGUAGES } from '@recert/domain';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { HolderPreferences } from '../i18n/holder-preferences';
import { Language, languageOfAcceptLanguage, zoneOr } from '../i18n/holder-i18n';
import { DashboardQueries } from './dashboard.queries';
import { holdingCalendar } from './holding-calendar';

const CALENDAR_LANGUAGES = [...PREFERENCE_LANGUAGES];

export class CalendarParams extends ProfileParams {
  @ApiProperty({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$', example: 'azure-administrator-associate' }) // R74: declared in OpenAPI
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'code: a certification code' })
  code!: string;
}

export class CalendarQuery {
  @ApiPropertyOptional({
    enum: CALENDAR_LANGUAGES,
    description: "Language of the events (default: the holder's preference, else Accept-Language, else en)",
  })
  @IsOptional()
  @IsIn(CALENDAR_LANGUAGES, { message: `lang: one of ${CALENDAR_LANGUAGES.join(', ')}` })
  lang?: Language;

  @ApiPropertyOptional({
    example: 'America/Los_Angeles',
    description: "IANA time zone the whole-day dates are taken in (default: the holder's preference, else UTC)",
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  tz?: string;
}

/**
 * A holding's renewal window and last day as an RFC 5545 calendar, so a holder's own calendar reminds them: in the
 * holder's language and time zone (their preferences, #26.5), only what still lies ahead.
 */
@ApiTags('queries')
@ApiBearerAuth()
@Controller('certification-profiles')
export class CalendarController {
  constructor(
    private readonly queries: DashboardQueries,
    private readonly preferences: HolderPreferences,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get(':profileId/certifications/:code/calendar.ics')
  @Roles('candidate', 'support', 'admin')
  @ApiProduces('text/calendar')
  @Header('Content-Type', 'text/calendar; charset=utf-8')
  async calendar(
    @Param() params: CalendarParams,
    @Query() query: CalendarQuery,
    @CurrentPrincipal() principal: Principal,
    @Headers('accept-language') acceptLanguage: string | undefined,
  ): Promise<string> {
    assertMayAccessProfile(principal, params.profileId);
    const dashboard = await this.queries.dashboard(params.profileId);
    if (!dashboard) throw new DomainError('PROFILE_NOT_FOUND', `No certification profile ${params.profileId}`);
    const cert = dashboard.certifications.find((c) => c.code === params.code);
    if (!cert) throw new DomainError('HOLDING_NOT_FOUND', `Profile ${params.profileId} holds no ${params.code}`);
    const asked = query.tz === undefined ? undefined : canonicalTimeZone(query.tz);
    if (query.tz !== undefined && !asked) throw new DomainError('VALIDATION_FAILED', 'tz: an IANA time zone, such as Asia/Taipei');
    const chosen = await this.preferences.of(params.profileId);
    const language = query.lang ?? chosen.language ?? languageOfAcceptLanguage(acceptLanguage);
    const url = cert.renewalAssessmentUrl?.replaceAll('{code}', cert.code).replaceAll('{language}', language) ?? null;
    return holdingCalendar(
      {
        profileId: params.profileId,
        code: cert.code,
        cycle: cert.cycle,
        name: cert.names[language] ?? cert.name,
        renewalWindowOpensAt: cert.renewalWindowOpensAt,
        expiresAt: cert.expiresAt,
        renewalUrl: url,
      },
      // The page asks in the zone it shows (the holder's preference, else the browser's).
      { language, timeZone: asked ?? zoneOr(chosen.timeZone), now: this.clock.now() },
    );
  }
}
