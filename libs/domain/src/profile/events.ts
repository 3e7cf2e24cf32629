import { eventList } from '@recert/kernel/pure';
import type { ImportSource } from '../holding';

/**
 * A certification profile, stream `profile-<profileId>`. Personal data (name, e-mail) is sealed with the
 * profile's own key so that erasing the key erases it from every copy of the log (crypto-shredding).
 */
export type SealedData = { keyId: string; iv: string; tag: string; ciphertext: string };
export type AccountType = 'personal' | 'work';

export type CertificationProfileCreated = {
  type: 'CertificationProfileCreated';
  data: {
    profileId: string;
    accountId: string;
    accountType: AccountType;
    createdAt: string;
    personalData: SealedData;
    /** R39: created by a bulk import, from this source (#14.3). */
    importedFrom?: ImportSource;
  };
};
export type ProfilesLinked = {
  type: 'ProfilesLinked';
  data: {
    profileId: string;
    learnProfileId: string;
    accountId: string;
    linkedAt: string;
    reason: 'request' | 'merge';
    /** Support linked on the holder's behalf, and why (API.md, Authentication). */
    supportReason?: string;
  };
};
/** Support released a wrongly linked learn profile (#16.2), or a merge could not keep it (R11a): the profile is unlinked. */
export type LearnProfileUnlinked = {
  type: 'LearnProfileUnlinked';
  data: { profileId: string; learnProfileId: string; reason: string; unlinkedAt: string };
};
/**
 * What becomes of the source's learn profile link in a merge (R11a): it follows the source into the target only
 * when the target is a personal profile of the same account (the learn profile's, R11) with no other link.
 */
export type MergeLinkPlan = { learnProfileId: string; action: 'transfer' | 'release'; reason: string };
/** The steps of a merge, in order, recorded before the first: a crash leaves them for the completer. */
export const MERGE_STEPS = ['close-source', 'account', 'holdings', 'learn-profile-link', 'record'] as const;
/** On the target, before any step: a merge is under way; CertificationProfilesMerged completes it (#16.3). */
export type ProfileMergeStarted = {
  type: 'ProfileMergeStarted';
  data: {
    profileId: string;
    sourceProfileId: string;
    mergeId: string;
    steps: string[];
    link: MergeLinkPlan | null;
    startedAt: string;
  };
};
/** On the target: the source's holdings moved here (R12); the merge is complete. */
export type CertificationProfilesMerged = {
  type: 'CertificationProfilesMerged';
  data: { profileId: string; sourceProfileId: string; mergeId: string; holdings: string[]; mergedAt: string };
};
/** On the source: closed by a merge; it refuses every command from now on (R12). */
export type CertificationProfileClosed = {
  type: 'CertificationProfileClosed';
  data: {
    profileId: string;
    accountId: string;
    mergedInto: string;
    mergeId: string;
    linkedLearnProfileId: string | null;
    closedAt: string;
  };
};

/** The languages the holder's pages and messages are written in (BCP 47; compared without regard to case). */
export const PREFERENCE_LANGUAGES = ['en', 'zh-Hant', 'ja'] as const;
export type PreferenceLanguage = (typeof PREFERENCE_LANGUAGES)[number];
/** Which renewal reminders the holder wants: every one, only the last before expiry (#14.4), or none (R80, #29). */
export const REMINDER_CHOICES = ['all', 'last-only', 'none'] as const;
export type ReminderChoice = (typeof REMINDER_CHOICES)[number];
export type ProfilePreferences = { language: PreferenceLanguage; timeZone: string; reminders: ReminderChoice };

/** The holder's preferences, set by the holder or support (the actor is in the metadata); v1 (#15, #14.4). */
export type ProfilePreferencesChanged = {
  type: 'ProfilePreferencesChanged';
  /** `reason`: why, when not set on the preferences page (R80: the one-click unsubscribe of a message names it). */
  data: ProfilePreferences & { profileId: string; changedAt: string; reason?: string };
};

/** The supported language a BCP 47 tag names, compared case-insensitively (`ZH-hant` is `zh-Hant`), or undefined. */
export function preferenceLanguageOf(tag: string): PreferenceLanguage | undefined {
  return PREFERENCE_LANGUAGES.find((language) => language.toLowerCase() === tag.toLowerCase());
}

/**
 * The IANA zone's canonical spelling when Intl knows it (`asia/taipei` is `Asia/Taipei`), else undefined. Intl is the
 * runtime's own time-zone database, not IO: the answer depends on the tag alone.
 */
export function canonicalTimeZone(zone: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/.test(zone)) return undefined;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** The person's name and e-mail were erased (their key destroyed): a fact without personal data. */
export type PersonalDataErased = { type: 'PersonalDataErased'; data: { profileId: string; erasedAt: string; reason: string } };

export type ProfileEvent =
  | CertificationProfileCreated
  | ProfilesLinked
  | LearnProfileUnlinked
  | ProfileMergeStarted
  | CertificationProfilesMerged
  | CertificationProfileClosed
  | PersonalDataErased
  | ProfilePreferencesChanged;
/** Every profile event type, once: checked against the union both ways (missing or unknown names fail to compile). */
export const PROFILE_EVENTS = eventList<ProfileEvent>({
  CertificationProfileCreated: true,
  ProfilesLinked: true,
  LearnProfileUnlinked: true,
  ProfileMergeStarted: true,
  CertificationProfilesMerged: true,
  CertificationProfileClosed: true,
  PersonalDataErased: true,
  ProfilePreferencesChanged: true,
} as const satisfies Record<ProfileEvent['type'], true>);
export const PROFILE_EVENT_TYPES = PROFILE_EVENTS.types;
