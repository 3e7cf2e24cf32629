import { Certification } from '../catalog';
import { catalog, policies, spec } from './testing/fixtures';
import { foldHolding, HeldState, HoldingEvent, holdingStatusAt, isActiveAt } from '.';
import { decideHolding, HoldingCommand, HoldingContext } from '.';

const ASSOCIATE = 'azure-administrator-associate';

const ctx = (now: string, code = ASSOCIATE): HoldingContext => ({
  now: new Date(now),
  policies,
  certification: catalog.get(code) as Certification,
});

const earn = (earnedAt: string, verificationId?: string): HoldingCommand => ({
  type: 'EarnCertification',
  data: { holdingId: `p1.${ASSOCIATE}`, profileId: 'p1', earnedAt: new Date(earnedAt), prerequisiteActive: true, verificationId },
});
const revoke: HoldingCommand = { type: 'RevokeCertification', data: { reason: 'exam fraud' } };
const suspend = (until: string | null = null): HoldingCommand => ({
  type: 'SuspendCertification',
  data: { reason: 'under investigation', until: until ? new Date(until) : null },
});
const reinstate: HoldingCommand = { type: 'ReinstateCertification', data: { reason: 'cleared' } };
const attempt: HoldingCommand = {
  type: 'AttemptRenewal',
  data: { attemptId: 'a1', passed: true, score: 800, language: 'en', profileLinked: true },
};

/** Decided for real, so that givens stay consistent with the decider. */
function after(events: HoldingEvent[], command: HoldingCommand, now: string, code = ASSOCIATE): HoldingEvent[] {
  return [...events, ...decideHolding(command, foldHolding(events), ctx(now, code))];
}

// Earned 2024-01-15T09:00Z: expires 2025-01-15T09:00Z, window opens 2024-07-15T09:00Z.
const earned = after([], earn('2024-01-15T09:00:00Z'), '2024-01-15T09:00:00Z');
const subject = { holdingId: `p1.${ASSOCIATE}`, profileId: 'p1', certificationCode: ASSOCIATE, cycle: 1 };
const held = (events: HoldingEvent[]): HeldState => foldHolding(events) as HeldState;

describe('holding decider: revocation, suspension, reinstatement', () => {
  describe('R15 revocation', () => {
    it('R15: an active holding is revoked with its reason, at the decision instant', () => {
      spec
        .given(earned)
        .when(revoke, ctx('2024-03-01T00:00:00Z'))
        .then([{ type: 'CertificationRevoked', data: { ...subject, reason: 'exam fraud', revokedAt: '2024-03-01T00:00:00.000Z' } }]);
    });

    it('R15: a revoked holding refuses a second revocation, a suspension and a reinstatement with HOLDING_REVOKED', () => {
      const revoked = after(earned, revoke, '2024-03-01T00:00:00Z');
      spec.given(revoked).when(revoke, ctx('2024-03-02T00:00:00Z')).thenThrows('HOLDING_REVOKED');
      spec.given(revoked).when(suspend(), ctx('2024-03-02T00:00:00Z')).thenThrows('HOLDING_REVOKED');
      spec.given(revoked).when(reinstate, ctx('2024-03-02T00:00:00Z')).thenThrows('HOLDING_REVOKED');
    });

    it('R15: revocation ends the window: no renewal attempt (HOLDING_REVOKED), the scheduler opens nothing', () => {
      const revoked = after(earned, revoke, '2024-03-01T00:00:00Z');
      spec.given(revoked).when(attempt, ctx('2024-08-01T00:00:00Z')).thenThrows('HOLDING_REVOKED');
      spec.given(revoked).when({ type: 'OpenRenewalWindow' }, ctx('2024-08-01T00:00:00Z')).thenNothing();
      expect(held(revoked).window).toBeNull();
    });

    it('R15: revoking a suspended holding ends the suspension: the holding is revoked', () => {
      const suspended = after(earned, suspend(), '2024-02-01T00:00:00Z');
      const revoked = after(suspended, revoke, '2024-03-01T00:00:00Z');
      expect(holdingStatusAt(held(revoked), new Date('2024-03-02T00:00:00Z'))).toBe('revoked');
    });

    it('R15: the holder earns it again at once, before the revoked cycle would have expired: a new cycle', () => {
      const revoked = after(earned, revoke, '2024-03-01T00:00:00Z');
      spec
        .given(revoked)
        .when(earn('2024-04-01T00:00:00Z', 'new-id'), ctx('2024-04-01T00:00:00Z'))
        .thenMatches([{ type: 'CertificationEarned', data: { cycle: 2, earnedAt: '2024-04-01T00:00:00.000Z', verificationId: 'new-id' } }]);
      const again = after(revoked, earn('2024-04-01T00:00:00Z'), '2024-04-01T00:00:00Z');
      expect(holdingStatusAt(held(again), new Date('2024-04-02T00:00:00Z'))).toBe('active');
    });

    it('R15/R10: a revoked holding is not active for prerequisites', () => {
      const revoked = after(earned, revoke, '2024-03-01T00:00:00Z');
      expect(isActiveAt(foldHolding(earned), new Date('2024-03-02T00:00:00Z'))).toBe(true);
      expect(isActiveAt(foldHolding(revoked), new Date('2024-03-02T00:00:00Z'))).toBe(false);
    });

    it('R15: a holding that does not exist cannot be revoked (HOLDING_NOT_FOUND)', () => {
      spec.given([]).when(revoke, ctx('2024-03-01T00:00:00Z')).thenThrows('HOLDING_NOT_FOUND');
    });
  });

  describe('R16 suspension', () => {
    it('R16: an active holding is suspended with its reason and optional until', () => {
      spec
        .given(earned)
        .when(suspend('2024-05-01T00:00:00Z'), ctx('2024-02-01T00:00:00Z'))
        .then([
          {
            type: 'CertificationSuspended',
            data: { ...subject, reason: 'under investigation', suspendedAt: '2024-02-01T00:00:00.000Z', until: '2024-05-01T00:00:00.000Z' },
          },
        ]);
    });

    it('R16: a suspended holding cannot be renewed: the attempt is refused with HOLDING_SUSPENDED inside its window', () => {
      const suspended = after(earned, suspend(), '2024-07-01T00:00:00Z');
      spec.given(suspended).when(attempt, ctx('2024-08-01T00:00:00Z')).thenThrows('HOLDING_SUSPENDED');
    });

    it('R16: its window and expiry clocks keep running: the window opens and the holding expires on time', () => {
      const suspended = after(earned, suspend(), '2024-02-01T00:00:00Z');
      spec
        .given(suspended)
        .when({ type: 'OpenRenewalWindow' }, ctx('2024-07-15T09:00:00Z'))
        .thenMatches([{ type: 'RenewalWindowOpened', data: { opensAt: '2024-07-15T09:00:00.000Z' } }]);
      spec
        .given(suspended)
        .when({ type: 'ExpireHolding' }, ctx('2025-01-15T09:00:00Z'))
        .thenMatches([{ type: 'CertificationExpired', data: { expiredAt: '2025-01-15T09:00:00.000Z' } }]);
      expect(holdingStatusAt(held(suspended), new Date('2025-01-15T09:00:00Z'))).toBe('expired');
    });

    it('R16: suspending a suspended holding is refused with HOLDING_SUSPENDED; an expired one with CERTIFICATION_EXPIRED', () => {
      const suspended = after(earned, suspend(), '2024-02-01T00:00:00Z');
      spec.given(suspended).when(suspend(), ctx('2024-02-02T00:00:00Z')).thenThrows('HOLDING_SUSPENDED');
      spec.given(earned).when(suspend(), ctx('2025-01-15T09:00:00Z')).thenThrows('CERTIFICATION_EXPIRED');
    });

    it('R16: an until that is not in the future is refused as invalid', () => {
      spec.given(earned).when(suspend('2024-02-01T00:00:00Z'), ctx('2024-02-01T00:00:00Z')).thenThrows('VALIDATION_FAILED');
    });

    it('R16/R10: a suspended holding is not active for prerequisites while suspended', () => {
      const suspended = after(earned, suspend('2024-05-01T00:00:00Z'), '2024-02-01T00:00:00Z');
      expect(isActiveAt(foldHolding(suspended), new Date('2024-03-01T00:00:00Z'))).toBe(false);
      expect(isActiveAt(foldHolding(suspended), new Date('2024-05-01T00:00:00Z'))).toBe(true);
    });

    it('R16/R6: passing the exam while suspended and unexpired still does not renew (EXAM_DOES_NOT_RENEW)', () => {
      const suspended = after(earned, suspend(), '2024-02-01T00:00:00Z');
      spec.given(suspended).when(earn('2024-03-01T00:00:00Z'), ctx('2024-03-01T00:00:00Z')).thenThrows('EXAM_DOES_NOT_RENEW');
    });
  });

  describe('R17 reinstatement and the end of a suspension', () => {
    it('R17: a suspended holding is reinstated with its reason, and may then be renewed in its window', () => {
      const suspended = after(earned, suspend(), '2024-07-01T00:00:00Z');
      spec
        .given(suspended)
        .when(reinstate, ctx('2024-08-01T00:00:00Z'))
        .then([{ type: 'CertificationReinstated', data: { ...subject, reason: 'cleared', reinstatedAt: '2024-08-01T00:00:00.000Z' } }]);
      const reinstated = after(suspended, reinstate, '2024-08-01T00:00:00Z');
      spec
        .given(reinstated)
        .when(attempt, ctx('2024-08-02T00:00:00Z'))
        .thenMatches([{ type: 'RenewalWindowOpened' }, { type: 'AssessmentAttempted' }, { type: 'CertificationRenewed' }]);
    });

    it('R17: reinstating a holding that is not suspended is refused with HOLDING_NOT_SUSPENDED', () => {
      spec.given(earned).when(reinstate, ctx('2024-02-01T00:00:00Z')).thenThrows('HOLDING_NOT_SUSPENDED');
    });

    it('R17: a suspension with until ends by itself at that instant, with no event: renewal allowed, reinstatement refused', () => {
      const suspended = after(earned, suspend('2024-08-01T00:00:00Z'), '2024-07-01T00:00:00Z');
      expect(holdingStatusAt(held(suspended), new Date('2024-07-31T23:59:59Z'))).toBe('suspended');
      expect(holdingStatusAt(held(suspended), new Date('2024-08-01T00:00:00Z'))).toBe('renewal-open');
      spec.given(suspended).when(attempt, ctx('2024-07-31T23:59:59Z')).thenThrows('HOLDING_SUSPENDED');
      spec
        .given(suspended)
        .when(attempt, ctx('2024-08-01T00:00:00Z'))
        .thenMatches([{ type: 'RenewalWindowOpened' }, { type: 'AssessmentAttempted' }, { type: 'CertificationRenewed' }]);
      spec.given(suspended).when(reinstate, ctx('2024-08-01T00:00:00Z')).thenThrows('HOLDING_NOT_SUSPENDED');
    });

    it('R20: the status order is revoked, expired, suspended, then the clock (never-expires for fundamentals)', () => {
      const fundamentals = after(
        [],
        {
          type: 'EarnCertification',
          data: {
            holdingId: 'p1.azure-fundamentals',
            profileId: 'p1',
            earnedAt: new Date('2024-01-01T00:00:00Z'),
            prerequisiteActive: true,
          },
        },
        '2024-01-01T00:00:00Z',
        'azure-fundamentals',
      );
      const state = held(fundamentals);
      expect(holdingStatusAt(state, new Date('2030-01-01T00:00:00Z'))).toBe('never-expires');
      expect(
        holdingStatusAt({ ...state, suspension: { since: '2024-02-01T00:00:00Z', until: null } }, new Date('2030-01-01T00:00:00Z')),
      ).toBe('suspended');
      expect(holdingStatusAt({ ...state, revoked: true }, new Date('2030-01-01T00:00:00Z'))).toBe('revoked');
    });
  });
});
