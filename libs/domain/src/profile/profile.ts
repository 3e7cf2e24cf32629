import { DomainError } from '../errors';

/**
 * A certification profile, stream `profile-<profileId>`. Personal data (name, e-mail) is sealed with the
 * profile's own key so that erasing the key erases it from every copy of the log (crypto-shredding).
 */
export type SealedData = { keyId: string; iv: string; tag: string; ciphertext: string };
export type AccountType = 'personal' | 'work';

export type CertificationProfileCreated = {
  type: 'CertificationProfileCreated';
  data: { profileId: string; accountId: string; accountType: AccountType; createdAt: string; personalData: SealedData };
};
export type ProfilesLinked = {
  type: 'ProfilesLinked';
  data: { profileId: string; learnProfileId: string; accountId: string; linkedAt: string; reason: 'request' | 'merge' };
};
/** On the target: the source's holdings moved here (R12). */
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

/** The person's name and e-mail were erased (their key destroyed): a fact without personal data. */
export type PersonalDataErased = { type: 'PersonalDataErased'; data: { profileId: string; erasedAt: string; reason: string } };

export type ProfileEvent =
  | CertificationProfileCreated
  | ProfilesLinked
  | CertificationProfilesMerged
  | CertificationProfileClosed
  | PersonalDataErased;
export const PROFILE_EVENT_TYPES: readonly ProfileEvent['type'][] = [
  'CertificationProfileCreated',
  'ProfilesLinked',
  'CertificationProfilesMerged',
  'CertificationProfileClosed',
  'PersonalDataErased',
];

export type ActiveProfile = {
  status: 'active';
  profileId: string;
  accountId: string;
  accountType: AccountType;
  linkedLearnProfileId: string | null;
  /** Merges recorded on this profile as target, so a resumed merge records none twice. */
  mergeIds: string[];
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
      };
    case 'ProfilesLinked':
      return state.status === 'active' ? { ...state, linkedLearnProfileId: event.data.learnProfileId } : state;
    case 'CertificationProfilesMerged':
      return state.status === 'active' ? { ...state, mergeIds: [...state.mergeIds, event.data.mergeId] } : state;
    case 'CertificationProfileClosed':
      return state.status === 'active'
        ? { status: 'closed', mergedInto: event.data.mergedInto, mergeId: event.data.mergeId, last: state }
        : state;
    case 'PersonalDataErased':
      return state;
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

export type ProfileCommand =
  | { type: 'CreateProfile'; data: { profileId: string; accountId: string; accountType: AccountType; personalData: SealedData } }
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
      };
    }
  | { type: 'CloseForMerge'; data: { mergeId: string; targetProfileId: string } }
  | { type: 'RecordMerge'; data: { mergeId: string; sourceProfileId: string; holdings: string[] } };

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
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}
