import type { Certification } from '../catalog';
import type { Decider } from '../decider';
import { DomainError, ErrorCode } from '../errors';
import { Policy, PolicyBook, policyInstant } from '../policy';
import { holdingStream } from '../streams';
import {
  AssessmentAttempted,
  CertificationExpired,
  HeldState,
  HoldingEvent,
  HoldingSnapshot,
  HoldingState,
  isSuspendedAt,
  evolveHolding,
  initialHoldingState,
  RenewalWindowOpened,
  snapshotOf,
  isActiveAt,
  OverrideActors,
} from './holding';
import { decideImport, ImportCertificationCommand } from './holding.import';
import { addDuration } from '@recert/kernel/pure';

export type HoldingCommand =
  | {
      type: 'EarnCertification';
      data: {
        holdingId: string;
        profileId: string;
        earnedAt: Date;
        /** Computed by the handler from the prerequisite holdings (R10). */ prerequisiteActive: boolean;
        /** Drawn by the handler (random, so never by the decider): the new cycle's public verification id (R19). */
        verificationId?: string;
      };
    }
  | { type: 'RevokeCertification'; data: { reason: string } }
  | { type: 'SuspendCertification'; data: { reason: string; until: Date | null } }
  | { type: 'ReinstateCertification'; data: { reason: string } }
  | { type: 'RotateVerificationId'; data: { verificationId: string } }
  | { type: 'SetVerificationVisibility'; data: { visibility: 'public' | 'private' } }
  | { type: 'ApplyOverride'; data: ApplyOverride }
  | { type: 'OpenRenewalWindow' }
  | { type: 'ExpireHolding' }
  | {
      type: 'AttemptRenewal';
      data: {
        attemptId: string;
        passed: boolean;
        score: number | null;
        language: string;
        /** R7, from the profile. */ profileLinked: boolean;
      };
    }
  | { type: 'RecordEligibilityNotified'; data: { windowId: string; notificationId: string } }
  | { type: 'MergeHoldingOut'; data: { mergeId: string; toProfileId: string; toHoldingId: string } }
  | {
      type: 'MergeHoldingIn';
      data: {
        mergeId: string;
        holdingId: string;
        profileId: string;
        fromProfileId: string;
        fromHoldingId: string;
        snapshot: HoldingSnapshot;
      };
    }
  | ImportCertificationCommand;

/** R26/R27: one approved override's effect on one holding, both actors named. */
export type ApplyOverride = OverrideActors & {
  kind: 'extend-expiry' | 'reopen-window' | 'grant-attempts' | 'revoke';
  reason: string;
  /** extend-expiry and reopen-window: an ISO 8601 duration (bounded by R23 at the request). */
  by?: string;
  /** grant-attempts: how many. */
  attempts?: number;
};

export interface HoldingContext {
  now: Date;
  policies: PolicyBook;
  certification: Certification;
}

export interface Blocker {
  code: ErrorCode;
  detail: string;
  extensions?: Record<string, string | number | boolean>;
}

function policyAt(policies: PolicyBook, at: Date): Policy {
  const policy = policies.inForceAt(at);
  if (!policy) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `No policy is in force at ${at.toISOString()}: the first takes effect ${policies.earliest().effectiveFrom}`,
    );
  }
  return policy;
}

/**
 * The window's opening is a decision taken when it happens (R3, R14): under the policy in force then, which an
 * adoption may have changed since the holding was earned. Recomputed from the book, so the stored value
 * (computed at earning) is informational.
 */
export function withPolicyWindow<S extends HoldingState>(state: S, policies: PolicyBook): S {
  if (state.status !== 'held' || !state.window || state.expiresAt === null) return state;
  const opensAt = policies.windowOpensAt(new Date(state.expiresAt)).opensAt.toISOString();
  return opensAt === state.window.opensAt ? state : { ...state, window: { ...state.window, opensAt } };
}

/** When the next attempt is allowed in the current window (R8): at once for the first immediateAttempts. */
export function nextAttemptAllowedAt(state: HeldState, policy: Policy): Date | null {
  const window = state.window;
  // R27: attempts an override granted wait no cooldown either.
  const free = Math.max(policy.retakes.immediateAttempts, window?.cooldownFreeUntil ?? 0);
  if (!window || window.attempts < free || window.lastAttemptAt === null) return null;
  return policyInstant(new Date(window.lastAttemptAt), policy.retakes.cooldown, policy, 'retakes.cooldown');
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
  if (state.status === 'merged-out') return [{ code: 'PROFILE_MERGED', detail: `This holding moved to profile ${state.toProfileId}` }];
  const blockers: Blocker[] = [];
  const now = context.now;
  if (state.revoked) {
    blockers.push({ code: 'HOLDING_REVOKED', detail: `${context.certification.code} was revoked; pass the exam to earn it again (R15)` });
  } else {
    const expired = state.expiresAt !== null && (state.expired || now.getTime() >= Date.parse(state.expiresAt));
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

function refuse(blocker: Blocker): never {
  throw new DomainError(blocker.code, blocker.detail, blocker.extensions);
}

/** R9: a holding expires at its expiry instant, under the policy in force then. */
function expiredEvent(state: HeldState, expiresAt: string, context: HoldingContext): CertificationExpired {
  return {
    type: 'CertificationExpired',
    data: {
      holdingId: state.holdingId,
      profileId: state.profileId,
      certificationCode: state.certificationCode,
      expiredAt: expiresAt,
      policyVersion: context.policies.atOrFirst(new Date(expiresAt)).version,
    },
  };
}

function windowOpenedEvent(state: HeldState, context: HoldingContext): RenewalWindowOpened[] {
  const window = state.window;
  if (!window || window.opened) return [];
  const policy = context.policies.atOrFirst(new Date(window.opensAt));
  return [
    {
      type: 'RenewalWindowOpened',
      data: {
        holdingId: state.holdingId,
        profileId: state.profileId,
        certificationCode: state.certificationCode,
        windowId: window.id,
        opensAt: window.opensAt,
        expiresAt: window.expiresAt,
        policyVersion: policy.version,
      },
    },
  ];
}

function decideEarn(
  command: Extract<HoldingCommand, { type: 'EarnCertification' }>,
  state: HoldingState,
  context: HoldingContext,
): HoldingEvent[] {
  const { certification } = context;
  const earnedAt = command.data.earnedAt;
  if (state.status === 'merged-out') throw new DomainError('PROFILE_MERGED', `This holding moved to profile ${state.toProfileId}`);
  if (certification.prerequisites.length > 0 && !command.data.prerequisiteActive) {
    throw new DomainError(
      'PREREQUISITE_NOT_MET',
      `Earning ${certification.code} needs one of ${certification.prerequisites.join(', ')} held and active (R10)`,
    );
  }
  const policy = policyAt(context.policies, earnedAt);
  const events: HoldingEvent[] = [];
  let cycle = 1;
  if (state.status === 'held' && state.revoked) {
    // R15: a revoked holding is earned again at once, whatever its expiry: a new cycle.
    cycle = state.cycle + 1;
  } else if (state.status === 'held') {
    if (state.expiresAt === null || Date.parse(state.expiresAt) > earnedAt.getTime()) {
      throw new DomainError(
        'EXAM_DOES_NOT_RENEW',
        state.expiresAt === null
          ? `${certification.code} is held and never expires; passing the exam again changes nothing (R6)`
          : `${certification.code} is active until ${state.expiresAt}; only the renewal assessment renews it (R6)`,
      );
    }
    if (!state.expired) {
      // The previous cycle ended at its expiry instant even if the scheduler had not recorded it yet (R9).
      events.push(expiredEvent(state, state.expiresAt, context));
    }
    cycle = state.cycle + 1;
  }
  const validity = policy.validity[certification.level];
  const expiresAt = validity === null ? null : policyInstant(earnedAt, validity, policy, `validity.${certification.level}`);
  events.push({
    type: 'CertificationEarned',
    data: {
      holdingId: command.data.holdingId,
      profileId: command.data.profileId,
      certificationCode: certification.code,
      level: certification.level,
      earnedAt: earnedAt.toISOString(),
      expiresAt: expiresAt ? expiresAt.toISOString() : null,
      renewalWindowOpensAt: expiresAt ? context.policies.windowOpensAt(expiresAt).opensAt.toISOString() : null,
      cycle,
      policyVersion: policy.version,
      ...(command.data.verificationId ? { verificationId: command.data.verificationId } : {}),
    },
  });
  return events;
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

type StandingCommand = Extract<HoldingCommand, { type: 'RevokeCertification' | 'SuspendCertification' | 'ReinstateCertification' }>;

/** R15-R17: revocation, suspension and reinstatement, each an admin's decision with a reason, on a held cycle. */
function decideStanding(command: StandingCommand, state: HoldingState, context: HoldingContext): HoldingEvent[] {
  const code = context.certification.code;
  if (state.status === 'none') throw new DomainError('HOLDING_NOT_FOUND', `The profile does not hold ${code}`);
  if (state.status === 'merged-out') throw new DomainError('PROFILE_MERGED', `This holding moved to profile ${state.toProfileId}`);
  if (state.revoked) throw new DomainError('HOLDING_REVOKED', `${code} is revoked: only earning it again changes it (R15)`);
  const now = context.now;
  const at = now.toISOString();
  const subject = {
    holdingId: state.holdingId,
    profileId: state.profileId,
    certificationCode: state.certificationCode,
    cycle: state.cycle,
  };
  switch (command.type) {
    case 'RevokeCertification':
      return [{ type: 'CertificationRevoked', data: { ...subject, reason: command.data.reason, revokedAt: at } }];
    case 'SuspendCertification': {
      if (state.expiresAt !== null && (state.expired || now.getTime() >= Date.parse(state.expiresAt)))
        throw new DomainError('CERTIFICATION_EXPIRED', `It expired at ${state.expiresAt}: there is nothing to suspend (R16)`);
      if (isSuspendedAt(state, now)) throw new DomainError('HOLDING_SUSPENDED', `${code} is already suspended (R16)`);
      const until = command.data.until;
      if (until !== null && until.getTime() <= now.getTime())
        throw new DomainError('VALIDATION_FAILED', `until ${until.toISOString()} is not in the future (R16)`);
      return [
        {
          type: 'CertificationSuspended',
          data: { ...subject, reason: command.data.reason, suspendedAt: at, until: until ? until.toISOString() : null },
        },
      ];
    }
    case 'ReinstateCertification':
      if (!isSuspendedAt(state, now)) throw new DomainError('HOLDING_NOT_SUSPENDED', `${code} is not suspended (R17)`);
      return [{ type: 'CertificationReinstated', data: { ...subject, reason: command.data.reason, reinstatedAt: at } }];
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

function decideAttempt(
  command: Extract<HoldingCommand, { type: 'AttemptRenewal' }>,
  state: HoldingState,
  context: HoldingContext,
): HoldingEvent[] {
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

type VerificationCommand = Extract<HoldingCommand, { type: 'RotateVerificationId' | 'SetVerificationVisibility' }>;

/** R19: the holder's (or support's) choices about the public verification of a holding, in any status. */
function decideVerification(command: VerificationCommand, state: HoldingState, context: HoldingContext): HoldingEvent[] {
  if (state.status === 'none') throw new DomainError('HOLDING_NOT_FOUND', `The profile does not hold ${context.certification.code}`);
  if (state.status === 'merged-out') throw new DomainError('PROFILE_MERGED', `This holding moved to profile ${state.toProfileId}`);
  const subject = { holdingId: state.holdingId, profileId: state.profileId, certificationCode: state.certificationCode };
  const at = context.now.toISOString();
  switch (command.type) {
    case 'RotateVerificationId':
      if (state.verificationId === command.data.verificationId) return [];
      return [
        {
          type: 'VerificationIdRotated',
          data: {
            ...subject,
            verificationId: command.data.verificationId,
            previousVerificationId: state.verificationId ?? null,
            rotatedAt: at,
          },
        },
      ];
    case 'SetVerificationVisibility': {
      const visibility = command.data.visibility;
      if ((state.verificationPrivate ?? false) === (visibility === 'private')) return [];
      return [{ type: 'VerificationVisibilityChanged', data: { ...subject, visibility, changedAt: at } }];
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

/**
 * R26/R27: an approved override's effect, once per override id (a resumed or repeated approval adds nothing).
 * Refused with the rule that stands in the way, so a bulk run reports each refusal with its code (R28).
 */
function decideOverrideEffect(o: ApplyOverride, state: HoldingState, context: HoldingContext): HoldingEvent[] {
  const code = context.certification.code;
  if (state.status === 'none') throw new DomainError('HOLDING_NOT_FOUND', `The profile does not hold ${code}`);
  if (state.status === 'merged-out') throw new DomainError('PROFILE_MERGED', `This holding moved to profile ${state.toProfileId}`);
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
  const expired = state.expiresAt !== null && (state.expired || now.getTime() >= Date.parse(state.expiresAt));
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

/** Which of two holdings of one certification survives a merge: the one valid longest at `now`. */
function survives(candidate: HoldingSnapshot, incumbent: HoldingSnapshot, now: Date): boolean {
  const validUntil = (s: HoldingSnapshot): number => {
    if (s.expiresAt === null) return Number.POSITIVE_INFINITY;
    const expiry = Date.parse(s.expiresAt);
    return s.expired || expiry <= now.getTime() ? -1 : expiry;
  };
  return validUntil(candidate) > validUntil(incumbent);
}

export function decideHolding(command: HoldingCommand, given: HoldingState, context: HoldingContext): HoldingEvent[] {
  const state = withPolicyWindow(given, context.policies);
  switch (command.type) {
    case 'EarnCertification':
      return decideEarn(command, state, context);
    case 'AttemptRenewal':
      return decideAttempt(command, state, context);
    case 'RevokeCertification':
    case 'SuspendCertification':
    case 'ReinstateCertification':
      return decideStanding(command, state, context);
    case 'RotateVerificationId':
    case 'SetVerificationVisibility':
      return decideVerification(command, state, context);
    case 'ImportCertification':
      return decideImport(command, state, context);
    case 'ApplyOverride':
      return decideOverrideEffect(command.data, state, context);
    case 'OpenRenewalWindow': {
      // The scheduler may ask twice or from two processes: a no-op once done, or once too late.
      if (state.status !== 'held' || !state.window || state.window.opened) return [];
      const now = context.now.getTime();
      if (now < Date.parse(state.window.opensAt) || now >= Date.parse(state.window.expiresAt) || state.expired) return [];
      return windowOpenedEvent(state, context);
    }
    case 'ExpireHolding': {
      if (state.status !== 'held' || state.expiresAt === null || state.expired) return [];
      if (context.now.getTime() < Date.parse(state.expiresAt)) return [];
      return [expiredEvent(state, state.expiresAt, context)];
    }
    case 'RecordEligibilityNotified': {
      if (state.status !== 'held') return [];
      const windowId = command.data.windowId;
      const current = state.window?.id === windowId && !state.window.notified;
      // Sent as the window ended (a renewal landed between the sending and this record): still a fact to keep.
      const ended = state.unnotifiedWindowIds?.includes(windowId) ?? false;
      if (!current && !ended) return [];
      return [
        {
          type: 'RenewalEligibilityNotified',
          data: {
            holdingId: state.holdingId,
            profileId: state.profileId,
            certificationCode: state.certificationCode,
            windowId: command.data.windowId,
            notificationId: command.data.notificationId,
            notifiedAt: context.now.toISOString(),
          },
        },
      ];
    }
    case 'MergeHoldingOut': {
      if (state.status !== 'held') return [];
      return [
        {
          type: 'HoldingMergedOut',
          data: {
            holdingId: state.holdingId,
            profileId: state.profileId,
            certificationCode: state.certificationCode,
            mergeId: command.data.mergeId,
            toProfileId: command.data.toProfileId,
            toHoldingId: command.data.toHoldingId,
            mergedAt: context.now.toISOString(),
          },
        },
      ];
    }
    case 'MergeHoldingIn': {
      if (state.status === 'merged-out') throw new DomainError('PROFILE_MERGED', `This holding moved to profile ${state.toProfileId}`);
      if (state.status === 'held' && state.mergeIds.includes(command.data.mergeId)) return [];
      const adopted = state.status === 'none' || survives(command.data.snapshot, snapshotOf(state), context.now);
      return [
        {
          type: 'HoldingMergedIn',
          data: {
            holdingId: command.data.holdingId,
            profileId: command.data.profileId,
            certificationCode: context.certification.code,
            mergeId: command.data.mergeId,
            fromProfileId: command.data.fromProfileId,
            fromHoldingId: command.data.fromHoldingId,
            mergedAt: context.now.toISOString(),
            adopted,
            snapshot: command.data.snapshot,
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

/**
 * R10: a certification with prerequisites is earned only while one of them is held and active at `earnedAt`. The one
 * statement of the rule: the earn handler (states read from the log) and the what-if (shadow states) both ask it.
 */
export function prerequisiteMet(certification: Certification, earnedAt: Date, prerequisite: (code: string) => HoldingState): boolean {
  return certification.prerequisites.length === 0 || certification.prerequisites.some((code) => isActiveAt(prerequisite(code), earnedAt));
}

/** A holding is named by its profile and certification code; a decision needs the policy book and the catalog entry. */
export const holdingDecider: Decider<
  { profileId: string; certificationCode: string },
  HoldingCommand,
  HoldingState,
  HoldingEvent,
  Omit<HoldingContext, 'now'>
> = {
  streamOf: ({ profileId, certificationCode }) => holdingStream(profileId, certificationCode),
  initialState: initialHoldingState,
  evolve: evolveHolding,
  decide: (command, state, context) => decideHolding(command, state, context),
};
