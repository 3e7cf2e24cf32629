import { DomainError } from '../errors';
import { Policy, PolicyBook, policyInstant } from '../policy';
import type { HoldingEvent, ImportSource } from './events';
import { HoldingContext, refuseIfMerged } from './rules';
import type { HoldingState } from './state';

/** R39-R41: a holding migrated with its history; the handler computes `prerequisiteActive` at `earnedAt` (R10). */
export type ImportCertificationCommand = {
  type: 'ImportCertification';
  data: {
    holdingId: string;
    profileId: string;
    earnedAt: Date;
    /** The legacy system's renewal instants, oldest first. */
    renewedAt: Date[];
    /** The legacy expiry; undefined: the one the policy gives for this history. */
    expiresAt?: Date | null;
    prerequisiteActive: boolean;
    verificationId?: string;
    importedFrom: ImportSource;
  };
};

function inForce(policies: PolicyBook, at: Date, what: string): Policy {
  const policy = policies.inForceAt(at);
  if (!policy) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `${what} ${at.toISOString()}: no policy is in force then; the first takes effect ${policies.earliest().effectiveFrom}`,
    );
  }
  return policy;
}

/** The import of the same source id (R39): the holding is this source's, so a repeat imports nothing. */
export function importedFromSameSource(state: HoldingState, source: ImportSource): boolean {
  const held = state.status === 'held' ? state : state.status === 'merged-out' ? state.last : undefined;
  return held?.importedFrom?.system === source.system && held.importedFrom.sourceId === source.sourceId;
}

/**
 * R39-R41: the imported history decided by the rules that would have decided it live. The earning under the policy
 * in force at `earnedAt` (R1, R2, R10); each renewal inside the window of the expiry then in force (R3: not before it
 * opens, WINDOW_NOT_OPEN; R9: not after it ended, CERTIFICATION_EXPIRED) and extending it from that expiry (R5); the
 * legacy expiry no later than the policy gives (EXPIRY_BEYOND_POLICY: more would be an override, #14.1). A holding
 * that exists and was not imported from this source is refused (HOLDING_EXISTS): an import never rewrites a history.
 */
export function decideImport(command: ImportCertificationCommand, state: HoldingState, context: HoldingContext): HoldingEvent[] {
  const d = command.data;
  const { certification, policies, now } = context;
  if (importedFromSameSource(state, d.importedFrom)) return [];
  refuseIfMerged(state);
  if (state.status === 'held') {
    throw new DomainError('HOLDING_EXISTS', `${d.profileId} holds ${certification.code} already, not from ${d.importedFrom.system} (R39)`);
  }
  const instants = [d.earnedAt, ...d.renewedAt, ...(d.expiresAt ? [d.expiresAt] : [])];
  if (instants.some((instant) => Number.isNaN(instant.getTime())))
    throw new DomainError('VALIDATION_FAILED', 'An instant of the row is not a date');
  for (const instant of [d.earnedAt, ...d.renewedAt]) {
    if (instant.getTime() > now.getTime())
      throw new DomainError('VALIDATION_FAILED', `${instant.toISOString()} is in the future: history only (R40)`);
  }
  if (!d.prerequisiteActive) {
    throw new DomainError(
      'PREREQUISITE_NOT_MET',
      `Earning ${certification.code} needs one of ${certification.prerequisites.join(', ')} held and active at ${d.earnedAt.toISOString()} (R10)`,
    );
  }
  const earnedUnder = inForce(policies, d.earnedAt, 'earnedAt');
  const validity = earnedUnder.validity[certification.level];
  if (validity === null) {
    // R1: fundamentals never expire, so they have neither an expiry nor renewals to import.
    if (d.renewedAt.length > 0 || (d.expiresAt !== undefined && d.expiresAt !== null))
      throw new DomainError('NOT_RENEWABLE', `${certification.code} is a fundamentals certification: it never expires (R1)`);
  } else if (d.expiresAt === null) {
    throw new DomainError('VALIDATION_FAILED', `expiresAt: ${certification.code} is not a fundamentals certification, so it expires (R1)`);
  }
  let policy = earnedUnder;
  let expiresAt = validity === null ? null : policyInstant(d.earnedAt, validity, earnedUnder, `validity.${certification.level}`);
  let previous = d.earnedAt;
  for (const renewedAt of d.renewedAt) {
    if (expiresAt === null) break;
    if (renewedAt.getTime() <= previous.getTime())
      throw new DomainError('VALIDATION_FAILED', `renewal ${renewedAt.toISOString()} is not after ${previous.toISOString()} (R40)`);
    const opensAt = policies.windowOpensAt(expiresAt).opensAt;
    if (renewedAt.getTime() < opensAt.getTime())
      throw new DomainError(
        'WINDOW_NOT_OPEN',
        `renewal ${renewedAt.toISOString()}: the window opened at ${opensAt.toISOString()} (R3, R40)`,
      );
    if (renewedAt.getTime() >= expiresAt.getTime())
      throw new DomainError(
        'CERTIFICATION_EXPIRED',
        `renewal ${renewedAt.toISOString()}: it had expired at ${expiresAt.toISOString()} (R9, R40)`,
      );
    policy = inForce(policies, renewedAt, 'renewal');
    // R5: from the expiry then in force, not from the renewal date.
    expiresAt = policyInstant(expiresAt, policy.extension, policy, 'extension');
    previous = renewedAt;
  }
  if (d.expiresAt && expiresAt) {
    if (d.expiresAt.getTime() > expiresAt.getTime()) {
      throw new DomainError(
        'EXPIRY_BEYOND_POLICY',
        `expiresAt ${d.expiresAt.toISOString()} is later than ${expiresAt.toISOString()}, which the policy gives for this history (R41)`,
      );
    }
    if (d.expiresAt.getTime() <= previous.getTime())
      throw new DomainError('VALIDATION_FAILED', `expiresAt ${d.expiresAt.toISOString()} is not after ${previous.toISOString()} (R41)`);
    expiresAt = d.expiresAt;
  }
  return [
    {
      type: 'CertificationImported',
      data: {
        holdingId: d.holdingId,
        profileId: d.profileId,
        certificationCode: certification.code,
        level: certification.level,
        earnedAt: d.earnedAt.toISOString(),
        renewals: d.renewedAt.map((instant) => instant.toISOString()),
        expiresAt: expiresAt ? expiresAt.toISOString() : null,
        renewalWindowOpensAt: expiresAt ? policies.windowOpensAt(expiresAt).opensAt.toISOString() : null,
        cycle: 1,
        policyVersion: policy.version,
        ...(d.verificationId ? { verificationId: d.verificationId } : {}),
        importedFrom: d.importedFrom,
      },
    },
  ];
}
