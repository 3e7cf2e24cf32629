import { eventList } from '@recert/kernel/pure';
import type { Decider } from '../decider';
import { accountStream } from '../streams';
/**
 * The profiles an account owns, stream `account-<accountId>` (R12). An index, not the truth: the link handler
 * checks each listed profile against its own stream, so a crash between the two appends of a creation or a
 * merge cannot make the count wrong.
 */
export type AccountProfileRegistered = { type: 'AccountProfileRegistered'; data: { accountId: string; profileId: string } };
export type AccountProfileClosed = { type: 'AccountProfileClosed'; data: { accountId: string; profileId: string; mergedInto: string } };
export type AccountEvent = AccountProfileRegistered | AccountProfileClosed;
export const ACCOUNT_EVENTS = eventList<AccountEvent>({ AccountProfileRegistered: true, AccountProfileClosed: true });
export const ACCOUNT_EVENT_TYPES = ACCOUNT_EVENTS.types;

export type AccountState = { profiles: string[] };
export const initialAccountState: AccountState = { profiles: [] };

export function evolveAccount(state: AccountState, event: AccountEvent): AccountState {
  switch (event.type) {
    case 'AccountProfileRegistered':
      return state.profiles.includes(event.data.profileId) ? state : { profiles: [...state.profiles, event.data.profileId] };
    case 'AccountProfileClosed':
      return { profiles: state.profiles.filter((id) => id !== event.data.profileId) };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

/** The account index's two decisions; both are no-ops once done, so a repeated creation or merge step appends nothing. */
export type AccountCommand =
  | { type: 'RegisterProfile'; data: { accountId: string; profileId: string } }
  | { type: 'CloseProfile'; data: { accountId: string; profileId: string; mergedInto: string } };

export function decideAccount(command: AccountCommand, state: AccountState): AccountEvent[] {
  switch (command.type) {
    case 'RegisterProfile':
      return state.profiles.includes(command.data.profileId) ? [] : [{ type: 'AccountProfileRegistered', data: command.data }];
    case 'CloseProfile':
      return state.profiles.includes(command.data.profileId) ? [{ type: 'AccountProfileClosed', data: command.data }] : [];
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

export const accountDecider: Decider<string, AccountCommand, AccountState, AccountEvent> = {
  streamOf: accountStream,
  events: ACCOUNT_EVENTS,
  initialState: initialAccountState,
  evolve: evolveAccount,
  decide: decideAccount,
};
