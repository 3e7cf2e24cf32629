import { Policy, PolicyBook } from '../policy';
import { decideHolding, evolveHolding, HoldingContext, initialHoldingState, renewalBlockers } from '.';
import { after, attempt, ctx, earn, earned, policies, spec } from './testing/fixtures';

describe('holding decider: renewal attempts', () => {
  describe('when an associate is held and active, window not yet open', () => {
    const history = earned('2024-01-15T09:00:00Z'); // expires 2025-01-15T09:00Z, window opens 2024-07-15T09:00Z

    it('R6: passing the exam again is refused with a clear reason and changes nothing', () => {
      const error = spec.given(history).when(earn('2024-05-01T00:00:00Z'), ctx('2024-05-01T00:00:00Z')).thenThrows('EXAM_DOES_NOT_RENEW');
      expect(error.detail).toContain('2025-01-15T09:00:00.000Z');
    });

    it('R3: a renewal attempt before the window opens is refused, naming when it opens', () => {
      spec
        .given(history)
        .when(attempt('a1', true), ctx('2024-07-15T08:59:59Z'))
        .thenThrows('WINDOW_NOT_OPEN', { renewalWindowOpensAt: '2024-07-15T09:00:00.000Z' });
    });
  });

  describe('when the window has opened', () => {
    const history = earned('2024-01-15T09:00:00Z');

    it('R5: a pass renews from the current expiry, not from the pass date', () => {
      spec
        .given(history)
        .when(attempt('a1', true), ctx('2024-08-01T00:00:00Z'))
        .thenMatches([
          { type: 'RenewalWindowOpened' },
          { type: 'AssessmentAttempted', data: { attempt: 1, passed: true, language: 'en', attemptedAt: '2024-08-01T00:00:00.000Z' } },
          {
            type: 'CertificationRenewed',
            data: {
              previousExpiresAt: '2025-01-15T09:00:00.000Z',
              expiresAt: '2026-01-15T09:00:00.000Z',
              renewalWindowOpensAt: '2025-07-15T09:00:00.000Z',
              policyVersion: '2021-06-30',
            },
          },
        ]);
    });

    it('R5: after the renewal the next window is closed until six months before the new expiry', () => {
      const renewed = after(history, attempt('a1', true), '2024-08-01T00:00:00Z');
      spec.given(renewed).when(attempt('a2', true), ctx('2024-08-02T00:00:00Z')).thenThrows('WINDOW_NOT_OPEN');
    });

    it('R7: an attempt is refused while the profile is not linked to a learn profile', () => {
      spec
        .given(history)
        .when(attempt('a1', true, 'en', false), ctx('2024-08-01T00:00:00Z'))
        .thenThrows('PROFILE_NOT_LINKED');
    });

    it('R13: an attempt in a language the exam is not offered in is refused', () => {
      spec
        .given(history)
        .when(attempt('a1', true, 'it'), ctx('2024-08-01T00:00:00Z'))
        .thenThrows('LANGUAGE_NOT_OFFERED');
    });

    it('R13: the specialty is offered in en and ja only', () => {
      const specialty = earned('2024-01-15T09:00:00Z', 'azure-virtual-desktop-specialty');
      const c = (now: string): HoldingContext => ctx(now, 'azure-virtual-desktop-specialty');
      spec
        .given(specialty)
        .when(attempt('a1', true, 'de'), c('2024-08-01T00:00:00Z'))
        .thenThrows('LANGUAGE_NOT_OFFERED');
      spec
        .given(specialty)
        .when(attempt('a1', true, 'ja'), c('2024-08-01T00:00:00Z'))
        .thenMatches([{}, { data: { language: 'ja' } }, { type: 'CertificationRenewed' }]);
    });

    it('R8: after a failed first attempt the second follows at once; the third waits 24 h after the second', () => {
      const one = after(history, attempt('a1', false), '2024-08-01T10:00:00Z');
      const two = after(one, attempt('a2', false), '2024-08-01T10:05:00Z');
      expect(two.filter((e) => e.type === 'AssessmentAttempted')).toHaveLength(2);
      spec
        .given(two)
        .when(attempt('a3', false), ctx('2024-08-02T10:04:59Z'))
        .thenThrows('RETAKE_COOLDOWN', { nextAttemptAllowedAt: '2024-08-02T10:05:00.000Z', retryAfterSeconds: 1 });
      const three = spec
        .given(two)
        .when(attempt('a3', false), ctx('2024-08-02T10:05:00Z'))
        .thenMatches([{ data: { attempt: 3 } }]);
      spec
        .given([...two, ...three])
        .when(attempt('a4', true), ctx('2024-08-03T10:04:00Z'))
        .thenThrows('RETAKE_COOLDOWN');
      spec
        .given([...two, ...three])
        .when(attempt('a4', true), ctx('2024-08-03T10:05:00Z'))
        .thenMatches([{ data: { attempt: 4 } }, { type: 'CertificationRenewed' }]);
    });

    it('R8: counting restarts with each new window', () => {
      const one = after(history, attempt('a1', false), '2024-08-01T10:00:00Z');
      const two = after(one, attempt('a2', false), '2024-08-01T10:01:00Z');
      const renewed = after(two, attempt('a3', true), '2024-08-02T10:01:00Z'); // expiry now 2026-01-15, window 2025-07-15
      const next = after(renewed, attempt('b1', false), '2025-07-20T00:00:00Z');
      expect(next[next.length - 1]).toMatchObject({ type: 'AssessmentAttempted', data: { attempt: 1 } });
      spec
        .given(next)
        .when(attempt('b2', false), ctx('2025-07-20T00:00:01Z'))
        .thenMatches([{ data: { attempt: 2 } }]);
    });

    it('R8: an attempt repeated with the same attempt id is recognised and not counted again', () => {
      const one = after(history, attempt('a1', false), '2024-08-01T10:00:00Z');
      spec.given(one).when(attempt('a1', false), ctx('2024-08-01T10:00:01Z')).thenNothing();
    });

    it('R6: passing the exam during the window still does not renew', () => {
      spec.given(history).when(earn('2024-09-01T00:00:00Z'), ctx('2024-09-01T00:00:00Z')).thenThrows('EXAM_DOES_NOT_RENEW');
    });
  });

  describe('#16.7 R14a: a policy stored before the bounds existed', () => {
    it('#16.7 R14a: an earning whose expiry would leave the supported dates is refused (POLICY_OUT_OF_BOUNDS), never a crash', () => {
      const shipped = policies.versions[1] as Policy;
      const legacy = new PolicyBook([
        ...policies.versions,
        {
          ...shipped,
          version: 'legacy',
          effectiveFrom: '2026-01-01T00:00:00.000Z',
          validity: { ...shipped.validity, associate: 'P999999999Y' },
        },
      ]);
      const context = { ...ctx('2026-06-01T00:00:00Z'), policies: legacy };
      expect(() => decideHolding(earn('2026-06-01T00:00:00Z'), initialHoldingState, context)).toThrow(
        expect.objectContaining({ code: 'POLICY_OUT_OF_BOUNDS' }) as Error,
      );
    });
  });

  describe('renewalBlockers (the dashboard blockedBy)', () => {
    it('R3/R7: lists every rule that would refuse an attempt now, in contract order', () => {
      const state = earned('2024-01-15T09:00:00Z').reduce(evolveHolding, initialHoldingState);
      expect(renewalBlockers(state, ctx('2024-02-01T00:00:00Z'), { profileLinked: false }).map((b) => b.code)).toEqual([
        'WINDOW_NOT_OPEN',
        'PROFILE_NOT_LINKED',
      ]);
      expect(renewalBlockers(state, ctx('2024-08-01T00:00:00Z'), { profileLinked: true })).toEqual([]);
    });
  });
});
