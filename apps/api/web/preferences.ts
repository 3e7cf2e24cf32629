/**
 * The holder's preferences kept by the server (#15.3): language, time zone and reminders. Only a holder signed in to
 * their own profile has them; support and admins viewing a holder keep their own language and zone.
 */
import { claims, get, post, Preferences } from './api';
import { chooseLanguage, useLanguage, useTimeZone } from './i18n';

let current: Preferences | null = null;

export function preferences(): Preferences | null {
  return current;
}

function ownProfile(): string | null {
  const who = claims();
  const live = who?.exp === undefined || who.exp * 1000 > Date.now();
  return who?.profileId && live ? who.profileId : null;
}

/** Reads the holder's preferences (if any) and applies them: the zone, and the language ahead of the browser's. */
export async function applyPreferences(): Promise<void> {
  const profileId = ownProfile();
  current = profileId
    ? await get<Preferences>(`/certification-profiles/${encodeURIComponent(profileId)}/preferences`).catch(() => null)
    : null;
  useTimeZone(current?.timeZone ?? null);
  await useLanguage(chooseLanguage(current?.language));
}

/** Saves a change for the signed-in holder (nothing for other visitors) and applies what the server kept. */
export async function savePreferences(change: Partial<Pick<Preferences, 'language' | 'timeZone' | 'reminders'>>): Promise<boolean> {
  const profileId = ownProfile();
  if (!profileId) return false;
  const body = {
    language: change.language ?? current?.language ?? chooseLanguage(),
    timeZone: change.timeZone ?? current?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    reminders: change.reminders ?? current?.reminders ?? 'all',
  };
  // R107: a switch that changes nothing kept (the same language again) sends nothing, so writes no history line.
  if (current && current.language === body.language && current.timeZone === body.timeZone && current.reminders === body.reminders)
    return false;
  current = await post<Preferences>(`/certification-profiles/${encodeURIComponent(profileId)}/preferences`, body, 'PUT');
  useTimeZone(current.timeZone);
  return true;
}
