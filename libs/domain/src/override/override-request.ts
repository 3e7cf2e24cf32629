import { addDuration, eventList, isDuration, sameActor } from '@recert/kernel/pure';
import { nominalMs } from '../policy';
import { DomainError, ErrorCode } from '../errors';
import type { Decider } from '../decider';
import { overrideStream } from '../streams';

/**
 * An override request under four eyes (#14.1), one stream `override-<id>`: an admin requests, a different admin
 * approves or rejects, and an undecided request expires after OVERRIDE_REQUEST_TTL of domain time (R22..R25). An
 * approved request's effect lands on the holdings (R26..R28) and the request is then completed with its report (R29).
 */
export const OVERRIDE_KINDS = ['extend-expiry', 'reopen-window', 'grant-attempts', 'revoke', 'bulk-extend-expiry'] as const;
export type OverrideKind = (typeof OVERRIDE_KINDS)[number];
export const OVERRIDE_REQUEST_TTL = 'P7D';
/** R27: at most this many cooldown-free attempts granted by one override. */
export const MAX_GRANTED_ATTEMPTS = 5;
/** R29: rows kept per outcome in a report (the counts are complete). */
export const OVERRIDE_REPORT_ROWS = 20;

export type OverrideFilter = { certificationCode: string; expiresFrom: string; expiresTo: string };
export type OverrideTarget = { profileId: string; certificationCode: string } | { filter: OverrideFilter };
export type OverrideParams = { by?: string; attempts?: number };

/** One holding's outcome in a report: `refused` rows carry the refusing rule's code. */
export type OverrideOutcome = 'extended' | 'reopened' | 'granted' | 'revoked' | 'refused';
export type OverrideReportRow = {
  profileId: string;
  certificationCode: string;
  outcome: OverrideOutcome;
  from?: string | null;
  to?: string | null;
  code?: ErrorCode;
  detail?: string;
};
/** R29: what an override does (or, dry, would do): counts by outcome, the first rows of each, refusals by code. */
export type OverrideReport = {
  total: number;
  counts: Partial<Record<OverrideOutcome, number>>;
  refusals: Partial<Record<ErrorCode, number>>;
  rows: Partial<Record<OverrideOutcome, OverrideReportRow[]>>;
};

export type OverrideRequested = {
  type: 'OverrideRequested';
  data: {
    overrideId: string;
    kind: OverrideKind;
    target: OverrideTarget;
    params: OverrideParams;
    reason: string;
    requestedBy: string;
    requestedAt: string;
    expiresAt: string;
  };
};
export type OverrideApproved = {
  type: 'OverrideApproved';
  data: { overrideId: string; requestedBy: string; approvedBy: string; approvedAt: string };
};
export type OverrideRejected = {
  type: 'OverrideRejected';
  data: { overrideId: string; requestedBy: string; rejectedBy: string; rejectedAt: string; reason: string | null };
};
export type OverrideRequestExpired = {
  type: 'OverrideRequestExpired';
  data: { overrideId: string; requestedBy: string; expiredAt: string };
};
/** R26/R29: every effect of an approved request landed; the report says what it did. */
export type OverrideCompleted = {
  type: 'OverrideCompleted';
  data: { overrideId: string; requestedBy: string; approvedBy: string; completedAt: string; report: OverrideReport };
};
export type OverrideEvent = OverrideRequested | OverrideApproved | OverrideRejected | OverrideRequestExpired | OverrideCompleted;
export const OVERRIDE_EVENTS = eventList<OverrideEvent>({
  OverrideRequested: true,
  OverrideApproved: true,
  OverrideRejected: true,
  OverrideRequestExpired: true,
  OverrideCompleted: true,
});

export type OverrideStatus = 'pending' | 'approved' | 'completed' | 'rejected' | 'expired';
export type OverrideState =
  | { status: 'none' }
  | { status: OverrideStatus; request: OverrideRequested['data']; decidedBy: string | null; report: OverrideReport | null };

export const initialOverrideState: OverrideState = { status: 'none' };

export type OverrideCommand =
  | {
      type: 'RequestOverride';
      data: { overrideId: string; kind: OverrideKind; target: OverrideTarget; params: OverrideParams; reason: string; actor: string };
    }
  | { type: 'ApproveOverride'; data: { actor: string } }
  | { type: 'RejectOverride'; data: { actor: string; reason: string | null } }
  | { type: 'ExpireOverrideRequest' }
  | { type: 'CompleteOverride'; data: { report: OverrideReport } };

export interface OverrideContext {
  now: Date;
  /** The longest extension the policy allows (R23): the validity of the target's level under the policy in force now. */
  maxExtension: string | null;
}

export function evolveOverride(state: OverrideState, event: OverrideEvent): OverrideState {
  switch (event.type) {
    case 'OverrideRequested':
      return { status: 'pending', request: event.data, decidedBy: null, report: null };
    case 'OverrideApproved':
      return state.status === 'none' ? state : { ...state, status: 'approved', decidedBy: event.data.approvedBy };
    case 'OverrideRejected':
      return state.status === 'none' ? state : { ...state, status: 'rejected', decidedBy: event.data.rejectedBy };
    case 'OverrideRequestExpired':
      return state.status === 'none' ? state : { ...state, status: 'expired' };
    case 'OverrideCompleted':
      return state.status === 'none' ? state : { ...state, status: 'completed', report: event.data.report };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

function requireDecidable(state: OverrideState, now: Date): Extract<OverrideState, { request: unknown }> {
  if (state.status === 'none') throw new DomainError('OVERRIDE_NOT_FOUND', 'No such override request');
  if (state.status === 'expired' || (state.status === 'pending' && now.getTime() >= Date.parse(state.request.expiresAt))) {
    throw new DomainError('OVERRIDE_REQUEST_EXPIRED', `The request expired unapproved at ${state.request.expiresAt} (R24)`);
  }
  return state;
}

const ISO_DAY_OR_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** R28: a filter's bounds as instants (a date alone is its midnight UTC), or null when malformed. */
export function filterBounds(filter: OverrideFilter): { from: Date; to: Date } | null {
  if (!ISO_DAY_OR_INSTANT.test(filter.expiresFrom) || !ISO_DAY_OR_INSTANT.test(filter.expiresTo)) return null;
  const from = new Date(filter.expiresFrom.length === 10 ? `${filter.expiresFrom}T00:00:00Z` : filter.expiresFrom);
  const to = new Date(filter.expiresTo.length === 10 ? `${filter.expiresTo}T00:00:00Z` : filter.expiresTo);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from.getTime() > to.getTime()) return null;
  return { from, to };
}

/** R25: each kind's target shape and parameters; R23: an extension within the policy. */
function checkRequest(d: Extract<OverrideCommand, { type: 'RequestOverride' }>['data'], context: OverrideContext): OverrideParams {
  if (!OVERRIDE_KINDS.includes(d.kind)) throw new DomainError('VALIDATION_FAILED', `kind: one of ${OVERRIDE_KINDS.join(', ')}`);
  if (d.reason.trim().length === 0) throw new DomainError('VALIDATION_FAILED', 'A reason is required (R22)');
  const bulk = d.kind === 'bulk-extend-expiry';
  if (bulk !== 'filter' in d.target) {
    throw new DomainError(
      'VALIDATION_FAILED',
      bulk ? 'target: { filter: { certificationCode, expiresFrom, expiresTo } } (R28)' : 'target: { profileId, certificationCode } (R25)',
    );
  }
  if ('filter' in d.target && filterBounds(d.target.filter) === null) {
    throw new DomainError('VALIDATION_FAILED', 'target.filter: expiresFrom and expiresTo are ISO 8601 dates or instants, from <= to (R28)');
  }
  switch (d.kind) {
    case 'revoke':
      return {};
    case 'grant-attempts': {
      const attempts = d.params.attempts;
      if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 1 || attempts > MAX_GRANTED_ATTEMPTS) {
        throw new DomainError('VALIDATION_FAILED', `params.attempts: an integer from 1 to ${MAX_GRANTED_ATTEMPTS} (R25)`);
      }
      return { attempts };
    }
    case 'extend-expiry':
    case 'reopen-window':
    case 'bulk-extend-expiry': {
      const by = d.params.by;
      if (typeof by !== 'string' || !isDuration(by) || nominalMs(by) <= 0) {
        throw new DomainError('VALIDATION_FAILED', 'params.by: a positive ISO 8601 duration');
      }
      // R23: both sides measured the same nominal way (R14a: a year is 365.2425 days, a month a twelfth of it),
      // so P1Y, P12M and P365D all fit a validity of P1Y and P366D does not.
      if (context.maxExtension === null || nominalMs(by) > nominalMs(context.maxExtension)) {
        throw new DomainError(
          'OVERRIDE_EXCEEDS_POLICY',
          `An extension of ${by} exceeds what the policy allows (${context.maxExtension ?? 'none: it never expires'}) (R23)`,
        );
      }
      return { by };
    }
    default: {
      const unknown: never = d.kind;
      return unknown;
    }
  }
}

export function decideOverride(command: OverrideCommand, state: OverrideState, context: OverrideContext): OverrideEvent[] {
  const now = context.now;
  switch (command.type) {
    case 'RequestOverride': {
      const d = command.data;
      if (state.status !== 'none') throw new DomainError('VALIDATION_FAILED', `An override request ${d.overrideId} exists`);
      const params = checkRequest(d, context);
      return [
        {
          type: 'OverrideRequested',
          data: {
            overrideId: d.overrideId,
            kind: d.kind,
            target: d.target,
            params,
            reason: d.reason,
            requestedBy: d.actor,
            requestedAt: now.toISOString(),
            expiresAt: addDuration(now, OVERRIDE_REQUEST_TTL).toISOString(),
          },
        },
      ];
    }
    case 'ApproveOverride':
    case 'RejectOverride': {
      const current = requireDecidable(state, now);
      const actor = command.data.actor;
      if (current.status !== 'pending') {
        // The same decision again is idempotent; the other one is refused.
        const approvedAlready = current.status === 'approved' || current.status === 'completed';
        const same =
          approvedAlready === (command.type === 'ApproveOverride') && current.decidedBy !== null && sameActor(current.decidedBy, actor);
        if (same) return [];
        throw new DomainError('OVERRIDE_ALREADY_DECIDED', `The request was ${current.status} by ${current.decidedBy ?? 'someone'}`);
      }
      // #22.10: compared canonically, so a second spelling of the requester's subject is still the requester.
      if (sameActor(actor, current.request.requestedBy)) {
        throw new DomainError('FORBIDDEN', 'The admin who requested an override cannot decide it: four eyes (R22)');
      }
      const base = { overrideId: current.request.overrideId, requestedBy: current.request.requestedBy };
      return command.type === 'ApproveOverride'
        ? [{ type: 'OverrideApproved', data: { ...base, approvedBy: actor, approvedAt: now.toISOString() } }]
        : [{ type: 'OverrideRejected', data: { ...base, rejectedBy: actor, rejectedAt: now.toISOString(), reason: command.data.reason } }];
    }
    case 'ExpireOverrideRequest': {
      if (state.status !== 'pending' || now.getTime() < Date.parse(state.request.expiresAt)) return [];
      return [
        {
          type: 'OverrideRequestExpired',
          data: { overrideId: state.request.overrideId, requestedBy: state.request.requestedBy, expiredAt: state.request.expiresAt },
        },
      ];
    }
    case 'CompleteOverride': {
      // R26: recorded once, after every effect landed; a completer asking again adds nothing.
      if (state.status !== 'approved') return [];
      return [
        {
          type: 'OverrideCompleted',
          data: {
            overrideId: state.request.overrideId,
            requestedBy: state.request.requestedBy,
            approvedBy: state.decidedBy ?? '',
            completedAt: now.toISOString(),
            report: command.data.report,
          },
        },
      ];
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

/** R29: a report of per-holding rows, in the order given: complete counts, the first `limit` rows per outcome. */
export function overrideReport(rows: Iterable<OverrideReportRow>, limit = OVERRIDE_REPORT_ROWS): OverrideReport {
  const report: OverrideReport = { total: 0, counts: {}, refusals: {}, rows: {} };
  for (const row of rows) {
    report.total += 1;
    report.counts[row.outcome] = (report.counts[row.outcome] ?? 0) + 1;
    if (row.outcome === 'refused' && row.code) report.refusals[row.code] = (report.refusals[row.code] ?? 0) + 1;
    const kept = (report.rows[row.outcome] ??= []);
    if (kept.length < limit) kept.push(row);
  }
  return report;
}

/** One override request under four eyes (`override-<overrideId>`), #14.1. */
export const overrideDecider: Decider<string, OverrideCommand, OverrideState, OverrideEvent, Omit<OverrideContext, 'now'>> = {
  streamOf: (overrideId) => overrideStream(overrideId),
  events: OVERRIDE_EVENTS,
  initialState: initialOverrideState,
  evolve: evolveOverride,
  decide: decideOverride,
};
