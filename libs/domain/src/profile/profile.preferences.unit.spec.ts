import type { ProfilePreferencesChanged } from './events';
import { ProfileCommand } from './profile';
import { closed, created, now, spec } from './testing/fixtures';

describe('#15.3 holder preferences (language, time zone, reminders)', () => {
  const set = (language: string, timeZone: string, reminders = 'all'): ProfileCommand => ({
    type: 'SetPreferences',
    data: { language, timeZone, reminders },
  });
  /** p1's preferences changed now to Traditional Chinese in Taipei, with `change`. */
  const zhTaipei = (change: Pick<ProfilePreferencesChanged['data'], 'reminders' | 'reason'>): ProfilePreferencesChanged => ({
    type: 'ProfilePreferencesChanged',
    data: { profileId: 'p1', language: 'zh-Hant', timeZone: 'Asia/Taipei', changedAt: '2026-01-01T00:00:00.000Z', ...change },
  });

  it('#15.3: records ProfilePreferencesChanged with the language and zone spelled canonically (BCP 47 case-insensitive)', () => {
    const events = spec
      .given([created()])
      .when(set('ZH-hant', 'asia/taipei', 'last-only'), now)
      .then([zhTaipei({ reminders: 'last-only' })]);
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
      .then([zhTaipei({ reminders: 'none', reason: 'one-click unsubscribe (RFC 8058) from a renewal message' })]);
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
