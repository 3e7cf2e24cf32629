import { addDuration } from '@recert/kernel/pure';
import { DomainError } from '../errors';
import type { HoldingEvent, OverrideActors } from './events';
import { HoldingContext, heldOrRefused, isExpiredAt } from './rules';
import type { HoldingState } from './state';

/** R26/R27: one approved override's effect on one holding, both actors named. */
export type ApplyOverride = OverrideActors & {
  kind: 'extend-expiry' | 'reopen-window' | 'grant-attempts' | 'revoke';
  reason: string;
  /** extend-expiry and reopen-window: an ISO 8601 duration (bounded by R23 at the request). */
  by?: string;
  /** grant-attempts: how many. */
  attempts?: number;
};

export type ApplyOverrideCommand = { type: 'ApplyOverride'; data: ApplyOverride };

/**
 * R26/R27: an approved override's effect, once per override id (a resumed or repeated approval adds nothing).
 * Refused with the rule that stands in the way, so a bulk run reports each refusal with its code (R28).
 */
export function decideOverrideEffect(o: ApplyOverride, given: HoldingState, context: HoldingContext): HoldingEvent[] {
  const code = context.certification.code;
  const state = heldOrRefused(given, code);
  if ((state.overrideIds ?? []).includes(o.overrideId)) return [];
  if (state.revoked) throw new DomainError('HOLDING_REVOKED', `${code} is revoked: only earning it again changes it (R15)`);
  const now = context.now;
  const at = now.toISOString();
  const actors: OverrideActors = { overrideId: o.overrideId, requestedBy: o.requestedBy, approvedBy: o.approvedBy };
  const subject = {
    holdingId: state.holdingId,
    profileId: state.profileId,
    certificationCode: state.certificationCode,
    cycle: state.cycle,
  };
  const expired = isExpiredAt(state, now);
  if (o.kind === 'revoke') {
    return [{ type: 'CertificationRevoked', data: { ...subject, reason: o.reason, revokedAt: at, override: actors } }];
  }
  if (state.expiresAt === null) throw new DomainError('NOT_RENEWABLE', `${code} never expires: there is no expiry to move (R1)`);
  const policy = context.policies.atOrFirst(now);
  switch (o.kind) {
    case 'extend-expiry':
    case 'reopen-window': {
      const by = o.by ?? '';
      if (o.kind === 'extend-expiry' && expired)
        throw new DomainError('CERTIFICATION_EXPIRED', `It expired at ${state.expiresAt}: reopen its window instead (R27)`);
      if (o.kind === 'reopen-window' && !expired)
        throw new DomainError(
          'OVERRIDE_NOT_APPLICABLE',
          `Its window is not closed: it expires at ${state.expiresAt}; extend it instead (R27)`,
        );
      // Extended from the current expiry (like a renewal, R5); reopened from now, the old expiry having passed.
      const to = addDuration(o.kind === 'extend-expiry' ? new Date(state.expiresAt) : now, by);
      const data = {
        ...subject,
        ...actors,
        by,
        from: state.expiresAt,
        to: to.toISOString(),
        renewalWindowOpensAt: context.policies.windowOpensAt(to).opensAt.toISOString(),
        reason: o.reason,
        policyVersion: policy.version,
      };
      return o.kind === 'extend-expiry'
        ? [{ type: 'HoldingExpiryExtended', data: { ...data, extendedAt: at } }]
        : [{ type: 'RenewalWindowReopened', data: { ...data, reopenedAt: at } }];
    }
    case 'grant-attempts': {
      const window = state.window;
      if (expired) throw new DomainError('CERTIFICATION_EXPIRED', `It expired at ${state.expiresAt}: reopen its window first (R27)`);
      if (!window || now.getTime() < Date.parse(window.opensAt))
        throw new DomainError('WINDOW_NOT_OPEN', `The renewal window opens at ${window?.opensAt ?? 'no date'} (R3)`);
      const attempts = o.attempts ?? 1;
      const free = Math.max(window.attempts, policy.retakes.immediateAttempts, window.cooldownFreeUntil ?? 0);
      return [
        {
          type: 'RenewalAttemptsGranted',
          data: {
            ...subject,
            ...actors,
            windowId: window.id,
            attempts,
            cooldownFreeUntil: free + attempts,
            reason: o.reason,
            grantedAt: at,
          },
        },
      ];
    }
    default: {
      const unknown: never = o.kind;
      return unknown;
    }
  }
}
