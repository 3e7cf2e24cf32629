import type { Certification } from '../catalog';
import { DomainError } from '../errors';
import { policyInstant } from '../policy';
import type { HoldingEvent } from './events';
import { expiryReached, HoldingContext, isActiveAt, policyAt, refuseIfMerged } from './rules';
import type { HoldingState } from './state';
import { expiredEvent } from './window';

export type EarnCertificationCommand = {
  type: 'EarnCertification';
  data: {
    holdingId: string;
    profileId: string;
    earnedAt: Date;
    /** Computed by the handler from the prerequisite holdings (R10). */ prerequisiteActive: boolean;
    /** Drawn by the handler (random, so never by the decider): the new cycle's public verification id (R19). */
    verificationId?: string;
  };
};

/**
 * R10: a certification with prerequisites is earned only while one of them is held and active at `earnedAt`. The one
 * statement of the rule: the earn handler (states read from the log) and the what-if (shadow states) both ask it.
 */
export function prerequisiteMet(certification: Certification, earnedAt: Date, prerequisite: (code: string) => HoldingState): boolean {
  return certification.prerequisites.length === 0 || certification.prerequisites.some((code) => isActiveAt(prerequisite(code), earnedAt));
}

/** R1, R2, R6, R10, R15: passing the exam earns a cycle; a held, unexpired one is renewed only by assessment. */
export function decideEarn(command: EarnCertificationCommand, state: HoldingState, context: HoldingContext): HoldingEvent[] {
  const { certification } = context;
  const earnedAt = command.data.earnedAt;
  refuseIfMerged(state);
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
    if (state.expiresAt === null || !expiryReached(state.expiresAt, earnedAt)) {
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
