import { Certification } from '../catalog';
import { catalog, policies, spec } from './testing/fixtures';
import { foldHolding, HeldState, HoldingEvent, initialHoldingState, snapshotOf } from '.';
import { ApplyOverride, decideHolding, HoldingCommand, HoldingContext, nextAttemptAllowedAt } from '.';

const ASSOCIATE = 'azure-administrator-associate';

const ctx = (now: string): HoldingContext => ({ now: new Date(now), policies, certification: catalog.get(ASSOCIATE) as Certification });
const after = (events: HoldingEvent[], command: HoldingCommand, now: string): HoldingEvent[] => [
  ...events,
  ...decideHolding(command, foldHolding(events), ctx(now)),
];
const apply = (o: Partial<ApplyOverride> & Pick<ApplyOverride, 'kind'>): HoldingCommand => ({
  type: 'ApplyOverride',
  data: { overrideId: 'o1', requestedBy: 'alice', approvedBy: 'bob', reason: 'exam platform outage', ...o },
});
const held = (events: HoldingEvent[]): HeldState => foldHolding(events) as HeldState;

// Earned 2024-01-15T09:00Z: expires 2025-01-15T09:00Z, window opens 2024-07-15T09:00Z; 2 immediate attempts, then 24 h.
const earned = after(
  [],
  {
    type: 'EarnCertification',
    data: { holdingId: `p1.${ASSOCIATE}`, profileId: 'p1', earnedAt: new Date('2024-01-15T09:00:00Z'), prerequisiteActive: true },
  },
  '2024-01-15T09:00:00Z',
);
const actors = { overrideId: 'o1', requestedBy: 'alice', approvedBy: 'bob' };

describe('holding decider: effects of approved overrides (R26, R27)', () => {
  it('R27: extend-expiry moves the expiry by `by` from the current expiry, names both admins and the reason; the window follows (R3)', () => {
    const events = spec
      .given(earned)
      .when(apply({ kind: 'extend-expiry', by: 'P3M' }), ctx('2024-10-01T00:00:00Z'))
      .thenMatches([
        {
          type: 'HoldingExpiryExtended',
          data: {
            ...actors,
            by: 'P3M',
            from: '2025-01-15T09:00:00.000Z',
            to: '2025-04-15T09:00:00.000Z',
            renewalWindowOpensAt: '2024-10-15T09:00:00.000Z',
            reason: 'exam platform outage',
            cycle: 1,
          },
        },
      ]);
    const state = held([...earned, ...events]);
    expect(state.expiresAt).toBe('2025-04-15T09:00:00.000Z');
    expect(state.window?.id).toBe(`p1.${ASSOCIATE}@2025-04-15T09:00:00.000Z`);
    expect(state.lastOverride).toMatchObject({ ...actors, kind: 'extend-expiry', from: '2025-01-15T09:00:00.000Z' });
  });

  it('R26: an override is applied once: the same override id again adds nothing (a resumed or repeated approval)', () => {
    const extended = after(earned, apply({ kind: 'extend-expiry', by: 'P3M' }), '2024-10-01T00:00:00Z');
    spec
      .given(extended)
      .when(apply({ kind: 'extend-expiry', by: 'P3M' }), ctx('2024-10-02T00:00:00Z'))
      .thenNothing();
    // Even across a new cycle (earned again after expiry).
    const again = after(
      [...extended, ...decideHolding({ type: 'ExpireHolding' }, foldHolding(extended), ctx('2025-05-01T00:00:00Z'))],
      {
        type: 'EarnCertification',
        data: { holdingId: `p1.${ASSOCIATE}`, profileId: 'p1', earnedAt: new Date('2025-06-01T00:00:00Z'), prerequisiteActive: true },
      },
      '2025-06-01T00:00:00Z',
    );
    spec
      .given(again)
      .when(apply({ kind: 'revoke' }), ctx('2025-06-02T00:00:00Z'))
      .thenNothing();
  });

  it('R26: a holding merged into another profile keeps the overrides it applied: a resumed override adds nothing there', () => {
    const extended = after(earned, apply({ kind: 'extend-expiry', by: 'P3M' }), '2024-10-01T00:00:00Z');
    const mergedIn = decideHolding(
      {
        type: 'MergeHoldingIn',
        data: {
          mergeId: 'm1',
          holdingId: `p2.${ASSOCIATE}`,
          profileId: 'p2',
          fromProfileId: 'p1',
          fromHoldingId: `p1.${ASSOCIATE}`,
          snapshot: snapshotOf(held(extended)),
        },
      },
      initialHoldingState,
      ctx('2024-10-02T00:00:00Z'),
    );
    expect(held(mergedIn)).toMatchObject({ overrideIds: ['o1'], lastOverride: { overrideId: 'o1' } });
    spec
      .given(mergedIn)
      .when(apply({ kind: 'extend-expiry', by: 'P3M' }), ctx('2024-10-03T00:00:00Z'))
      .thenNothing();
  });

  it('R27: extend-expiry of an expired holding is refused (reopen it instead); of a revoked one HOLDING_REVOKED', () => {
    spec
      .given(earned)
      .when(apply({ kind: 'extend-expiry', by: 'P3M' }), ctx('2025-01-15T09:00:00Z'))
      .thenThrows('CERTIFICATION_EXPIRED');
    const revoked = after(earned, { type: 'RevokeCertification', data: { reason: 'fraud' } }, '2024-03-01T00:00:00Z');
    spec
      .given(revoked)
      .when(apply({ kind: 'extend-expiry', by: 'P3M' }), ctx('2024-03-02T00:00:00Z'))
      .thenThrows('HOLDING_REVOKED');
    spec
      .given([])
      .when(apply({ kind: 'extend-expiry', by: 'P3M' }), ctx('2024-03-02T00:00:00Z'))
      .thenThrows('HOLDING_NOT_FOUND');
  });

  it('R27: reopen-window gives an expired holding a new expiry `by` after now; refused while it is not expired', () => {
    const expired = after(earned, { type: 'ExpireHolding' }, '2025-02-01T00:00:00Z');
    spec
      .given(earned)
      .when(apply({ kind: 'reopen-window', by: 'P30D' }), ctx('2024-10-01T00:00:00Z'))
      .thenThrows('OVERRIDE_NOT_APPLICABLE');
    const reopened = spec
      .given(expired)
      .when(apply({ kind: 'reopen-window', by: 'P30D' }), ctx('2025-02-01T00:00:00Z'))
      .thenMatches([
        { type: 'RenewalWindowReopened', data: { ...actors, from: '2025-01-15T09:00:00.000Z', to: '2025-03-03T00:00:00.000Z' } },
      ]);
    const state = held([...expired, ...reopened]);
    expect(state.expired).toBe(false);
    // The window of the new expiry is open at once (30 days < 6 months before it): a renewal is accepted.
    spec
      .given([...expired, ...reopened])
      .when(
        { type: 'AttemptRenewal', data: { attemptId: 'a1', passed: true, score: 800, language: 'en', profileLinked: true } },
        ctx('2025-02-02T00:00:00Z'),
      )
      .thenMatches([{ type: 'RenewalWindowOpened' }, { type: 'AssessmentAttempted' }, { type: 'CertificationRenewed' }]);
  });

  it('R27: grant-attempts lets the next attempts of the open window skip the cooldown (R8); refused before the window opens', () => {
    spec
      .given(earned)
      .when(apply({ kind: 'grant-attempts', attempts: 1 }), ctx('2024-03-01T00:00:00Z'))
      .thenThrows('WINDOW_NOT_OPEN');
    const fail = (id: string): HoldingCommand => ({
      type: 'AttemptRenewal',
      data: { attemptId: id, passed: false, score: 100, language: 'en', profileLinked: true },
    });
    let events = after(earned, fail('a1'), '2024-08-01T00:00:00Z');
    events = after(events, fail('a2'), '2024-08-01T01:00:00Z');
    const policy = policies.atOrFirst(new Date('2024-08-01T02:00:00Z'));
    expect(nextAttemptAllowedAt(held(events), policy)).not.toBeNull();
    spec.given(events).when(fail('a3'), ctx('2024-08-01T02:00:00Z')).thenThrows('RETAKE_COOLDOWN');
    const granted = spec
      .given(events)
      .when(apply({ kind: 'grant-attempts', attempts: 1 }), ctx('2024-08-01T02:00:00Z'))
      .thenMatches([{ type: 'RenewalAttemptsGranted', data: { ...actors, attempts: 1, cooldownFreeUntil: 3 } }]);
    events = [...events, ...granted];
    expect(nextAttemptAllowedAt(held(events), policy)).toBeNull();
    events = after(events, fail('a3'), '2024-08-01T02:00:00Z');
    // One granted, one used: the cooldown is back for the fourth.
    spec.given(events).when(fail('a4'), ctx('2024-08-01T02:30:00Z')).thenThrows('RETAKE_COOLDOWN');
  });

  it('R27: revoke is the R15 revocation, carrying both admins; it refuses a revoked holding like R15', () => {
    const revoked = spec
      .given(earned)
      .when(apply({ kind: 'revoke' }), ctx('2024-03-01T00:00:00Z'))
      .then([
        {
          type: 'CertificationRevoked',
          data: {
            holdingId: `p1.${ASSOCIATE}`,
            profileId: 'p1',
            certificationCode: ASSOCIATE,
            cycle: 1,
            reason: 'exam platform outage',
            revokedAt: '2024-03-01T00:00:00.000Z',
            override: actors,
          },
        },
      ]);
    expect(held([...earned, ...revoked])).toMatchObject({ revoked: true, lastOverride: { kind: 'revoke', ...actors } });
    spec
      .given([...earned, ...revoked])
      .when(apply({ kind: 'revoke', overrideId: 'o2' }), ctx('2024-03-02T00:00:00Z'))
      .thenThrows('HOLDING_REVOKED');
  });
});
