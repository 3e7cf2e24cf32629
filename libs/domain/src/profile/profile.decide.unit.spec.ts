import { specification } from '../testing/specification';
import {
  decideLearnProfile,
  evolveLearnProfile,
  initialLearnProfileState,
  LearnProfileCommand,
  LearnProfileEvent,
  LearnProfileState,
} from '../learn-profile/learn-profile';
import {
  ActiveProfile,
  decideProfile,
  evolveProfile,
  initialProfileState,
  ProfileCommand,
  ProfileContext,
  ProfileEvent,
  ProfileState,
} from './profile';

const spec = specification<ProfileCommand, ProfileEvent, ProfileState, ProfileContext>({
  decide: decideProfile,
  evolve: evolveProfile,
  initialState: initialProfileState,
});
const now = { now: new Date('2026-01-01T00:00:00Z') };
const sealed = { keyId: 'k', iv: 'i', tag: 't', ciphertext: 'c' };

const created = (profileId = 'p1', accountId = 'acc-1', accountType: 'personal' | 'work' = 'personal'): ProfileEvent => ({
  type: 'CertificationProfileCreated',
  data: { profileId, accountId, accountType, createdAt: '2025-01-01T00:00:00.000Z', personalData: sealed },
});

const link = (over: Partial<Extract<ProfileCommand, { type: 'LinkLearnProfile' }>['data']> = {}): ProfileCommand => ({
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

const linked: ProfileEvent = {
  type: 'ProfilesLinked',
  data: { profileId: 'p1', learnProfileId: 'l1', accountId: 'acc-1', linkedAt: '2025-02-01T00:00:00.000Z', reason: 'request' },
};
const closed: ProfileEvent = {
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

describe('certification profile decider', () => {
  describe('when no profile exists', () => {
    it('creates it', () => {
      spec
        .given([])
        .when({ type: 'CreateProfile', data: { profileId: 'p1', accountId: 'acc-1', accountType: 'personal', personalData: sealed } }, now)
        .then([
          {
            type: 'CertificationProfileCreated',
            data: {
              profileId: 'p1',
              accountId: 'acc-1',
              accountType: 'personal',
              personalData: sealed,
              createdAt: '2026-01-01T00:00:00.000Z',
            },
          },
        ]);
    });

    it('R11: refuses a link to a profile that does not exist', () => {
      spec.given([]).when(link(), now).thenThrows('PROFILE_NOT_FOUND');
    });
  });

  describe('when the profile is active and unlinked', () => {
    it('refuses a second creation with the same id', () => {
      spec
        .given([created()])
        .when({ type: 'CreateProfile', data: { profileId: 'p1', accountId: 'acc-2', accountType: 'personal', personalData: sealed } }, now)
        .thenThrows('PROFILE_EXISTS');
    });

    it('R11: links a learn profile of the same personal account', () => {
      spec
        .given([created()])
        .when(link(), now)
        .thenMatches([{ type: 'ProfilesLinked', data: { profileId: 'p1', learnProfileId: 'l1', reason: 'request' } }]);
    });

    it('R11: refuses a learn profile of a work or school account', () => {
      spec
        .given([created()])
        .when(link({ accountType: 'work' }), now)
        .thenThrows('ACCOUNT_MISMATCH');
    });

    it('R11: refuses a learn profile of another personal account', () => {
      spec
        .given([created()])
        .when(link({ accountId: 'acc-9' }), now)
        .thenThrows('ACCOUNT_MISMATCH');
    });

    it('R11: a certification profile owned by a work account can never be linked', () => {
      spec
        .given([created('p1', 'acc-1', 'work')])
        .when(link(), now)
        .thenThrows('ACCOUNT_MISMATCH');
    });

    it('R11: refuses a learn profile already linked to another certification profile', () => {
      spec
        .given([created()])
        .when(link({ learnProfileLinkedTo: 'p7' }), now)
        .thenThrows('LEARN_PROFILE_ALREADY_LINKED');
    });

    it('R12: refuses to link while the account owns several active profiles', () => {
      spec
        .given([created()])
        .when(link({ activeProfilesOfAccount: 2 }), now)
        .thenThrows('MULTIPLE_PROFILES_MUST_BE_MERGED');
    });

    it('R11 before R12: the first rule of the contract order answers', () => {
      spec
        .given([created()])
        .when(link({ accountType: 'work', activeProfilesOfAccount: 2 }), now)
        .thenThrows('ACCOUNT_MISMATCH');
    });
  });

  describe('when the profile is linked', () => {
    it('R11: refuses a second learn profile', () => {
      spec
        .given([created(), linked])
        .when(link({ learnProfileId: 'l2' }), now)
        .thenThrows('PROFILE_ALREADY_LINKED');
    });

    it('R11: linking the same pair again changes nothing', () => {
      spec
        .given([created(), linked])
        .when(link({ learnProfileLinkedTo: 'p1' }), now)
        .thenNothing();
    });
  });

  describe('when the profile was merged away', () => {
    it('R12: refuses every command with PROFILE_MERGED, naming the target', () => {
      const error = spec.given([created(), closed]).when(link(), now).thenThrows('PROFILE_MERGED', { mergedInto: 'p2' });
      expect(error.detail).toContain('p2');
      spec
        .given([created(), closed])
        .when({ type: 'RecordMerge', data: { mergeId: 'm2', sourceProfileId: 'p3', holdings: [] } }, now)
        .thenThrows('PROFILE_MERGED');
      spec
        .given([created(), closed])
        .when({ type: 'CloseForMerge', data: { mergeId: 'm2', targetProfileId: 'p4' } }, now)
        .thenThrows('PROFILE_MERGED');
    });

    it('R12: repeating the same merge closes nothing twice', () => {
      spec
        .given([created(), closed])
        .when({ type: 'CloseForMerge', data: { mergeId: 'm1', targetProfileId: 'p2' } }, now)
        .thenNothing();
    });
  });
});

describe('learn profile link reservation', () => {
  const learn = specification<LearnProfileCommand, LearnProfileEvent, LearnProfileState, { now: Date }>({
    decide: decideLearnProfile,
    evolve: evolveLearnProfile,
    initialState: initialLearnProfileState,
  });
  const reserve = (profileId: string): LearnProfileCommand => ({
    type: 'ReserveLink',
    data: { learnProfileId: 'l1', profileId, accountId: 'acc-1' },
  });
  const reserved: LearnProfileEvent = {
    type: 'LearnProfileLinkReserved',
    data: { learnProfileId: 'l1', profileId: 'p1', accountId: 'acc-1', reservedAt: '2025-01-01T00:00:00.000Z' },
  };

  it('R11: a learn profile is reserved for one certification profile only', () => {
    learn
      .given([])
      .when(reserve('p1'), now)
      .thenMatches([{ type: 'LearnProfileLinkReserved', data: { profileId: 'p1' } }]);
    learn.given([reserved]).when(reserve('p2'), now).thenThrows('LEARN_PROFILE_ALREADY_LINKED');
    learn.given([reserved]).when(reserve('p1'), now).thenNothing();
  });

  it('R11/R12: a merge transfers the link to the target profile', () => {
    const transferred = learn
      .given([reserved])
      .when({ type: 'TransferLink', data: { learnProfileId: 'l1', fromProfileId: 'p1', profileId: 'p2', mergeId: 'm1' } }, now)
      .thenMatches([{ type: 'LearnProfileLinkTransferred', data: { profileId: 'p2' } }]);
    learn
      .given([reserved, ...transferred])
      .when(reserve('p1'), now)
      .thenThrows('LEARN_PROFILE_ALREADY_LINKED');
  });

  it('R11: a released reservation can be taken by another profile', () => {
    const released = learn
      .given([reserved])
      .when({ type: 'ReleaseLink', data: { learnProfileId: 'l1', profileId: 'p1', reason: 'link failed' } }, now)
      .thenMatches([{ type: 'LearnProfileLinkReleased' }]);
    learn
      .given([reserved, ...released])
      .when(reserve('p2'), now)
      .thenMatches([{ data: { profileId: 'p2' } }]);
  });
});

describe('R11a: a merge keeps the learn profile link only where R11 holds (#16.4)', () => {
  const sourceOf = (accountId: string, linkedLearnProfileId: string | null = 'l-src'): ActiveProfile => ({
    status: 'active',
    profileId: 'src',
    accountId,
    accountType: 'personal',
    linkedLearnProfileId,
    mergeIds: [],
  });
  const start = (source: ActiveProfile): ProfileCommand => ({ type: 'StartMerge', data: { mergeId: 'm1', source } });
  const targetLinked: ProfileEvent = {
    type: 'ProfilesLinked',
    data: { profileId: 'p1', learnProfileId: 'l-own', accountId: 'acc-1', linkedAt: '2025-02-01T00:00:00.000Z', reason: 'request' },
  };

  it('R11a: given a target of account B, when a source linked to a learn profile of account A merges in, then the link is released', () => {
    spec
      .given([created('p1', 'acc-B')])
      .when(start(sourceOf('acc-A')), now)
      .thenMatches([
        {
          type: 'ProfileMergeStarted',
          data: { profileId: 'p1', sourceProfileId: 'src', mergeId: 'm1', link: { learnProfileId: 'l-src', action: 'release' } },
        },
      ]);
  });

  it('R11a: given a work-account target of the same account id, then the link is released', () => {
    spec
      .given([created('p1', 'acc-A', 'work')])
      .when(start(sourceOf('acc-A')), now)
      .thenMatches([{ type: 'ProfileMergeStarted', data: { link: { action: 'release' } } }]);
  });

  it('R11a: given an unlinked personal target of the same account, then the link is transferred', () => {
    spec
      .given([created('p1', 'acc-A')])
      .when(start(sourceOf('acc-A')), now)
      .thenMatches([{ type: 'ProfileMergeStarted', data: { link: { learnProfileId: 'l-src', action: 'transfer' } } }]);
  });

  it('R11a: given a target with its own link, then the source link is released and the target keeps its own', () => {
    spec
      .given([created('p1', 'acc-1'), targetLinked])
      .when(start(sourceOf('acc-1')), now)
      .thenMatches([{ type: 'ProfileMergeStarted', data: { link: { action: 'release' } } }]);
  });

  it('#16.3 R12: an unlinked source plans no link step; a merge started or completed is not started again', () => {
    const started = spec
      .given([created('p1', 'acc-1')])
      .when(start(sourceOf('acc-1', null)), now)
      .thenMatches([
        {
          type: 'ProfileMergeStarted',
          data: { link: null, steps: ['close-source', 'account', 'holdings', 'learn-profile-link', 'record'] },
        },
      ]);
    spec
      .given([created('p1', 'acc-1'), ...started])
      .when(start(sourceOf('acc-1', null)), now)
      .thenNothing();
    const completed: ProfileEvent = {
      type: 'CertificationProfilesMerged',
      data: { profileId: 'p1', sourceProfileId: 'src', mergeId: 'm1', holdings: [], mergedAt: '2026-01-01T00:00:00.000Z' },
    };
    const state = spec.given([created('p1', 'acc-1'), ...started, completed]);
    expect(state.state).toMatchObject({ pendingMerges: [], mergeIds: ['m1'] });
    state.when(start(sourceOf('acc-1', null)), now).thenNothing();
  });
});

describe('#15.3 holder preferences (language, time zone, reminders)', () => {
  const set = (language: string, timeZone: string, reminders = 'all'): ProfileCommand => ({
    type: 'SetPreferences',
    data: { language, timeZone, reminders },
  });

  it('#15.3: records ProfilePreferencesChanged with the language and zone spelled canonically (BCP 47 case-insensitive)', () => {
    const events = spec
      .given([created()])
      .when(set('ZH-hant', 'asia/taipei', 'last-only'), now)
      .then([
        {
          type: 'ProfilePreferencesChanged',
          data: {
            profileId: 'p1',
            language: 'zh-Hant',
            timeZone: 'Asia/Taipei',
            reminders: 'last-only',
            changedAt: '2026-01-01T00:00:00.000Z',
          },
        },
      ]);
    expect(spec.given([created(), ...events]).state).toMatchObject({
      preferences: { language: 'zh-Hant', timeZone: 'Asia/Taipei', reminders: 'last-only' },
    });
  });

  it('#15.3: the same preferences again record nothing; a change records again', () => {
    const first = spec
      .given([created()])
      .when(set('ja', 'Asia/Tokyo'), now)
      .thenMatches([{ type: 'ProfilePreferencesChanged' }]);
    spec
      .given([created(), ...first])
      .when(set('JA', 'Asia/Tokyo'), now)
      .thenNothing();
    spec
      .given([created(), ...first])
      .when(set('ja', 'Asia/Tokyo', 'last-only'), now)
      .thenMatches([{ type: 'ProfilePreferencesChanged', data: { reminders: 'last-only' } }]);
  });

  it('#15.3: refuses a language recert does not write, a zone Intl does not know, or another reminder choice', () => {
    spec.given([created()]).when(set('fr', 'Europe/Paris'), now).thenThrows('VALIDATION_FAILED');
    spec.given([created()]).when(set('zh', 'Asia/Taipei'), now).thenThrows('VALIDATION_FAILED');
    spec.given([created()]).when(set('en', 'Mars/Olympus_Mons'), now).thenThrows('VALIDATION_FAILED');
    spec.given([created()]).when(set('en', '../etc/passwd'), now).thenThrows('VALIDATION_FAILED');
    spec
      .given([created()])
      .when(set('en', 'UTC', 'weekly'), now)
      .thenThrows('VALIDATION_FAILED');
  });

  const unsubscribe: ProfileCommand = {
    type: 'UnsubscribeFromReminders',
    data: { current: { language: 'en', timeZone: 'UTC' }, reason: 'one-click unsubscribe (RFC 8058) from a renewal message' },
  };

  it('R80: a one-click unsubscribe records the reminders preference none, keeping the language and zone, with why', () => {
    const chosen = spec
      .given([created()])
      .when(set('zh-Hant', 'Asia/Taipei', 'last-only'), now)
      .thenMatches([{ type: 'ProfilePreferencesChanged' }]);
    spec
      .given([created(), ...chosen])
      .when(unsubscribe, now)
      .then([
        {
          type: 'ProfilePreferencesChanged',
          data: {
            profileId: 'p1',
            language: 'zh-Hant',
            timeZone: 'Asia/Taipei',
            reminders: 'none',
            changedAt: '2026-01-01T00:00:00.000Z',
            reason: 'one-click unsubscribe (RFC 8058) from a renewal message',
          },
        },
      ]);
    // A holder who never chose keeps the program defaults the messages were written in.
    spec
      .given([created()])
      .when(unsubscribe, now)
      .thenMatches([{ type: 'ProfilePreferencesChanged', data: { language: 'en', timeZone: 'UTC', reminders: 'none' } }]);
  });

  it('R80: a second unsubscribe records nothing; a merged profile is refused; the holder may choose reminders again', () => {
    const off = spec
      .given([created()])
      .when(unsubscribe, now)
      .thenMatches([{ type: 'ProfilePreferencesChanged' }]);
    spec
      .given([created(), ...off])
      .when(unsubscribe, now)
      .thenNothing();
    spec.given([created(), closed]).when(unsubscribe, now).thenThrows('PROFILE_MERGED');
    spec
      .given([created(), ...off])
      .when(set('en', 'UTC', 'all'), now)
      .thenMatches([{ type: 'ProfilePreferencesChanged', data: { reminders: 'all' } }]);
  });

  it('#15.3 R12: a missing or merged profile takes no preferences', () => {
    spec.given([]).when(set('en', 'UTC'), now).thenThrows('PROFILE_NOT_FOUND');
    spec.given([created(), closed]).when(set('en', 'UTC'), now).thenThrows('PROFILE_MERGED');
  });
});
