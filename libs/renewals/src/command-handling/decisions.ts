import type { Certification, PolicyBook } from '@recert/domain';
import {
  decideHolding,
  decideLearnProfile,
  decideProfile,
  evolveHolding,
  evolveLearnProfile,
  evolveProfile,
  HoldingCommand,
  HoldingEvent,
  HoldingState,
  holdingStream,
  initialHoldingState,
  initialLearnProfileState,
  initialProfileState,
  LearnProfileCommand,
  LearnProfileEvent,
  LearnProfileState,
  learnProfileStream,
  ProfileCommand,
  ProfileEvent,
  ProfileState,
  profileStream,
} from '@recert/domain';
import type { CommandMeta } from './command-meta';
import type { StreamDecision } from './stream-commands';

// One command of an aggregate on its own stream, decided by that aggregate's decider: what `StreamCommands.run` takes.

/** A holding command, decided under the policy book in force when it is decided (read again on each retry). */
export function holdingDecision(
  profileId: string,
  certification: Certification,
  command: HoldingCommand,
  policies: { book(): PolicyBook },
  meta: CommandMeta,
): StreamDecision<HoldingState, HoldingEvent> {
  return {
    stream: holdingStream(profileId, certification.code),
    evolve: evolveHolding,
    initialState: initialHoldingState,
    meta,
    decide: (state, now) => decideHolding(command, state, { now, policies: policies.book(), certification }),
  };
}

export function profileDecision(
  profileId: string,
  command: ProfileCommand,
  meta: CommandMeta,
  step?: string,
): StreamDecision<ProfileState, ProfileEvent> {
  return {
    stream: profileStream(profileId),
    evolve: evolveProfile,
    initialState: initialProfileState,
    meta,
    step,
    decide: (state, now) => decideProfile(command, state, { now }),
  };
}

export function learnProfileDecision(
  learnProfileId: string,
  command: LearnProfileCommand,
  meta: CommandMeta,
  step?: string,
): StreamDecision<LearnProfileState, LearnProfileEvent> {
  return {
    stream: learnProfileStream(learnProfileId),
    evolve: evolveLearnProfile,
    initialState: initialLearnProfileState,
    meta,
    step,
    decide: (state, now) => decideLearnProfile(command, state, { now }),
  };
}
