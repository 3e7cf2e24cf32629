import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOLDING_EVENT_TYPES, HoldingEvent, PolicyBook, PROFILE_EVENT_TYPES, ProfileEvent } from '@recert/domain';
import { OutboxProjection } from '../outbox/outbox.projection';
import { HoldingsProjection } from './holdings.projection';

/**
 * #17.3: every event type of the holding and profile aggregates reaches the holdings projection. These records are
 * typed by the domain's event unions: a type added to a union and not here fails to compile, so this spec fails; a
 * type here but missing from the domain's list or the projection's subscription fails the assertions.
 */
const HOLDING: Record<HoldingEvent['type'], true> = {
  CertificationEarned: true,
  RenewalWindowOpened: true,
  RenewalEligibilityNotified: true,
  AssessmentAttempted: true,
  CertificationRenewed: true,
  CertificationExpired: true,
  HoldingMergedOut: true,
  HoldingMergedIn: true,
  CertificationRevoked: true,
  CertificationSuspended: true,
  CertificationReinstated: true,
  VerificationIdRotated: true,
  VerificationVisibilityChanged: true,
  CertificationImported: true,
  HoldingExpiryExtended: true,
  RenewalWindowReopened: true,
  RenewalAttemptsGranted: true,
};
const PROFILE: Record<ProfileEvent['type'], true> = {
  CertificationProfileCreated: true,
  ProfilesLinked: true,
  LearnProfileUnlinked: true,
  ProfileMergeStarted: true,
  CertificationProfilesMerged: true,
  CertificationProfileClosed: true,
  PersonalDataErased: true,
  ProfilePreferencesChanged: true,
};

describe('#17.3 every event type reaches its projection', () => {
  const book = PolicyBook.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'policy.json'), 'utf8')));

  it('#17.3: the domain lists every holding and profile event type', () => {
    expect([...HOLDING_EVENT_TYPES].sort()).toEqual(Object.keys(HOLDING).sort());
    expect([...PROFILE_EVENT_TYPES].sort()).toEqual(Object.keys(PROFILE).sort());
  });

  it('#17.3: the holdings projection subscribes to every holding and profile event type', () => {
    const projection = new HoldingsProjection(book);
    expect([...projection.eventTypes].sort()).toEqual([...Object.keys(HOLDING), ...Object.keys(PROFILE)].sort());
  });

  it('#17.3/R4/#16.5: the outbox reads holding events (every one that opens, sends or ends a window) and erasures only', () => {
    const outbox = new OutboxProjection();
    // PersonalDataErased: the dispatcher forgets what the sender kept of an erased profile's notifications (#16.5).
    for (const type of outbox.eventTypes) expect([...Object.keys(HOLDING), 'PersonalDataErased']).toContain(type);
    expect(outbox.eventTypes).toEqual(
      expect.arrayContaining([
        'RenewalWindowOpened',
        'RenewalEligibilityNotified',
        'CertificationRenewed',
        'CertificationExpired',
        'CertificationEarned',
        'HoldingMergedOut',
        'PersonalDataErased',
      ]),
    );
  });
});
