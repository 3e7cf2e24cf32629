import type { ReminderPreference } from '@recert/domain';
import type { ProfileReader } from '@recert/renewals';

/** What a holder chose about reminders (#14.4): the language and time zone of the message, and how many to get. */
export interface HolderReminderPreferences {
  /** BCP 47 tag; templates are looked up by the tag, then its language, then MESSAGE_DEFAULT_LANGUAGE. Null: never chosen. */
  language: string | null;
  /** IANA time zone the dates of the message are written in. */
  timeZone: string;
  reminders: ReminderPreference;
}

export const REMINDER_PREFERENCES = Symbol('REMINDER_PREFERENCES');

/**
 * The port the reminder dispatcher asks: `ProfileReminderPreferences` in the apps, the defaults in isolated specs.
 */
export interface ReminderPreferences {
  forProfile(profileId: string): Promise<HolderReminderPreferences>;
}

/** A holder who never chose: the program's default language (MESSAGE_DEFAULT_LANGUAGE), UTC, every reminder. */
export const DEFAULT_REMINDER_PREFERENCES: HolderReminderPreferences = { language: null, timeZone: 'UTC', reminders: 'all' };

export class DefaultReminderPreferences implements ReminderPreferences {
  forProfile(): Promise<HolderReminderPreferences> {
    return Promise.resolve(DEFAULT_REMINDER_PREFERENCES);
  }
}

/**
 * The holder's own choice (#15.3's `ProfilePreferencesChanged` on the profile stream), read from the stream so a
 * reminder decided right after a change already follows it; a merged profile answers with its last active state,
 * and a holder who never chose gets the defaults.
 */
export class ProfileReminderPreferences implements ReminderPreferences {
  constructor(private readonly profiles: Pick<ProfileReader, 'state'>) {}

  async forProfile(profileId: string): Promise<HolderReminderPreferences> {
    const state = await this.profiles.state(profileId);
    const active = state.status === 'active' ? state : state.status === 'closed' ? state.last : null;
    const chosen = active?.preferences;
    return chosen ? { language: chosen.language, timeZone: chosen.timeZone, reminders: chosen.reminders } : DEFAULT_REMINDER_PREFERENCES;
  }
}
