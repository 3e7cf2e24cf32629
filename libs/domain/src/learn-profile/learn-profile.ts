import { eventList } from '@recert/kernel/pure';
import type { Decider } from '../decider';
import { DomainError } from '../errors';
import { learnProfileStream } from '../streams';

/**
 * Which certification profile a learn profile is linked to, stream `learnprofile-<learnProfileId>` (R11).
 * Appending the first reservation with expected `no_stream` makes the link one-to-one across processes.
 */
export type LearnProfileLinkReserved = {
  type: 'LearnProfileLinkReserved';
  data: { learnProfileId: string; profileId: string; accountId: string; reservedAt: string };
};
/** A merge moved the link from the closed source profile to the target. */
export type LearnProfileLinkTransferred = {
  type: 'LearnProfileLinkTransferred';
  data: { learnProfileId: string; fromProfileId: string; profileId: string; mergeId: string; transferredAt: string };
};
/** The link was given up: the reserving profile never got linked, or was merged into an already linked one. */
export type LearnProfileLinkReleased = {
  type: 'LearnProfileLinkReleased';
  data: { learnProfileId: string; profileId: string; reason: string; releasedAt: string };
};
export type LearnProfileEvent = LearnProfileLinkReserved | LearnProfileLinkTransferred | LearnProfileLinkReleased;
export const LEARN_PROFILE_EVENTS = eventList<LearnProfileEvent>({
  LearnProfileLinkReserved: true,
  LearnProfileLinkTransferred: true,
  LearnProfileLinkReleased: true,
});
export const LEARN_PROFILE_EVENT_TYPES = LEARN_PROFILE_EVENTS.types;

export type LearnProfileState = { linkedTo: string | null };
export const initialLearnProfileState: LearnProfileState = { linkedTo: null };

export function evolveLearnProfile(state: LearnProfileState, event: LearnProfileEvent): LearnProfileState {
  switch (event.type) {
    case 'LearnProfileLinkReserved':
    case 'LearnProfileLinkTransferred':
      return { linkedTo: event.data.profileId };
    case 'LearnProfileLinkReleased':
      return state.linkedTo === event.data.profileId ? { linkedTo: null } : state;
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

export type LearnProfileCommand =
  | { type: 'ReserveLink'; data: { learnProfileId: string; profileId: string; accountId: string } }
  | { type: 'TransferLink'; data: { learnProfileId: string; fromProfileId: string; profileId: string; mergeId: string } }
  | { type: 'ReleaseLink'; data: { learnProfileId: string; profileId: string; reason: string } };

export function decideLearnProfile(command: LearnProfileCommand, state: LearnProfileState, context: { now: Date }): LearnProfileEvent[] {
  const now = context.now.toISOString();
  switch (command.type) {
    case 'ReserveLink':
      if (state.linkedTo === command.data.profileId) return [];
      if (state.linkedTo !== null) {
        throw new DomainError(
          'LEARN_PROFILE_ALREADY_LINKED',
          `Learn profile ${command.data.learnProfileId} is linked to another certification profile (R11)`,
        );
      }
      return [{ type: 'LearnProfileLinkReserved', data: { ...command.data, reservedAt: now } }];
    case 'TransferLink':
      if (state.linkedTo !== command.data.fromProfileId) return [];
      return [{ type: 'LearnProfileLinkTransferred', data: { ...command.data, transferredAt: now } }];
    case 'ReleaseLink':
      if (state.linkedTo !== command.data.profileId) return [];
      return [{ type: 'LearnProfileLinkReleased', data: { ...command.data, releasedAt: now } }];
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

export const learnProfileDecider: Decider<string, LearnProfileCommand, LearnProfileState, LearnProfileEvent> = {
  streamOf: learnProfileStream,
  events: LEARN_PROFILE_EVENTS,
  initialState: initialLearnProfileState,
  evolve: evolveLearnProfile,
  decide: decideLearnProfile,
};
