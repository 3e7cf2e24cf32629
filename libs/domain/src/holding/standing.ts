import { DomainError } from '../errors';
import type { HoldingEvent } from './events';
import { HoldingContext, heldOrRefused, isExpiredAt, isSuspendedAt } from './rules';
import type { HoldingState } from './state';

export type StandingCommand =
  | { type: 'RevokeCertification'; data: { reason: string } }
  | { type: 'SuspendCertification'; data: { reason: string; until: Date | null } }
  | { type: 'ReinstateCertification'; data: { reason: string } };

/** R15-R17: revocation, suspension and reinstatement, each an admin's decision with a reason, on a held cycle. */
export function decideStanding(command: StandingCommand, given: HoldingState, context: HoldingContext): HoldingEvent[] {
  const code = context.certification.code;
  const state = heldOrRefused(given, code);
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
      if (isExpiredAt(state, now))
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
