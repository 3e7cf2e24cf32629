import { addDuration, isDuration, parseDuration } from '@recert/kernel/pure';
import { DomainError } from '../errors';
import type { Decider } from '../decider';
import { overrideStream } from '../streams';

/**
 * An override request under four eyes (#14.1), one stream `override-<id>`: an admin requests, a different admin
 * approves or rejects, and an undecided request expires after OVERRIDE_REQUEST_TTL of domain time (R22..R25).
 */
export const OVERRIDE_KINDS = ['extend-expiry', 'reopen-window', 'grant-attempts', 'revoke', 'bulk-extend-expiry'] as const;
export type OverrideKind = (typeof OVERRIDE_KINDS)[number];
/** Kinds whose effect is not built yet: revocation lives on a branch not merged (R25). */
export const UNAVAILABLE_OVERRIDE_KINDS: readonly OverrideKind[] = ['revoke', 'reopen-window', 'grant-attempts'];
export const OVERRIDE_REQUEST_TTL = 'P7D';

export type OverrideTarget =
  | { profileId: string; certificationCode: string }
  | { filter: { certificationCode: string; expiresFrom: string; expiresTo: string } };

export type OverrideRequested = {
  type: 'OverrideRequested';
  data: {
    overrideId: string;
    kind: OverrideKind;
    target: OverrideTarget;
    params: { by: string };
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
export type OverrideEvent = OverrideRequested | OverrideApproved | OverrideRejected | OverrideRequestExpired;

export type OverrideState =
  | { status: 'none' }
  | { status: 'pending' | 'approved' | 'rejected' | 'expired'; request: OverrideRequested['data']; decidedBy: string | null };

export const initialOverrideState: OverrideState = { status: 'none' };

export type OverrideCommand =
  | {
      type: 'RequestOverride';
      data: { overrideId: string; kind: OverrideKind; target: OverrideTarget; params: { by: string }; reason: string; actor: string };
    }
  | { type: 'ApproveOverride'; data: { actor: string } }
  | { type: 'RejectOverride'; data: { actor: string; reason: string | null } }
  | { type: 'ExpireOverrideRequest' };

export interface OverrideContext {
  now: Date;
  /** The longest extension the policy allows (R23): the validity of the target's level under the policy in force now. */
  maxExtension: string | null;
}

export function evolveOverride(state: OverrideState, event: OverrideEvent): OverrideState {
  switch (event.type) {
    case 'OverrideRequested':
      return { status: 'pending', request: event.data, decidedBy: null };
    case 'OverrideApproved':
      return state.status === 'none' ? state : { ...state, status: 'approved', decidedBy: event.data.approvedBy };
    case 'OverrideRejected':
      return state.status === 'none' ? state : { ...state, status: 'rejected', decidedBy: event.data.rejectedBy };
    case 'OverrideRequestExpired':
      return state.status === 'none' ? state : { ...state, status: 'expired' };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

/** Days as an upper bound of a duration, so two durations compare without an anchor date. */
function approximateDays(duration: string): number {
  const d = parseDuration(duration);
  return d.years * 366 + d.months * 31 + d.weeks * 7 + d.days + (d.hours * 3600 + d.minutes * 60 + d.seconds) / 86400;
}
function minimumDays(duration: string): number {
  const d = parseDuration(duration);
  return d.years * 365 + d.months * 28 + d.weeks * 7 + d.days + (d.hours * 3600 + d.minutes * 60 + d.seconds) / 86400;
}

function requireDecidable(state: OverrideState, now: Date): Extract<OverrideState, { request: unknown }> {
  if (state.status === 'none') throw new DomainError('OVERRIDE_NOT_FOUND', 'No such override request');
  if (state.status === 'expired' || (state.status === 'pending' && now.getTime() >= Date.parse(state.request.expiresAt))) {
    throw new DomainError('OVERRIDE_REQUEST_EXPIRED', `The request expired unapproved at ${state.request.expiresAt} (R24)`);
  }
  return state;
}

export function decideOverride(command: OverrideCommand, state: OverrideState, context: OverrideContext): OverrideEvent[] {
  const now = context.now;
  switch (command.type) {
    case 'RequestOverride': {
      const d = command.data;
      if (state.status !== 'none') throw new DomainError('VALIDATION_FAILED', `An override request ${d.overrideId} exists`);
      if (UNAVAILABLE_OVERRIDE_KINDS.includes(d.kind)) {
        throw new DomainError('OVERRIDE_KIND_UNAVAILABLE', `Overrides of kind ${d.kind} are not available yet (R25)`);
      }
      if (d.reason.trim().length === 0) throw new DomainError('VALIDATION_FAILED', 'A reason is required (R22)');
      const by = d.params.by;
      if (!isDuration(by) || minimumDays(by) <= 0) throw new DomainError('VALIDATION_FAILED', 'params.by: a positive ISO 8601 duration');
      if (context.maxExtension === null || approximateDays(by) > minimumDays(context.maxExtension)) {
        throw new DomainError(
          'OVERRIDE_EXCEEDS_POLICY',
          `An extension of ${by} exceeds what the policy allows (${context.maxExtension ?? 'none: it never expires'}) (R23)`,
        );
      }
      return [
        {
          type: 'OverrideRequested',
          data: {
            overrideId: d.overrideId,
            kind: d.kind,
            target: d.target,
            params: { by },
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
        const same = (current.status === 'approved') === (command.type === 'ApproveOverride') && current.decidedBy === actor;
        if (same) return [];
        throw new DomainError('OVERRIDE_ALREADY_DECIDED', `The request was ${current.status} by ${current.decidedBy ?? 'someone'}`);
      }
      if (actor === current.request.requestedBy) {
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
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

/** One override request under four eyes (`override-<overrideId>`), #14.1. */
export const overrideDecider: Decider<string, OverrideCommand, OverrideState, OverrideEvent, Omit<OverrideContext, 'now'>> = {
  streamOf: (overrideId) => overrideStream(overrideId),
  initialState: initialOverrideState,
  evolve: evolveOverride,
  decide: decideOverride,
};
