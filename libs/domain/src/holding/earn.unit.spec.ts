import { evolveHolding, HoldingContext, initialHoldingState } from '.';
import { after, attempt, ctx, earn, earned, spec } from './testing/fixtures';

describe('holding decider: earning', () => {
  describe('when nothing is held', () => {
    it('R2: an associate earned under the 2020-12-15 policy expires two years after earnedAt, recording that policy (R14)', () => {
      spec
        .given([])
        .when(earn('2021-03-01T10:00:00Z'), ctx('2021-03-01T10:00:00Z'))
        .then([
          {
            type: 'CertificationEarned',
            data: {
              holdingId: 'p1.azure-administrator-associate',
              profileId: 'p1',
              certificationCode: 'azure-administrator-associate',
              level: 'associate',
              earnedAt: '2021-03-01T10:00:00.000Z',
              expiresAt: '2023-03-01T10:00:00.000Z',
              renewalWindowOpensAt: '2022-09-01T10:00:00.000Z',
              cycle: 1,
              policyVersion: '2020-12-15',
            },
          },
        ]);
    });

    it('R2/R14: from 2021-06-30T00:00Z the one-year validity applies, to the instant', () => {
      spec
        .given([])
        .when(earn('2021-06-30T00:00:00Z'), ctx('2021-07-01T00:00:00Z'))
        .thenMatches([{ data: { expiresAt: '2022-06-30T00:00:00.000Z', policyVersion: '2021-06-30' } }]);
      spec
        .given([])
        .when(earn('2021-06-29T23:59:59Z'), ctx('2021-07-01T00:00:00Z'))
        .thenMatches([{ data: { expiresAt: '2023-06-29T23:59:59.000Z', policyVersion: '2020-12-15' } }]);
    });

    it('R3: month-end arithmetic in UTC: earned 31 Aug, the window opens on 28 Feb (29 in a leap year)', () => {
      spec
        .given([])
        .when(earn('2021-08-31T12:00:00Z'), ctx('2021-08-31T12:00:00Z'))
        .thenMatches([{ data: { expiresAt: '2022-08-31T12:00:00.000Z', renewalWindowOpensAt: '2022-02-28T12:00:00.000Z' } }]);
      spec
        .given([])
        .when(earn('2023-08-31T12:00:00Z'), ctx('2023-08-31T12:00:00Z'))
        .thenMatches([{ data: { expiresAt: '2024-08-31T12:00:00.000Z', renewalWindowOpensAt: '2024-02-29T12:00:00.000Z' } }]);
    });

    it('R1: fundamentals never expire: no expiry and no window', () => {
      spec
        .given([])
        .when(earn('2024-01-10T00:00:00Z', true, 'p1', 'azure-fundamentals'), ctx('2024-01-10T00:00:00Z', 'azure-fundamentals'))
        .thenMatches([{ type: 'CertificationEarned', data: { level: 'fundamentals', expiresAt: null, renewalWindowOpensAt: null } }]);
    });

    it('R10: an expert is refused while no prerequisite is held and active', () => {
      spec
        .given([])
        .when(
          earn('2024-01-10T00:00:00Z', false, 'p1', 'azure-solutions-architect-expert'),
          ctx('2024-01-10T00:00:00Z', 'azure-solutions-architect-expert'),
        )
        .thenThrows('PREREQUISITE_NOT_MET');
    });

    it('R10: an expert is earned when a prerequisite is active', () => {
      spec
        .given([])
        .when(
          earn('2024-01-10T00:00:00Z', true, 'p1', 'azure-solutions-architect-expert'),
          ctx('2024-01-10T00:00:00Z', 'azure-solutions-architect-expert'),
        )
        .thenMatches([{ type: 'CertificationEarned', data: { level: 'expert', expiresAt: '2025-01-10T00:00:00.000Z' } }]);
    });

    it('R14: an earning before the first policy took effect is refused as invalid', () => {
      spec.given([]).when(earn('2019-01-01T00:00:00Z'), ctx('2024-01-01T00:00:00Z')).thenThrows('VALIDATION_FAILED');
    });

    it('R6: a renewal attempt on a holding that does not exist is refused', () => {
      spec.given([]).when(attempt('a1', true), ctx('2024-01-01T00:00:00Z')).thenThrows('HOLDING_NOT_FOUND');
    });
  });

  describe('when the expiry has passed', () => {
    const history = earned('2024-01-15T09:00:00Z');

    it('R9: it expires at its expiry instant, once', () => {
      const expired = spec
        .given(history)
        .when({ type: 'ExpireHolding' }, ctx('2025-01-15T09:00:00Z'))
        .thenMatches([{ type: 'CertificationExpired', data: { expiredAt: '2025-01-15T09:00:00.000Z', policyVersion: '2021-06-30' } }]);
      spec
        .given([...history, ...expired])
        .when({ type: 'ExpireHolding' }, ctx('2025-02-01T00:00:00Z'))
        .thenNothing();
    });

    it('R9: a renewal attempt after the expiry is refused even before the expiry is recorded', () => {
      spec.given(history).when(attempt('a1', true), ctx('2025-01-15T09:00:00Z')).thenThrows('CERTIFICATION_EXPIRED');
    });

    it('R9: the window is not opened once the expiry has passed', () => {
      spec.given(history).when({ type: 'OpenRenewalWindow' }, ctx('2025-01-16T00:00:00Z')).thenNothing();
    });

    it('R9: passing the exam again starts a new cycle in the same holding, history kept', () => {
      const expired = after(history, { type: 'ExpireHolding' }, '2025-01-15T09:00:00Z');
      const again = spec
        .given(expired)
        .when(earn('2025-03-01T00:00:00Z'), ctx('2025-03-01T00:00:00Z'))
        .thenMatches([
          { type: 'CertificationEarned', data: { cycle: 2, earnedAt: '2025-03-01T00:00:00.000Z', expiresAt: '2026-03-01T00:00:00.000Z' } },
        ]);
      const state = [...expired, ...again].reduce(evolveHolding, initialHoldingState);
      expect(state).toMatchObject({ status: 'held', cycle: 2, expired: false });
    });

    it('R9: an earning after an unrecorded expiry records the expiry first', () => {
      spec
        .given(history)
        .when(earn('2025-03-01T00:00:00Z'), ctx('2025-03-01T00:00:00Z'))
        .thenMatches([
          { type: 'CertificationExpired', data: { expiredAt: '2025-01-15T09:00:00.000Z' } },
          { type: 'CertificationEarned', data: { cycle: 2 } },
        ]);
    });

    it('R9 before R7: when several rules refuse, the first in contract order answers', () => {
      spec
        .given(history)
        .when(attempt('a1', true, 'it', false), ctx('2025-02-01T00:00:00Z'))
        .thenThrows('CERTIFICATION_EXPIRED');
    });
  });

  describe('when a fundamentals certification is held', () => {
    const history = earned('2024-01-10T00:00:00Z', 'azure-fundamentals');
    const f = (now: string): HoldingContext => ctx(now, 'azure-fundamentals');

    it('R1: it is never renewable', () => {
      spec.given(history).when(attempt('a1', true), f('2030-01-01T00:00:00Z')).thenThrows('NOT_RENEWABLE');
    });

    it('R1: it never expires', () => {
      spec.given(history).when({ type: 'ExpireHolding' }, f('2099-01-01T00:00:00Z')).thenNothing();
    });

    it('R6: passing its exam again changes nothing', () => {
      spec
        .given(history)
        .when(earn('2030-01-01T00:00:00Z', true, 'p1', 'azure-fundamentals'), f('2030-01-01T00:00:00Z'))
        .thenThrows('EXAM_DOES_NOT_RENEW');
    });
  });

  describe('R10: each holding lives on its own', () => {
    it('an expert stays active when the associate it was earned on expires, and renews on its own', () => {
      const expert = earned('2024-03-01T00:00:00Z', 'azure-solutions-architect-expert');
      const c = (now: string): HoldingContext => ctx(now, 'azure-solutions-architect-expert');
      // The associate expiring is not an event of this stream: the expert's expiry is its own.
      spec.given(expert).when({ type: 'ExpireHolding' }, c('2025-02-28T23:59:59Z')).thenNothing();
      spec
        .given(expert)
        .when(attempt('x1', true), c('2024-10-01T00:00:00Z'))
        .thenMatches([
          { type: 'RenewalWindowOpened' },
          { type: 'AssessmentAttempted' },
          { type: 'CertificationRenewed', data: { certificationCode: 'azure-solutions-architect-expert' } },
        ]);
    });
  });
});
