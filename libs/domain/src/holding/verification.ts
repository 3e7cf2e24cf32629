import type { HoldingEvent } from './events';
import { HoldingContext, heldOrRefused } from './rules';
import type { HoldingState } from './state';

export type VerificationCommand =
  | { type: 'RotateVerificationId'; data: { verificationId: string } }
  | { type: 'SetVerificationVisibility'; data: { visibility: 'public' | 'private' } };

/** R19: the holder's (or support's) choices about the public verification of a holding, in any status. */
export function decideVerification(command: VerificationCommand, given: HoldingState, context: HoldingContext): HoldingEvent[] {
  const state = heldOrRefused(given, context.certification.code);
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
