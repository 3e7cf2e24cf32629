/**
 * The profiles an account owns, stream `account-<accountId>` (R12). An index, not the truth: the link handler
 * checks each listed profile against its own stream, so a crash between the two appends of a creation or a
 * merge cannot make the count wrong.
 */
export type AccountProfileRegistered = { type: 'AccountProfileRegistered'; data: { accountId: string; profileId: string } };
export type AccountProfileClosed = { type: 'AccountProfileClosed'; data: { accountId: string; profileId: string; mergedInto: string } };
export type AccountEvent = AccountProfileRegistered | AccountProfileClosed;
export const ACCOUNT_EVENT_TYPES: readonly AccountEvent['type'][] = ['AccountProfileRegistered', 'AccountProfileClosed'];

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
