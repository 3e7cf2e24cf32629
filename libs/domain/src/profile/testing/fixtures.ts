import { specification } from '../../testing/specification';
import { decideProfile, evolveProfile, initialProfileState, ProfileCommand, ProfileContext, ProfileEvent, ProfileState } from '../profile';

/** What the profile decider's specs share: a given/when/then over the decider, and the events of a profile p1. */
export const spec = specification<ProfileCommand, ProfileEvent, ProfileState, ProfileContext>({
  decide: decideProfile,
  evolve: evolveProfile,
  initialState: initialProfileState,
});
export const now = { now: new Date('2026-01-01T00:00:00Z') };
export const sealed = { keyId: 'k', iv: 'i', tag: 't', ciphertext: 'c' };

export const created = (profileId = 'p1', accountId = 'acc-1', accountType: 'personal' | 'work' = 'personal'): ProfileEvent => ({
  type: 'CertificationProfileCreated',
  data: { profileId, accountId, accountType, createdAt: '2025-01-01T00:00:00.000Z', personalData: sealed },
});

export const link = (over: Partial<Extract<ProfileCommand, { type: 'LinkLearnProfile' }>['data']> = {}): ProfileCommand => ({
  type: 'LinkLearnProfile',
  data: {
    learnProfileId: 'l1',
    accountId: 'acc-1',
    accountType: 'personal',
    learnProfileLinkedTo: null,
    activeProfilesOfAccount: 1,
    reason: 'request',
    ...over,
  },
});

export const linked: ProfileEvent = {
  type: 'ProfilesLinked',
  data: { profileId: 'p1', learnProfileId: 'l1', accountId: 'acc-1', linkedAt: '2025-02-01T00:00:00.000Z', reason: 'request' },
};
export const closed: ProfileEvent = {
  type: 'CertificationProfileClosed',
  data: {
    profileId: 'p1',
    accountId: 'acc-1',
    mergedInto: 'p2',
    mergeId: 'm1',
    linkedLearnProfileId: null,
    closedAt: '2025-03-01T00:00:00.000Z',
  },
};
