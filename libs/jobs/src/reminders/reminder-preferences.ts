import type { ReminderPreference } from '@recert/domain';

/** What a holder chose about reminders (#14.4): the language and time zone of the message, and how many to get. */
export interface HolderReminderPreferences {
  /** BCP 47 tag; a catalog is looked up by the tag, then its language, then `en`. */
  language: string;
  /** IANA time zone the dates of the message are written in. */
  timeZone: string;
  reminders: ReminderPreference;
}

export const REMINDER_PREFERENCES = Symbol('REMINDER_PREFERENCES');

/**
 * The port the reminder dispatcher asks; the holder-preferences read model (another branch) will implement it.
 * Until then every holder gets the defaults.
 */
export interface ReminderPreferences {
  forProfile(profileId: string): Promise<HolderReminderPreferences>;
}

export const DEFAULT_REMINDER_PREFERENCES: HolderReminderPreferences = { language: 'en', timeZone: 'UTC', reminders: 'all' };

export class DefaultReminderPreferences implements ReminderPreferences {
  forProfile(): Promise<HolderReminderPreferences> {
    return Promise.resolve(DEFAULT_REMINDER_PREFERENCES);
  }
}
