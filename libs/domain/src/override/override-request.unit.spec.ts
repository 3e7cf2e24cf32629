import { specification } from '../testing/specification';
import {
  decideOverride,
  evolveOverride,
  initialOverrideState,
  OverrideCommand,
  OverrideContext,
  OverrideEvent,
  OverrideKind,
  OverrideParams,
  overrideReport,
  OverrideState,
  OverrideTarget,
  filterBounds,
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

  it('R23: an extension equal to the validity fits however it is spelled (P1Y, P12M, P365D); a day more does not', () => {
    for (const by of ['P1Y', 'P12M', 'P365D', 'P52W']) {
      spec
        .given([])
        .when(request(by), ctx('2026-03-01T00:00:00Z', 'P1Y'))
        .thenMatches([{ type: 'OverrideRequested', data: { params: { by } } }]);
    }
    spec.given([]).when(request('P12M'), ctx('2026-03-01T00:00:00Z', 'P365D')).thenThrows('OVERRIDE_EXCEEDS_POLICY');
    spec
      .given([])
      .when(request('P1Y'), ctx('2026-03-01T00:00:00Z', 'P12M'))
      .thenMatches([{ type: 'OverrideRequested' }]);
    spec.given([]).when(request('P366D'), ctx('2026-03-01T00:00:00Z', 'P1Y')).thenThrows('OVERRIDE_EXCEEDS_POLICY');
    spec.given([]).when(request('P1Y1D'), ctx('2026-03-01T00:00:00Z', 'P1Y')).thenThrows('OVERRIDE_EXCEEDS_POLICY');
  });

  it('R25: every kind is available, each with its own target and parameters (revoke takes none)', () => {
    const ask = (kind: OverrideKind, params: OverrideParams, t: OverrideTarget = target): OverrideCommand => ({
      type: 'RequestOverride',
      data: { overrideId: 'o1', kind, target: t, params, reason: 'case 12', actor: 'alice' },
    });
    const at = ctx('2026-03-01T00:00:00Z');
    spec
      .given([])
      .when(ask('revoke', { by: 'P1M' }), at)
      .thenMatches([{ data: { kind: 'revoke', params: {} } }]);
    spec
      .given([])
      .when(ask('reopen-window', { by: 'P30D' }), at)
      .thenMatches([{ data: { kind: 'reopen-window', params: { by: 'P30D' } } }]);
    spec
      .given([])
      .when(ask('grant-attempts', { attempts: 2 }), at)
      .thenMatches([{ data: { params: { attempts: 2 } } }]);
    spec
      .given([])
      .when(ask('grant-attempts', { attempts: 0 }), at)
      .thenThrows('VALIDATION_FAILED');
    spec
      .given([])
      .when(ask('grant-attempts', { attempts: 6 }), at)
      .thenThrows('VALIDATION_FAILED');
    spec.given([]).when(ask('reopen-window', {}), at).thenThrows('VALIDATION_FAILED');
    // A single kind names one holding; the bulk one a filter (R28).
    const filter = { filter: { certificationCode: 'c', expiresFrom: '2027-01-01', expiresTo: '2027-01-31T23:59:59Z' } };
    spec
      .given([])
      .when(ask('extend-expiry', { by: 'P1M' }, filter), at)
      .thenThrows('VALIDATION_FAILED');
    spec
      .given([])
      .when(ask('bulk-extend-expiry', { by: 'P1M' }, target), at)
      .thenThrows('VALIDATION_FAILED');
    spec
      .given([])
      .when(ask('bulk-extend-expiry', { by: 'P1M' }, filter), at)
      .thenMatches([{ data: { target: filter } }]);
    spec
      .given([])
      .when(ask('bulk-extend-expiry', { by: 'P2Y' }, filter), at)
      .thenThrows('OVERRIDE_EXCEEDS_POLICY');
    const backwards = { filter: { certificationCode: 'c', expiresFrom: '2027-02-01', expiresTo: '2027-01-01' } };
    spec
      .given([])
      .when(ask('bulk-extend-expiry', { by: 'P1M' }, backwards), at)
      .thenThrows('VALIDATION_FAILED');
  });

  it('R28: filter bounds are dates (midnight UTC) or instants, inclusive, from <= to', () => {
    expect(filterBounds({ certificationCode: 'c', expiresFrom: '2027-01-01', expiresTo: '2027-01-31T12:00:00Z' })).toEqual({
      from: new Date('2027-01-01T00:00:00Z'),
      to: new Date('2027-01-31T12:00:00Z'),
    });
    expect(filterBounds({ certificationCode: 'c', expiresFrom: 'soon', expiresTo: '2027-01-31' })).toBeNull();
  });

  it('R26: an approved request is completed once with its report; before approval or after completion nothing', () => {
    const report = overrideReport([{ profileId: 'p1', certificationCode: 'c', outcome: 'extended', from: 'a', to: 'b' }]);
    const approved = [
      ...requested,
      {
        type: 'OverrideApproved',
        data: { overrideId: 'o1', requestedBy: 'alice', approvedBy: 'bob', approvedAt: '2026-03-02T00:00:00.000Z' },
      },
    ] as OverrideEvent[];
    spec.given(requested).when({ type: 'CompleteOverride', data: { report } }, ctx('2026-03-02T00:00:00Z')).thenNothing();
    const completed = spec
      .given(approved)
      .when({ type: 'CompleteOverride', data: { report } }, ctx('2026-03-02T00:00:00Z'))
      .thenMatches([{ type: 'OverrideCompleted', data: { requestedBy: 'alice', approvedBy: 'bob', report } }]);
    spec
      .given([...approved, ...completed])
      .when({ type: 'CompleteOverride', data: { report } }, ctx('2026-03-03T00:00:00Z'))
      .thenNothing();
    // The approver asking again after completion is still the same decision: nothing new.
    spec
      .given([...approved, ...completed])
      .when({ type: 'ApproveOverride', data: { actor: 'bob' } }, ctx('2026-03-03T00:00:00Z'))
      .thenNothing();
  });

  it('R29: a report counts every outcome and refusal code, and keeps the first rows of each outcome', () => {
    const rows = Array.from({ length: 25 }, (_, i) => ({
      profileId: `p${i}`,
      certificationCode: 'c',
      outcome: i % 5 === 0 ? ('refused' as const) : ('extended' as const),
      ...(i % 5 === 0 ? { code: 'HOLDING_REVOKED' as const } : {}),
    }));
    const report = overrideReport(rows, 3);
    expect(report.total).toBe(25);
    expect(report.counts).toEqual({ refused: 5, extended: 20 });
    expect(report.refusals).toEqual({ HOLDING_REVOKED: 5 });
    expect(report.rows.extended?.map((row) => row.profileId)).toEqual(['p1', 'p2', 'p3']);
    expect(report.rows.refused).toHaveLength(3);
  });

  it('R45 R22: the requester under another spelling (case, white space, NFD, full-width) still cannot decide; events recorded before keep counting', () => {
    for (const actor of ['Alice', ' alice ', 'ALICE', '\uff41lice']) {
      spec.given(requested).when({ type: 'ApproveOverride', data: { actor } }, ctx('2026-03-02T00:00:00Z')).thenThrows('FORBIDDEN');
    }
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
