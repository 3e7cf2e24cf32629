import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOLDING_EVENT_TYPES, PolicyBook, PROFILE_EVENT_TYPES } from '@recert/domain';
import { OutboxProjection } from '../outbox/outbox.projection';
import { HoldingsProjection } from './holdings.projection';

/**
 * #17.3: every event type of the holding and profile aggregates reaches the holdings projection. The domain's lists
 * are the only ones, each checked against its union both ways at compile time (`satisfies`), so the subscriptions
 * are compared with them here.
 */
const HOLDING: readonly string[] = HOLDING_EVENT_TYPES;
const PROFILE: readonly string[] = PROFILE_EVENT_TYPES;

describe('#17.3 every event type reaches its projection', () => {
  const book = PolicyBook.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'policy.json'), 'utf8')));

  it('#17.3: the domain lists every holding and profile event type once', () => {
    expect(new Set(HOLDING).size).toBe(HOLDING.length);
    expect(HOLDING).toContain('RenewalAttemptsGranted');
    expect(PROFILE).toContain('ProfilePreferencesChanged');
  });

  it('#17.3: the holdings projection subscribes to every holding and profile event type', () => {
    const projection = new HoldingsProjection(book);
    expect([...projection.eventTypes].sort()).toEqual([...HOLDING, ...PROFILE].sort());
  });

  it('#17.3/R4/#16.5: the outbox reads holding events (every one that opens, sends or ends a window) and erasures only', () => {
    const outbox = new OutboxProjection();
    // PersonalDataErased: the dispatcher forgets what the sender kept of an erased profile's notifications (#16.5).
    for (const type of outbox.eventTypes) expect([...HOLDING, 'PersonalDataErased']).toContain(type);
    const opensOrSends = ['RenewalWindowOpened', 'RenewalEligibilityNotified'];
    const endsAWindow = ['CertificationRenewed', 'CertificationExpired', 'CertificationEarned', 'HoldingMergedOut'];
    expect(outbox.eventTypes).toEqual(expect.arrayContaining([...opensOrSends, ...endsAWindow, 'PersonalDataErased']));
  });
});
