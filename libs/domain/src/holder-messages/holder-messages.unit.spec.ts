import { specification } from '../testing/specification';
import { DecideContext } from '../decider';
import {
  decideHolderMessages,
  evolveHolderMessages,
  HolderMessageCommand,
  HolderMessageEvent,
  HolderMessageState,
  initialHolderMessageState,
  isStaleMessage,
} from './holder-messages';

const spec = specification<HolderMessageCommand, HolderMessageEvent, HolderMessageState, DecideContext>({
  decide: decideHolderMessages,
  evolve: evolveHolderMessages,
  initialState: initialHolderMessageState,
});
const now = { now: new Date('2026-07-10T00:00:00Z') };
const message = {
  holdingId: 'p1.azure-administrator-associate',
  profileId: 'p1',
  certificationCode: 'azure-administrator-associate',
  messageId: 'm1',
  kind: 'revoked' as const,
  causeEventId: 'e1',
};
const sent: HolderMessageCommand = { type: 'RecordHolderMessage', data: { message, outcome: { kind: 'sent', language: 'ja' } } };
const stale: HolderMessageCommand = { type: 'RecordHolderMessage', data: { message, outcome: { kind: 'dropped', reason: 'stale' } } };

describe('status messages to the holder (#29)', () => {
  it('R83: a message is recorded sent once, with its language; a repeat or a later drop records nothing', () => {
    const events = spec
      .given([])
      .when(sent, now)
      .then([{ type: 'HolderMessageSent', data: { ...message, sentAt: '2026-07-10T00:00:00.000Z', language: 'ja' } }]);
    spec.given(events).when(sent, now).thenNothing();
    spec.given(events).when(stale, now).thenNothing();
  });

  it('R83: a message dropped (stale, or no address) is never sent afterwards', () => {
    const events = spec
      .given([])
      .when(stale, now)
      .then([{ type: 'HolderMessageDropped', data: { ...message, droppedAt: '2026-07-10T00:00:00.000Z', reason: 'stale' } }]);
    spec.given(events).when(sent, now).thenNothing();
  });

  it('R83: a fact more than 7 days old at dispatch is stale; one of 7 days exactly is not', () => {
    expect(isStaleMessage('2026-07-03T00:00:00.000Z', now.now)).toBe(false);
    expect(isStaleMessage('2026-07-02T23:59:59.999Z', now.now)).toBe(true);
    expect(isStaleMessage('2026-07-09T00:00:00.000Z', now.now)).toBe(false);
  });
});
