import { eventList, subtractDuration } from '@recert/kernel/pure';
import type { Decider, DecideContext } from '../decider';
import { holderMessagesStream } from '../streams';

/**
 * Status messages to a holder (#29): a holding expired, was revoked, suspended or reinstated, or an approved override
 * changed it. Each is one message per event that caused it, recorded once on `messages-<holdingId>` (beside the
 * holding, as reminders are, so the holding's decider and projections are untouched). R4's window notice and the
 * reminders keep their own records (RenewalEligibilityNotified, `reminders-<holdingId>`).
 */
export const STATUS_MESSAGE_KINDS = ['expired', 'revoked', 'suspended', 'reinstated', 'override-applied'] as const;
export type StatusMessageKind = (typeof STATUS_MESSAGE_KINDS)[number];

/** R83: a status message not sent within this much domain time of its fact is dropped, never sent late. */
export const STATUS_MESSAGE_MAX_AGE = 'P7D';

type MessageKey = {
  holdingId: string;
  profileId: string;
  certificationCode: string;
  messageId: string;
  kind: StatusMessageKind;
  /** The event the message tells of. */
  causeEventId: string;
};

export type HolderMessageSent = { type: 'HolderMessageSent'; data: MessageKey & { sentAt: string; language: string } };
/** Not sent, for good: `stale` (R83), or `no-address` (the holder's personal data was erased). */
export type HolderMessageDropped = {
  type: 'HolderMessageDropped';
  data: MessageKey & { droppedAt: string; reason: 'stale' | 'no-address' };
};
export type HolderMessageEvent = HolderMessageSent | HolderMessageDropped;
export const HOLDER_MESSAGE_EVENTS = eventList<HolderMessageEvent>({ HolderMessageSent: true, HolderMessageDropped: true });
export const HOLDER_MESSAGE_EVENT_TYPES = HOLDER_MESSAGE_EVENTS.types;

/** Messages recorded, by message id. */
export type HolderMessageState = { recorded: Record<string, 'sent' | 'dropped'> };
export const initialHolderMessageState: HolderMessageState = { recorded: {} };

export function evolveHolderMessages(state: HolderMessageState, event: HolderMessageEvent): HolderMessageState {
  return {
    recorded: { ...state.recorded, [event.data.messageId]: event.type === 'HolderMessageSent' ? 'sent' : 'dropped' },
  };
}

export type HolderMessageCommand = {
  type: 'RecordHolderMessage';
  data: { message: MessageKey; outcome: { kind: 'sent'; language: string } | { kind: 'dropped'; reason: 'stale' | 'no-address' } };
};

/** R83: whether a fact of `occurredAt` is too old at `now` for its message to be sent. */
export function isStaleMessage(occurredAt: string, now: Date): boolean {
  return Date.parse(occurredAt) < subtractDuration(now, STATUS_MESSAGE_MAX_AGE).getTime();
}

/** R83: a message is recorded once, whichever outcome came first; a repeat is a no-op. */
export function decideHolderMessages(
  command: HolderMessageCommand,
  state: HolderMessageState,
  context: DecideContext,
): HolderMessageEvent[] {
  const { message, outcome } = command.data;
  if (state.recorded[message.messageId]) return [];
  const at = context.now.toISOString();
  return outcome.kind === 'sent'
    ? [{ type: 'HolderMessageSent', data: { ...message, sentAt: at, language: outcome.language } }]
    : [{ type: 'HolderMessageDropped', data: { ...message, droppedAt: at, reason: outcome.reason } }];
}

export const holderMessageDecider: Decider<string, HolderMessageCommand, HolderMessageState, HolderMessageEvent> = {
  streamOf: (holdingId) => holderMessagesStream(holdingId),
  events: HOLDER_MESSAGE_EVENTS,
  initialState: initialHolderMessageState,
  evolve: evolveHolderMessages,
  decide: decideHolderMessages,
};
