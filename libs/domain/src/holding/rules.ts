import type { Certification } from '../catalog';
import { DomainError, ErrorCode } from '../errors';
import { Policy, PolicyBook } from '../policy';
import type { HoldingSnapshot } from './events';
import type { HeldState, HoldingState } from './state';

/**
 * The holding's rules stated once each; the use cases (`earn.ts`, `attempt.ts`, ...), the dashboard, the reports and
 * the credentials read them from here.
 */

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

export function refuse(blocker: Blocker): never {
  throw new DomainError(blocker.code, blocker.detail, blocker.extensions);
}

/** R12: a holding merged into another profile takes no more commands; they go to the surviving profile. */
export function mergedBlocker(state: Extract<HoldingState, { status: 'merged-out' }>): Blocker {
  return { code: 'PROFILE_MERGED', detail: `This holding moved to profile ${state.toProfileId}` };
}

/** Refuses a command on a merged-out holding (R12). */
export function refuseIfMerged<S extends HoldingState>(state: S): asserts state is Exclude<S, { status: 'merged-out' }> {
  if (state.status === 'merged-out') refuse(mergedBlocker(state));
}

/** The held cycle a command changes, or the refusal: nothing held, or merged away (R12). */
export function heldOrRefused(state: HoldingState, certificationCode: string): HeldState {
  if (state.status === 'none') throw new DomainError('HOLDING_NOT_FOUND', `The profile does not hold ${certificationCode}`);
  refuseIfMerged(state);
  return state;
}

/** The policy in force at `at`; refused when the book starts later (R14). */
export function policyAt(policies: PolicyBook, at: Date): Policy {
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

/** R9: the expiry instant has come at `at` (null: never expires, R1). */
export function expiryReached(expiresAt: string | null, at: Date): boolean {
  return expiresAt !== null && at.getTime() >= Date.parse(expiresAt);
}

/** R9: a holding is expired at its expiry instant, whether or not the expiry has been recorded yet. */
export function isExpiredAt(state: Pick<HoldingSnapshot, 'expiresAt' | 'expired'>, at: Date): boolean {
  return state.expiresAt !== null && (state.expired || expiryReached(state.expiresAt, at));
}

/** R17: a suspension with an `until` ends by itself at that instant (ms; null: until reinstated), no event needed. */
export function suspensionInForceAt(untilMs: number | null, atMs: number): boolean {
  return untilMs === null || atMs < untilMs;
}

/** R16/R17: suspended at `at`: a suspension ends by itself at its `until`, derived from the clock, no event needed. */
export function isSuspendedAt(state: Pick<HoldingSnapshot, 'suspension'>, at: Date): boolean {
  const suspension = state.suspension;
  if (!suspension) return false;
  return suspensionInForceAt(suspension.until === null ? null : Date.parse(suspension.until), at.getTime());
}

export type HoldingStatus = 'active' | 'renewal-open' | 'expired' | 'never-expires' | 'revoked' | 'suspended';

/**
 * Status at an instant, from time alone: a holding expires at its expiry instant even before it is recorded (R9).
 * R20: revoked before expired before suspended (a suspended holding's expiry clock keeps running, R16). The reports'
 * SQL states the same order (`projections/reports/reports.queries.ts`, pinned to this by `status-sql.int.spec.ts`).
 */
export function holdingStatusAt(state: HeldState, at: Date): HoldingStatus {
  if (state.revoked) return 'revoked';
  if (isExpiredAt(state, at)) return 'expired';
  if (isSuspendedAt(state, at)) return 'suspended';
  if (state.expiresAt === null) return 'never-expires';
  if (state.window && at.getTime() >= Date.parse(state.window.opensAt)) return 'renewal-open';
  return 'active';
}

/** Held, neither expired, revoked nor suspended at `at`, and earned by then (prerequisites, R10, R15, R16). */
export function isActiveAt(state: HoldingState, at: Date): boolean {
  if (state.status !== 'held') return false;
  if (Date.parse(state.earnedAt) > at.getTime()) return false;
  const status = holdingStatusAt(state, at);
  return status !== 'expired' && status !== 'revoked' && status !== 'suspended';
}
