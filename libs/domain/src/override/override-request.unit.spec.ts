import { specification } from '../testing/specification';
import {
  decideOverride,
  evolveOverride,
  initialOverrideState,
  OverrideCommand,
  OverrideContext,
  OverrideEvent,
  OverrideState,
} from './override-request';

const spec = specification<OverrideCommand, OverrideEvent, OverrideState, OverrideContext>({
  decide: decideOverride,
  evolve: evolveOverride,
  initialState: initialOverrideState,
});
const ctx = (now: string, maxExtension: string | null = 'P1Y'): OverrideContext => ({ now: new Date(now), maxExtension });
const target = { profileId: 'p1', certificationCode: 'azure-administrator-associate' };
const request = (by = 'P3M', kind: 'extend-expiry' | 'revoke' = 'extend-expiry'): OverrideCommand => ({
  type: 'RequestOverride',
  data: { overrideId: 'o1', kind, target, params: { by }, reason: 'exam platform outage', actor: 'alice' },
});
const requested = decideOverride(request(), initialOverrideState, ctx('2026-03-01T00:00:00Z'));

describe('override request decider (#14.1)', () => {
  it('R22/R24: a request records its requester, reason and when it expires unapproved (7 days of domain time)', () => {
    spec
      .given([])
      .when(request(), ctx('2026-03-01T00:00:00Z'))
      .thenMatches([
        {
          type: 'OverrideRequested',
          data: { requestedBy: 'alice', reason: 'exam platform outage', expiresAt: '2026-03-08T00:00:00.000Z' },
        },
      ]);
  });

  it('R23: an extension beyond the policy validity of the level is refused; fundamentals cannot be extended', () => {
    spec.given([]).when(request('P2Y'), ctx('2026-03-01T00:00:00Z', 'P1Y')).thenThrows('OVERRIDE_EXCEEDS_POLICY');
    spec.given([]).when(request('P1M'), ctx('2026-03-01T00:00:00Z', null)).thenThrows('OVERRIDE_EXCEEDS_POLICY');
    spec.given([]).when(request('P0D'), ctx('2026-03-01T00:00:00Z')).thenThrows('VALIDATION_FAILED');
  });

  it('R25: revoke is accepted as a kind but refused as unavailable until revocation exists', () => {
    spec.given([]).when(request('P1M', 'revoke'), ctx('2026-03-01T00:00:00Z')).thenThrows('OVERRIDE_KIND_UNAVAILABLE');
  });

  it('R22: the requester can never approve or reject; another admin approves, naming both actors', () => {
    spec
      .given(requested)
      .when({ type: 'ApproveOverride', data: { actor: 'alice' } }, ctx('2026-03-02T00:00:00Z'))
      .thenThrows('FORBIDDEN');
    spec
      .given(requested)
      .when({ type: 'RejectOverride', data: { actor: 'alice', reason: null } }, ctx('2026-03-02T00:00:00Z'))
      .thenThrows('FORBIDDEN');
    spec
      .given(requested)
      .when({ type: 'ApproveOverride', data: { actor: 'bob' } }, ctx('2026-03-02T00:00:00Z'))
      .then([
        {
          type: 'OverrideApproved',
          data: { overrideId: 'o1', requestedBy: 'alice', approvedBy: 'bob', approvedAt: '2026-03-02T00:00:00.000Z' },
        },
      ]);
  });

  it('R22: a decided request is decided once: the same approval again is a no-op, a rejection after it refused', () => {
    const approved = [
      ...requested,
      ...decideOverride(
        { type: 'ApproveOverride', data: { actor: 'bob' } },
        evolveOverride(initialOverrideState, requested[0] as OverrideEvent),
        ctx('2026-03-02T00:00:00Z'),
      ),
    ];
    spec
      .given(approved)
      .when({ type: 'ApproveOverride', data: { actor: 'bob' } }, ctx('2026-03-03T00:00:00Z'))
      .thenNothing();
    spec
      .given(approved)
      .when({ type: 'RejectOverride', data: { actor: 'carol', reason: 'no' } }, ctx('2026-03-03T00:00:00Z'))
      .thenThrows('OVERRIDE_ALREADY_DECIDED');
  });

  it('R24: after 7 days undecided the request expires once; approving it then is refused', () => {
    spec.given(requested).when({ type: 'ExpireOverrideRequest' }, ctx('2026-03-07T23:59:59Z')).thenNothing();
    spec
      .given(requested)
      .when({ type: 'ExpireOverrideRequest' }, ctx('2026-03-08T00:00:00Z'))
      .then([{ type: 'OverrideRequestExpired', data: { overrideId: 'o1', requestedBy: 'alice', expiredAt: '2026-03-08T00:00:00.000Z' } }]);
    spec
      .given(requested)
      .when({ type: 'ApproveOverride', data: { actor: 'bob' } }, ctx('2026-03-08T00:00:00Z'))
      .thenThrows('OVERRIDE_REQUEST_EXPIRED');
  });

  it('R22: deciding a request that does not exist is refused', () => {
    spec
      .given([])
      .when({ type: 'ApproveOverride', data: { actor: 'bob' } }, ctx('2026-03-02T00:00:00Z'))
      .thenThrows('OVERRIDE_NOT_FOUND');
  });
});
