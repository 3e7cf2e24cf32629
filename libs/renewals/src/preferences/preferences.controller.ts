import { CommandBus } from '@nestjs/cqrs';
import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { assertMayAccessProfile, CommandMetaFromRequest, CurrentPrincipal, Principal, RequestMeta, Roles } from '@recert/kernel';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { PREFERENCE_LANGUAGES, ProfilePreferences, REMINDER_CHOICES, ReminderChoice } from '@recert/domain';
import { ProfileWrite } from '../command-handling/aggregate-writes';
import { ProfileParams } from '../profile/profile.params';
import { ProfileReader } from '../profile/profile.reader';

export class PreferencesDto {
  @ApiProperty({ enum: PREFERENCE_LANGUAGES, example: 'zh-Hant', description: 'BCP 47, compared without regard to case' })
  @IsString()
  @MaxLength(35)
  @Matches(/^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/, { message: 'language: a BCP 47 tag (en, zh-Hant or ja)' })
  language!: string;

  @ApiProperty({ example: 'Asia/Taipei', description: 'An IANA time zone the runtime knows (checked with Intl)' })
  @IsString()
  @MaxLength(64)
  timeZone!: string;

  @ApiProperty({ enum: REMINDER_CHOICES, description: 'Every renewal reminder, or only the last before expiry (#14.4)' })
  @IsIn([...REMINDER_CHOICES], { message: `reminders: one of ${REMINDER_CHOICES.join(', ')}` })
  reminders!: ReminderChoice;
}

export interface PreferencesView {
  profileId: string;
  /** null until chosen: the pages then go by Accept-Language and the browser's zone. */
  language: ProfilePreferences['language'] | null;
  timeZone: string | null;
  reminders: ReminderChoice;
  /** The global position of the answer's write (PUT), for `consistentWith`; 0 when nothing changed or on GET. */
  position: number;
}

/**
 * The holder's preferences (#15.3, #14.4), kept on the profile stream as `ProfilePreferencesChanged` (the actor in its
 * metadata) and read back from that stream, so a read after a write always sees it.
 */
@ApiTags('commands')
@ApiBearerAuth()
@Controller('certification-profiles')
export class PreferencesController {
  constructor(
    private readonly bus: CommandBus,
    private readonly profiles: ProfileReader,
  ) {}

  @Get(':profileId/preferences')
  @Roles('candidate', 'support', 'admin')
  @ApiOperation({ summary: "The holder's language, time zone and reminder choice (null language/zone until chosen)" })
  async get(@Param() params: ProfileParams, @CurrentPrincipal() principal: Principal): Promise<PreferencesView> {
    assertMayAccessProfile(principal, params.profileId);
    const profile = await this.profiles.active(params.profileId);
    return viewOf(profile.profileId, profile.preferences, 0);
  }

  @Put(':profileId/preferences')
  @Roles('candidate', 'support', 'admin')
  @ApiOperation({
    summary: "Set the holder's language (en, zh-Hant, ja), time zone (IANA) and reminders (all, last-only)",
    description: 'Records ProfilePreferencesChanged v1 on the profile stream, with the actor; the same values again record nothing.',
  })
  async put(
    @Param() params: ProfileParams,
    @Body() body: PreferencesDto,
    @CurrentPrincipal() principal: Principal,
    @CommandMetaFromRequest() meta: RequestMeta,
  ): Promise<PreferencesView> {
    assertMayAccessProfile(principal, params.profileId);
    const outcome = await this.bus.execute(
      new ProfileWrite(
        params.profileId,
        { type: 'SetPreferences', data: { language: body.language, timeZone: body.timeZone, reminders: body.reminders } },
        meta,
      ),
    );
    // The state after the decision: what was asked, canonically spelled (or what the stream held, when unchanged).
    const state = outcome.state;
    return viewOf(params.profileId, state.status === 'active' ? state.preferences : undefined, outcome.position);
  }
}

function viewOf(profileId: string, preferences: ProfilePreferences | undefined, position: number): PreferencesView {
  return {
    profileId,
    language: preferences?.language ?? null,
    timeZone: preferences?.timeZone ?? null,
    reminders: preferences?.reminders ?? 'all',
    position,
  };
}
