import type { Decider } from '../decider';
import { DomainError } from '../errors';
import { profileStream } from '../streams';
import type { ImportSource } from '../holding';
import {
  AccountType,
  MERGE_STEPS,
  MergeLinkPlan,
  preferenceLanguageOf,
  PREFERENCE_LANGUAGES,
  canonicalTimeZone,
  PROFILE_EVENTS,
  ProfileEvent,
  ProfilePreferences,
  REMINDER_CHOICES,
  SealedData,
} from './events';

export * from './events';

export type ActiveProfile = {
  status: 'active';
  profileId: string;
  accountId: string;
  accountType: AccountType;
  linkedLearnProfileId: string | null;
  /** Merges recorded on this profile as target, so a resumed merge records none twice. */
  mergeIds: string[];
  /** Merges started into this profile and not yet complete: what the completer finishes after a crash. */
  pendingMerges?: { mergeId: string; sourceProfileId: string; link: MergeLinkPlan | null }[];
  /** Set once the holder or support chose them; until then the pages go by the browser's language and zone. */
  preferences?: ProfilePreferences;
  /** R39: the import source that created this profile, so a re-run of the same row imports nothing. */
  importedFrom?: ImportSource;
};
export type ProfileState =
  | { status: 'none' }
  | ActiveProfile
  | { status: 'closed'; mergedInto: string; mergeId: string; last: ActiveProfile };

export const initialProfileState: ProfileState = { status: 'none' };

export function evolveProfile(state: ProfileState, event: ProfileEvent): ProfileState {
  switch (event.type) {
    case 'CertificationProfileCreated':
      return {
        status: 'active',
        profileId: event.data.profileId,
        accountId: event.data.accountId,
        accountType: event.data.accountType,
        linkedLearnProfileId: null,
        mergeIds: [],
        ...(event.data.importedFrom ? { importedFrom: event.data.importedFrom } : {}),
      };
    case 'ProfilesLinked':
      return state.status === 'active' ? { ...state, linkedLearnProfileId: event.data.learnProfileId } : state;
    case 'LearnProfileUnlinked':
      return state.status === 'active' && state.linkedLearnProfileId === event.data.learnProfileId
        ? { ...state, linkedLearnProfileId: null }
        : state;
    case 'ProfileMergeStarted': {
      if (state.status !== 'active') return state;
      const { mergeId, sourceProfileId, link } = event.data;
      return { ...state, pendingMerges: [...(state.pendingMerges ?? []), { mergeId, sourceProfileId, link }] };
    }
    case 'CertificationProfilesMerged':
      return state.status === 'active'
        ? {
            ...state,
            mergeIds: [...state.mergeIds, event.data.mergeId],
            pendingMerges: (state.pendingMerges ?? []).filter((pending) => pending.mergeId !== event.data.mergeId),
          }
        : state;
    case 'CertificationProfileClosed':
      return state.status === 'active'
        ? { status: 'closed', mergedInto: event.data.mergedInto, mergeId: event.data.mergeId, last: state }
        : state;
    case 'PersonalDataErased':
      return state;
    case 'ProfilePreferencesChanged': {
      if (state.status !== 'active') return state;
      const { language, timeZone, reminders } = event.data;
      return { ...state, preferences: { language, timeZone, reminders } };
    }
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

export type ProfileCommand =
  | { type: 'CreateProfile'; data: { profileId: string; accountId: string; accountType: AccountType; personalData: SealedData } }
  /** R39: a holder migrated from a legacy system; a repeat of the same source imports nothing. */
  | {
      type: 'ImportProfile';
      data: { profileId: string; accountId: string; accountType: AccountType; personalData: SealedData; importedFrom: ImportSource };
    }
  | {
      type: 'LinkLearnProfile';
      data: {
        learnProfileId: string;
        accountId: string;
        accountType: AccountType;
        /** The certification profile the learn profile is linked to already, from its reservation stream (R11). */
        learnProfileLinkedTo: string | null;
        /** Active profiles of the account, checked against their own streams (R12). */
        activeProfilesOfAccount: number;
        reason: 'request' | 'merge';
        supportReason?: string;
      };
    }
  | { type: 'UnlinkLearnProfile'; data: { reason: string } }
  | { type: 'StartMerge'; data: { mergeId: string; source: ActiveProfile } }
  | { type: 'CloseForMerge'; data: { mergeId: string; targetProfileId: string } }
  | { type: 'RecordMerge'; data: { mergeId: string; sourceProfileId: string; holdings: string[] } }
  /** As asked: the language and zone are checked and spelled canonically here. */
  | { type: 'SetPreferences'; data: { language: string; timeZone: string; reminders: string } }
  /**
   * R80: the holder's one-click unsubscribe from reminders (RFC 8058): their preference becomes `none`, the language
   * and zone the messages used (`current`, the program defaults when never chosen) kept, `reason` naming the message.
   */
  | { type: 'UnsubscribeFromReminders'; data: { current: { language: string; timeZone: string }; reason: string } }
  /** `alreadyErased`: the vault has no key left for the subject (a repeat completes nothing new). */
  | { type: 'ErasePersonalData'; data: { profileId: string; reason: string; alreadyErased: boolean } };

export interface ProfileContext {
  now: Date;
}

/** PROFILE_NOT_FOUND / PROFILE_MERGED for any command but creation. */
export function assertActive(state: ProfileState, profileId?: string): ActiveProfile {
  if (state.status === 'none')
    throw new DomainError('PROFILE_NOT_FOUND', profileId ? `No certification profile ${profileId}` : 'No such certification profile');
  if (state.status === 'closed') {
    throw new DomainError('PROFILE_MERGED', `Profile ${state.last.profileId} was merged into ${state.mergedInto} (R12)`, {
      mergedInto: state.mergedInto,
    });
  }
  return state;
}

export function decideProfile(command: ProfileCommand, state: ProfileState, context: ProfileContext): ProfileEvent[] {
  const now = context.now.toISOString();
  switch (command.type) {
    case 'CreateProfile':
      if (state.status !== 'none') throw new DomainError('PROFILE_EXISTS', `Profile ${command.data.profileId} exists`);
      return [{ type: 'CertificationProfileCreated', data: { ...command.data, createdAt: now } }];
    case 'ImportProfile': {
      const source = command.data.importedFrom;
      const existing = state.status === 'active' ? state : state.status === 'closed' ? state.last : undefined;
      if (existing?.importedFrom?.system === source.system && existing.importedFrom.sourceId === source.sourceId) return [];
      if (state.status !== 'none')
        throw new DomainError('PROFILE_EXISTS', `Profile ${command.data.profileId} exists, not from ${source.system} (R39)`);
      return [{ type: 'CertificationProfileCreated', data: { ...command.data, createdAt: now } }];
    }
    case 'LinkLearnProfile': {
      const d = command.data;
      const profile = assertActive(state);
      if (d.accountType !== 'personal' || profile.accountType !== 'personal' || d.accountId !== profile.accountId) {
        throw new DomainError(
          'ACCOUNT_MISMATCH',
          'The learn profile must use the same personal account as the certification profile (R11)',
        );
      }
      if (d.learnProfileLinkedTo !== null && d.learnProfileLinkedTo !== profile.profileId) {
        throw new DomainError(
          'LEARN_PROFILE_ALREADY_LINKED',
          `Learn profile ${d.learnProfileId} is linked to another certification profile (R11)`,
        );
      }
      if (profile.linkedLearnProfileId === d.learnProfileId) return [];
      if (profile.linkedLearnProfileId !== null) {
        throw new DomainError(
          'PROFILE_ALREADY_LINKED',
          `Profile ${profile.profileId} is linked to learn profile ${profile.linkedLearnProfileId} (R11)`,
        );
      }
      if (d.reason === 'request' && d.activeProfilesOfAccount > 1) {
        throw new DomainError(
          'MULTIPLE_PROFILES_MUST_BE_MERGED',
          `Account ${profile.accountId} owns ${d.activeProfilesOfAccount} active profiles: support must merge them first (R12)`,
        );
      }
      return [
        {
          type: 'ProfilesLinked',
          data: {
            profileId: profile.profileId,
            learnProfileId: d.learnProfileId,
            accountId: profile.accountId,
            linkedAt: now,
            reason: d.reason,
            ...(d.supportReason !== undefined ? { supportReason: d.supportReason } : {}),
          },
        },
      ];
    }
    case 'UnlinkLearnProfile': {
      const profile = assertActive(state);
      if (profile.linkedLearnProfileId === null) {
        throw new DomainError('PROFILE_NOT_LINKED', `Profile ${profile.profileId} is not linked to a learn profile`);
      }
      return [
        {
          type: 'LearnProfileUnlinked',
          data: {
            profileId: profile.profileId,
            learnProfileId: profile.linkedLearnProfileId,
            reason: command.data.reason,
            unlinkedAt: now,
          },
        },
      ];
    }
    case 'StartMerge': {
      const target = assertActive(state);
      const { mergeId, source } = command.data;
      if (target.mergeIds.includes(mergeId) || target.pendingMerges?.some((pending) => pending.mergeId === mergeId)) return [];
      return [
        {
          type: 'ProfileMergeStarted',
          data: {
            profileId: target.profileId,
            sourceProfileId: source.profileId,
            mergeId,
            steps: [...MERGE_STEPS],
            link: mergeLinkPlan(source, target),
            startedAt: now,
          },
        },
      ];
    }
    case 'CloseForMerge': {
      if (state.status === 'closed' && state.mergeId === command.data.mergeId) return [];
      const profile = assertActive(state);
      return [
        {
          type: 'CertificationProfileClosed',
          data: {
            profileId: profile.profileId,
            accountId: profile.accountId,
            mergedInto: command.data.targetProfileId,
            mergeId: command.data.mergeId,
            linkedLearnProfileId: profile.linkedLearnProfileId,
            closedAt: now,
          },
        },
      ];
    }
    case 'RecordMerge': {
      const profile = assertActive(state);
      if (profile.mergeIds.includes(command.data.mergeId)) return [];
      return [{ type: 'CertificationProfilesMerged', data: { profileId: profile.profileId, ...command.data, mergedAt: now } }];
    }
    case 'SetPreferences': {
      const profile = assertActive(state);
      const preferences = validPreferences(command.data);
      const current = profile.preferences;
      if (
        current?.language === preferences.language &&
        current.timeZone === preferences.timeZone &&
        current.reminders === preferences.reminders
      )
        return [];
      return [{ type: 'ProfilePreferencesChanged', data: { profileId: profile.profileId, ...preferences, changedAt: now } }];
    }
    case 'UnsubscribeFromReminders': {
      const profile = assertActive(state);
      if (profile.preferences?.reminders === 'none') return [];
      const kept = profile.preferences ?? validPreferences({ ...command.data.current, reminders: 'none' });
      const preferences = { language: kept.language, timeZone: kept.timeZone, reminders: 'none' as const };
      return [
        {
          type: 'ProfilePreferencesChanged',
          data: { profileId: profile.profileId, ...preferences, changedAt: now, reason: command.data.reason.slice(0, 500) },
        },
      ];
    }
    case 'ErasePersonalData': {
      // A merged-away profile's person has the same right: only an unknown profile is refused.
      const { profileId, reason, alreadyErased } = command.data;
      if (state.status === 'none') throw new DomainError('PROFILE_NOT_FOUND', `No certification profile ${profileId}`);
      return alreadyErased ? [] : [{ type: 'PersonalDataErased', data: { profileId, erasedAt: now, reason } }];
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

/** VALIDATION_FAILED for a language recert does not write, a zone Intl does not know, or another reminder choice. */
function validPreferences(asked: { language: string; timeZone: string; reminders: string }): ProfilePreferences {
  const language = preferenceLanguageOf(asked.language);
  const timeZone = canonicalTimeZone(asked.timeZone);
  const reminders = REMINDER_CHOICES.find((choice) => choice === asked.reminders);
  if (!language) throw new DomainError('VALIDATION_FAILED', `language: one of ${PREFERENCE_LANGUAGES.join(', ')}`);
  if (!timeZone) throw new DomainError('VALIDATION_FAILED', 'timeZone: an IANA time zone, such as Asia/Taipei');
  if (!reminders) throw new DomainError('VALIDATION_FAILED', `reminders: one of ${REMINDER_CHOICES.join(', ')}`);
  return { language, timeZone, reminders };
}

/**
 * R11a: the source's learn profile link follows it into the target only when R11 still holds there (a personal
 * target of the learn profile's own account) and the target has no other link; otherwise it is released, so the
 * learn profile's owner can link it again, and the target keeps what it had.
 */
export function mergeLinkPlan(source: ActiveProfile, target: ActiveProfile): MergeLinkPlan | null {
  const learnProfileId = source.linkedLearnProfileId;
  if (learnProfileId === null) return null;
  if (target.accountType !== 'personal' || target.accountId !== source.accountId) {
    return {
      learnProfileId,
      action: 'release',
      reason: `R11a: merged into ${target.profileId} of another or a non-personal account, which may not use this learn profile`,
    };
  }
  if (target.linkedLearnProfileId !== null && target.linkedLearnProfileId !== learnProfileId) {
    return { learnProfileId, action: 'release', reason: `R11a: merged into ${target.profileId}, which has its own link` };
  }
  return { learnProfileId, action: 'transfer', reason: 'R11a: same personal account' };
}

export const profileDecider: Decider<string, ProfileCommand, ProfileState, ProfileEvent> = {
  streamOf: profileStream,
  events: PROFILE_EVENTS,
  initialState: initialProfileState,
  evolve: evolveProfile,
  decide: decideProfile,
};
