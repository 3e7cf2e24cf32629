import type { CertificationExpired, HoldingEvent, RenewalWindowOpened } from './events';
import { expiryReached, HoldingContext, isExpiredAt } from './rules';
import type { HeldState, HoldingState } from './state';

/** The scheduler's and the dispatcher's commands: a window opens (R3), a holding expires (R9), a reminder was sent (R4). */
export type OpenRenewalWindowCommand = { type: 'OpenRenewalWindow' };
export type ExpireHoldingCommand = { type: 'ExpireHolding' };
export type RecordEligibilityNotifiedCommand = {
  type: 'RecordEligibilityNotified';
  data: { windowId: string; notificationId: string };
};

/** R9: a holding expires at its expiry instant, under the policy in force then. */
export function expiredEvent(state: HeldState, expiresAt: string, context: HoldingContext): CertificationExpired {
  return {
    type: 'CertificationExpired',
    data: {
      holdingId: state.holdingId,
      profileId: state.profileId,
      certificationCode: state.certificationCode,
      expiredAt: expiresAt,
      policyVersion: context.policies.atOrFirst(new Date(expiresAt)).version,
    },
  };
}

/** R3: the window's opening, once, under the policy in force at its instant. */
export function windowOpenedEvent(state: HeldState, context: HoldingContext): RenewalWindowOpened[] {
  const window = state.window;
  if (!window || window.opened) return [];
  const policy = context.policies.atOrFirst(new Date(window.opensAt));
  return [
    {
      type: 'RenewalWindowOpened',
      data: {
        holdingId: state.holdingId,
        profileId: state.profileId,
        certificationCode: state.certificationCode,
        windowId: window.id,
        opensAt: window.opensAt,
        expiresAt: window.expiresAt,
        policyVersion: policy.version,
      },
    },
  ];
}

/** The scheduler may ask twice or from two processes: a no-op once done, or once too late. */
export function decideOpenWindow(state: HoldingState, context: HoldingContext): HoldingEvent[] {
  if (state.status !== 'held' || !state.window || state.window.opened) return [];
  const { window, expired } = state;
  // Not before it opens (R3), nor once its expiry has come (R9).
  if (context.now.getTime() < Date.parse(window.opensAt) || isExpiredAt({ expiresAt: window.expiresAt, expired }, context.now)) return [];
  return windowOpenedEvent(state, context);
}

export function decideExpire(state: HoldingState, context: HoldingContext): HoldingEvent[] {
  if (state.status !== 'held' || state.expiresAt === null || state.expired) return [];
  if (!expiryReached(state.expiresAt, context.now)) return [];
  return [expiredEvent(state, state.expiresAt, context)];
}

export function decideEligibilityNotified(
  command: RecordEligibilityNotifiedCommand,
  state: HoldingState,
  context: HoldingContext,
): HoldingEvent[] {
  if (state.status !== 'held') return [];
  const windowId = command.data.windowId;
  const current = state.window?.id === windowId && !state.window.notified;
  // Sent as the window ended (a renewal landed between the sending and this record): still a fact to keep.
  const ended = state.unnotifiedWindowIds?.includes(windowId) ?? false;
  if (!current && !ended) return [];
  return [
    {
      type: 'RenewalEligibilityNotified',
      data: {
        holdingId: state.holdingId,
        profileId: state.profileId,
        certificationCode: state.certificationCode,
        windowId: command.data.windowId,
        notificationId: command.data.notificationId,
        notifiedAt: context.now.toISOString(),
      },
    },
  ];
}
