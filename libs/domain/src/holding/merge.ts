import type { HoldingEvent, HoldingSnapshot } from './events';
import { HoldingContext, isExpiredAt, refuseIfMerged } from './rules';
import { HoldingState, snapshotOf } from './state';

/** R12: a profile merge moves each holding out of the merged profile and into the surviving one. */
export type MergeCommand =
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
    };

/** Which of two holdings of one certification survives a merge: the one valid longest at `now`. */
function survives(candidate: HoldingSnapshot, incumbent: HoldingSnapshot, now: Date): boolean {
  const validUntil = (s: HoldingSnapshot): number => {
    if (s.expiresAt === null) return Number.POSITIVE_INFINITY;
    return isExpiredAt(s, now) ? -1 : Date.parse(s.expiresAt);
  };
  return validUntil(candidate) > validUntil(incumbent);
}

export function decideMerge(command: MergeCommand, state: HoldingState, context: HoldingContext): HoldingEvent[] {
  switch (command.type) {
    case 'MergeHoldingOut':
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
    case 'MergeHoldingIn': {
      refuseIfMerged(state);
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
