import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Catalog, Certification } from '../catalog';
import { Policy, PolicyBook } from '../policy';
import { specification } from '../testing/specification';
import { CertificationEarned, evolveHolding, HoldingEvent, HoldingState, initialHoldingState, snapshotOf } from './holding';
import { decideHolding, HoldingCommand, HoldingContext, renewalBlockers } from './holding.decide';

const root = join(__dirname, '..', '..', '..', '..', 'config');
const catalog = Catalog.parse(JSON.parse(readFileSync(join(root, 'catalog.json'), 'utf8')));
const policies = PolicyBook.parse(JSON.parse(readFileSync(join(root, 'policy.json'), 'utf8')));
const cert = (code: string): Certification => catalog.get(code) as Certification;

const spec = specification<HoldingCommand, HoldingEvent, HoldingState, HoldingContext>({
  decide: decideHolding,
  evolve: evolveHolding,
  initialState: initialHoldingState,
});

const ctx = (now: string, code = 'azure-administrator-associate'): HoldingContext => ({
  now: new Date(now),
  policies,
  certification: cert(code),
});

const earn = (earnedAt: string, prerequisiteActive = true, profileId = 'p1', code = 'azure-administrator-associate'): HoldingCommand => ({
  type: 'EarnCertification',
  data: { holdingId: `${profileId}.${code}`, profileId, earnedAt: new Date(earnedAt), prerequisiteActive },
});

const attempt = (attemptId: string, passed: boolean, language = 'en', profileLinked = true): HoldingCommand => ({
  type: 'AttemptRenewal',
  data: { attemptId, passed, score: passed ? 800 : 500, language, profileLinked },
});

/** The events of an earning, decided for real so that givens stay consistent with the decider. */
function earned(earnedAt: string, code = 'azure-administrator-associate'): HoldingEvent[] {
  return decideHolding(earn(earnedAt, true, 'p1', code), initialHoldingState, ctx(earnedAt, code));
}

function after(events: HoldingEvent[], command: HoldingCommand, now: string, code = 'azure-administrator-associate'): HoldingEvent[] {
  const state = events.reduce(evolveHolding, initialHoldingState);
  return [...events, ...decideHolding(command, state, ctx(now, code))];
}

describe('holding decider', () => {
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

    it('R3: the scheduler cannot open the window early', () => {
      spec.given(history).when({ type: 'OpenRenewalWindow' }, ctx('2024-07-15T08:59:59Z')).thenNothing();
    });

    it('R9: the holding cannot be expired before its expiry', () => {
      spec.given(history).when({ type: 'ExpireHolding' }, ctx('2025-01-15T08:59:59Z')).thenNothing();
    });
  });

  describe('when the window has opened', () => {
    const history = earned('2024-01-15T09:00:00Z');

    it('R3/R4: the scheduler opens the window once, at its instant, recording the policy in force then', () => {
      const opened = spec
        .given(history)
        .when({ type: 'OpenRenewalWindow' }, ctx('2024-07-15T09:00:00Z'))
        .thenMatches([
          {
            type: 'RenewalWindowOpened',
            data: {
              windowId: 'p1.azure-administrator-associate@2025-01-15T09:00:00.000Z',
              opensAt: '2024-07-15T09:00:00.000Z',
              policyVersion: '2021-06-30',
            },
          },
        ]);
      spec
        .given([...history, ...opened])
        .when({ type: 'OpenRenewalWindow' }, ctx('2024-07-16T00:00:00Z'))
        .thenNothing();
    });

    it('R4: the eligibility notification is recorded once per window', () => {
      const opened = after(history, { type: 'OpenRenewalWindow' }, '2024-07-15T09:00:00Z');
      const windowId = 'p1.azure-administrator-associate@2025-01-15T09:00:00.000Z';
      const notified = spec
        .given(opened)
        .when({ type: 'RecordEligibilityNotified', data: { windowId, notificationId: 'n1' } }, ctx('2024-07-15T09:01:00Z'))
        .thenMatches([{ type: 'RenewalEligibilityNotified', data: { windowId, notificationId: 'n1' } }]);
      spec
        .given([...opened, ...notified])
        .when({ type: 'RecordEligibilityNotified', data: { windowId, notificationId: 'n1' } }, ctx('2024-07-15T09:02:00Z'))
        .thenNothing();
    });

    it('R4: a notification sent as its window ended (renewed before the record) is still recorded, once', () => {
      const windowId = 'p1.azure-administrator-associate@2025-01-15T09:00:00.000Z';
      const record = { type: 'RecordEligibilityNotified' as const, data: { windowId, notificationId: 'n1' } };
      const renewed = after(
        after(history, { type: 'OpenRenewalWindow' }, '2024-07-15T09:00:00Z'),
        attempt('a1', true),
        '2024-07-15T09:00:30Z',
      );
      expect(renewed.map((event) => event.type)).toContain('CertificationRenewed');
      const notified = spec
        .given(renewed)
        .when(record, ctx('2024-07-15T09:01:00Z'))
        .thenMatches([
          { type: 'RenewalEligibilityNotified', data: { windowId, notificationId: 'n1', notifiedAt: '2024-07-15T09:01:00.000Z' } },
        ]);
      spec
        .given([...renewed, ...notified])
        .when(record, ctx('2024-07-15T09:02:00Z'))
        .thenNothing();
    });

    it('R4: a window that never opened and ended (expired, earned again) had no notification to record', () => {
      const windowId = 'p1.azure-administrator-associate@2025-01-15T09:00:00.000Z';
      const expired = after(history, { type: 'ExpireHolding' }, '2025-01-15T09:00:00Z');
      const again = after(expired, earn('2025-03-01T00:00:00Z'), '2025-03-01T00:00:00Z');
      spec
        .given(again)
        .when({ type: 'RecordEligibilityNotified', data: { windowId, notificationId: 'n1' } }, ctx('2025-03-01T00:01:00Z'))
        .thenNothing();
    });

    it('R4: a window that opened, expired unrenewed and was earned again can still record its notification', () => {
      const windowId = 'p1.azure-administrator-associate@2025-01-15T09:00:00.000Z';
      const opened = after(history, { type: 'OpenRenewalWindow' }, '2024-07-15T09:00:00Z');
      const again = after(
        after(opened, { type: 'ExpireHolding' }, '2025-01-15T09:00:00Z'),
        earn('2025-03-01T00:00:00Z'),
        '2025-03-01T00:00:00Z',
      );
      spec
        .given(again)
        .when({ type: 'RecordEligibilityNotified', data: { windowId, notificationId: 'n1' } }, ctx('2025-03-01T00:01:00Z'))
        .thenMatches([{ type: 'RenewalEligibilityNotified', data: { windowId } }]);
    });

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

  describe('R12: merges move holdings', () => {
    const history = earned('2024-01-15T09:00:00Z');
    const mergeOut: HoldingCommand = {
      type: 'MergeHoldingOut',
      data: { mergeId: 'm1', toProfileId: 'p2', toHoldingId: 'p2.azure-administrator-associate' },
    };

    it('the source holding moves out once and then refuses every command', () => {
      const out = spec
        .given(history)
        .when(mergeOut, ctx('2024-03-01T00:00:00Z'))
        .thenMatches([{ type: 'HoldingMergedOut', data: { toProfileId: 'p2' } }]);
      spec
        .given([...history, ...out])
        .when(mergeOut, ctx('2024-03-01T00:00:01Z'))
        .thenNothing();
      spec
        .given([...history, ...out])
        .when(attempt('a1', true), ctx('2024-08-01T00:00:00Z'))
        .thenThrows('PROFILE_MERGED');
      spec
        .given([...history, ...out])
        .when(earn('2026-01-01T00:00:00Z'), ctx('2026-01-01T00:00:00Z'))
        .thenThrows('PROFILE_MERGED');
    });

    it('the target adopts the moved holding with its expiry and window when it had none', () => {
      const source = history.reduce(evolveHolding, initialHoldingState);
      if (source.status !== 'held') throw new Error('setup');
      const mergedIn = spec
        .given([])
        .when(
          {
            type: 'MergeHoldingIn',
            data: {
              mergeId: 'm1',
              holdingId: 'p2.azure-administrator-associate',
              profileId: 'p2',
              fromProfileId: 'p1',
              fromHoldingId: 'p1.azure-administrator-associate',
              snapshot: snapshotOf(source),
            },
          },
          ctx('2024-03-01T00:00:00Z'),
        )
        .thenMatches([{ type: 'HoldingMergedIn', data: { adopted: true } }]);
      const target = mergedIn.reduce(evolveHolding, initialHoldingState);
      expect(target).toMatchObject({
        status: 'held',
        profileId: 'p2',
        expiresAt: '2025-01-15T09:00:00.000Z',
        window: { id: 'p2.azure-administrator-associate@2025-01-15T09:00:00.000Z' },
      });
    });

    it('when both held it, the one valid longer survives', () => {
      const older = earned('2023-06-01T00:00:00Z').reduce(evolveHolding, initialHoldingState); // expires 2024-06-01, before the target's
      if (older.status !== 'held') throw new Error('setup');
      const targetHistory: HoldingEvent[] = [
        {
          ...(earned('2024-01-15T09:00:00Z')[0] as CertificationEarned),
          data: {
            ...(earned('2024-01-15T09:00:00Z')[0] as CertificationEarned).data,
            profileId: 'p2',
            holdingId: 'p2.azure-administrator-associate',
          },
        },
      ];
      spec
        .given(targetHistory)
        .when(
          {
            type: 'MergeHoldingIn',
            data: {
              mergeId: 'm1',
              holdingId: 'p2.azure-administrator-associate',
              profileId: 'p2',
              fromProfileId: 'p1',
              fromHoldingId: 'p1.azure-administrator-associate',
              snapshot: snapshotOf(older),
            },
          },
          ctx('2024-03-01T00:00:00Z'),
        )
        .thenMatches([{ type: 'HoldingMergedIn', data: { adopted: false } }]);
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
