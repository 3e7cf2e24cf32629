import { Policy, policyInstant } from '../policy';
import type { AssessmentAttempted, HoldingEvent } from './events';
import { Blocker, HoldingContext, isExpiredAt, isSuspendedAt, mergedBlocker, policyAt, refuse, withPolicyWindow } from './rules';
import type { HeldState, HoldingState } from './state';
import { windowOpenedEvent } from './window';

export type AttemptRenewalCommand = {
  type: 'AttemptRenewal';
  data: {
    attemptId: string;
    passed: boolean;
    score: number | null;
    language: string;
    /** R7, from the profile. */ profileLinked: boolean;
  };
};

/** When the next attempt is allowed in the current window (R8): at once for the first immediateAttempts. */
export function nextAttemptAllowedAt(state: HeldState, policy: Policy): Date | null {
  const window = state.window;
  // R27: attempts an override granted wait no cooldown either.
  const free = Math.max(policy.retakes.immediateAttempts, window?.cooldownFreeUntil ?? 0);
  if (!window || window.attempts < free || window.lastAttemptAt === null) return null;
  return policyInstant(new Date(window.lastAttemptAt), policy.retakes.cooldown, policy, 'retakes.cooldown');
}

/** R13: BCP 47 tags compare case-insensitively (RFC 5646 2.1.1): EN is en, zh-hans is zh-Hans (#16.14). */
export function offersLanguage(offered: readonly string[], tag: string): boolean {
  const wanted = tag.toLowerCase();
  return offered.some((language) => language.toLowerCase() === wanted);
}

/** R8: an attempt id seen before, in this window or an earlier one, is the same attempt: idempotent, never refused. */
export function attemptSeen(state: HeldState, attemptId: string): boolean {
  return (state.window?.attemptIds.includes(attemptId) ?? false) || (state.earlierAttemptIds ?? []).includes(attemptId);
}

/**
 * Every rule that would refuse a renewal attempt now, in contract order. The decider refuses with the first;
 * the dashboard shows them all as `blockedBy`. `language` is left out when not known (the dashboard).
 */
export function renewalBlockers(
  given: HoldingState,
  context: HoldingContext,
  attempt: { profileLinked: boolean; language?: string },
): Blocker[] {
  const state = withPolicyWindow(given, context.policies);
  if (state.status === 'none') return [{ code: 'HOLDING_NOT_FOUND', detail: `The profile does not hold ${context.certification.code}` }];
  if (state.status === 'merged-out') return [mergedBlocker(state)];
  const blockers: Blocker[] = [];
  const now = context.now;
  if (state.revoked) {
    blockers.push({ code: 'HOLDING_REVOKED', detail: `${context.certification.code} was revoked; pass the exam to earn it again (R15)` });
  } else {
    const expired = isExpiredAt(state, now);
    if (!expired && isSuspendedAt(state, now)) {
      const until = state.suspension?.until;
      blockers.push({
        code: 'HOLDING_SUSPENDED',
        detail: until ? `The holding is suspended until ${until} (R16)` : 'The holding is suspended until reinstated (R16)',
      });
    }
    if (state.expiresAt === null || state.window === null) {
      blockers.push({
        code: 'NOT_RENEWABLE',
        detail: `${context.certification.code} is a fundamentals certification: it never expires (R1)`,
      });
    } else if (expired) {
      blockers.push({ code: 'CERTIFICATION_EXPIRED', detail: `It expired at ${state.expiresAt}; pass the exam to earn it again (R9)` });
    } else if (now.getTime() < Date.parse(state.window.opensAt)) {
      blockers.push({
        code: 'WINDOW_NOT_OPEN',
        detail: `The renewal window opens at ${state.window.opensAt} (R3)`,
        extensions: { renewalWindowOpensAt: state.window.opensAt },
      });
    }
  }
  if (!attempt.profileLinked) {
    blockers.push({ code: 'PROFILE_NOT_LINKED', detail: 'Link the certification profile to a learn profile first (R7)' });
  }
  if (attempt.language !== undefined && !offersLanguage(context.certification.languages, attempt.language)) {
    blockers.push({
      code: 'LANGUAGE_NOT_OFFERED',
      detail: `The assessment is offered in ${context.certification.languages.join(', ')}, not ${attempt.language} (R13)`,
    });
  }
  const policy = context.policies.atOrFirst(now);
  const next = nextAttemptAllowedAt(state, policy);
  if (next && now.getTime() < next.getTime()) {
    const retryAfter = Math.ceil((next.getTime() - now.getTime()) / 1000);
    blockers.push({
      code: 'RETAKE_COOLDOWN',
      detail: `From attempt ${policy.retakes.immediateAttempts + 1} on, each waits ${policy.retakes.cooldown} after the previous (R8)`,
      extensions: { nextAttemptAllowedAt: next.toISOString(), retryAfterSeconds: retryAfter },
    });
  }
  return blockers;
}

/** R3-R8, R13: a renewal assessment attempt in the open window; a pass renews from the current expiry (R5). */
export function decideAttempt(command: AttemptRenewalCommand, state: HoldingState, context: HoldingContext): HoldingEvent[] {
  if (state.status === 'held' && attemptSeen(state, command.data.attemptId)) return [];
  const blockers = renewalBlockers(state, context, { profileLinked: command.data.profileLinked, language: command.data.language });
  const first = blockers[0];
  if (first) refuse(first);
  if (state.status !== 'held' || !state.window || state.expiresAt === null) throw new Error('unreachable: blockers cover these states');

  const now = context.now;
  const policy = policyAt(context.policies, now);
  const window = state.window;
  const attempted: AssessmentAttempted = {
    type: 'AssessmentAttempted',
    data: {
      holdingId: state.holdingId,
      profileId: state.profileId,
      certificationCode: state.certificationCode,
      attemptId: command.data.attemptId,
      windowId: window.id,
      attempt: window.attempts + 1,
      passed: command.data.passed,
      score: command.data.score,
      language: command.data.language,
      attemptedAt: now.toISOString(),
      policyVersion: policy.version,
    },
  };
  const events: HoldingEvent[] = [...windowOpenedEvent(state, context), attempted];
  if (command.data.passed) {
    // R5: from the current expiry, not from the pass date.
    const expiresAt = policyInstant(new Date(state.expiresAt), policy.extension, policy, 'extension');
    events.push({
      type: 'CertificationRenewed',
      data: {
        holdingId: state.holdingId,
        profileId: state.profileId,
        certificationCode: state.certificationCode,
        renewedAt: now.toISOString(),
        previousExpiresAt: state.expiresAt,
        expiresAt: expiresAt.toISOString(),
        renewalWindowOpensAt: context.policies.windowOpensAt(expiresAt).opensAt.toISOString(),
        policyVersion: policy.version,
      },
    });
  }
  return events;
}
