import type { Decider } from '../decider';
import { holdingStream } from '../streams';
import { AttemptRenewalCommand, decideAttempt } from './attempt';
import { decideEarn, EarnCertificationCommand } from './earn';
import { HOLDING_EVENTS, HoldingEvent } from './events';
import { decideImport, ImportCertificationCommand } from './import';
import { decideMerge, MergeCommand } from './merge';
import { ApplyOverrideCommand, decideOverrideEffect } from './override';
import { HoldingContext, withPolicyWindow } from './rules';
import { decideStanding, StandingCommand } from './standing';
import { evolveHolding, HoldingState, initialHoldingState } from './state';
import { decideVerification, VerificationCommand } from './verification';
import {
  decideEligibilityNotified,
  decideExpire,
  decideOpenWindow,
  ExpireHoldingCommand,
  OpenRenewalWindowCommand,
  RecordEligibilityNotifiedCommand,
} from './window';

/** Every command on a holding; each use case (and its spec) lives in the file its decide function comes from. */
export type HoldingCommand =
  | EarnCertificationCommand
  | AttemptRenewalCommand
  | StandingCommand
  | VerificationCommand
  | ApplyOverrideCommand
  | OpenRenewalWindowCommand
  | ExpireHoldingCommand
  | RecordEligibilityNotifiedCommand
  | MergeCommand
  | ImportCertificationCommand;

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
    case 'OpenRenewalWindow':
      return decideOpenWindow(state, context);
    case 'ExpireHolding':
      return decideExpire(state, context);
    case 'RecordEligibilityNotified':
      return decideEligibilityNotified(command, state, context);
    case 'MergeHoldingOut':
    case 'MergeHoldingIn':
      return decideMerge(command, state, context);
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
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
  events: HOLDING_EVENTS,
  initialState: initialHoldingState,
  evolve: evolveHolding,
  decide: (command, state, context) => decideHolding(command, state, context),
};
