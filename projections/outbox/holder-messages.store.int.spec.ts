import { randomUUID } from 'node:crypto';
import type { JsonObject, SqliteEventStore } from '@recert/eventstore';
import { describeStoreTwin } from '../../test/support/store-twin';
import { holderMessageIdOf, HolderMessagesProjection, holderMessagesStoreProjection } from './holder-messages.projection';

const meta = { correlationId: 'c', causationId: 'c', actor: 'spec', occurredAt: '2026-01-01T00:00:00.000Z' };
const event = (type: string, data: JsonObject) => ({ id: randomUUID(), type, data, metadata: meta });
const at = (i: number) => new Date(Date.UTC(2026, i % 12, 1 + (i % 27))).toISOString();

/** Holding i: a status event a holder is told of, some recorded sent or dropped, every 7th profile erased. */
async function appendStatusEvents(store: SqliteEventStore): Promise<void> {
  const kinds: [string, JsonObject][] = [
    ['CertificationExpired', { expiredAt: at(1) }],
    ['CertificationRevoked', { revokedAt: at(2), reason: 'fraud' }],
    ['CertificationSuspended', { suspendedAt: at(3), until: at(4), reason: 'audit' }],
    ['CertificationSuspended', { suspendedAt: at(3), until: null, reason: 'open-ended' }],
    ['CertificationReinstated', { reinstatedAt: at(5), reason: 'cleared' }],
    ['HoldingExpiryExtended', { extendedAt: at(6), from: at(7), to: at(8), reason: 'illness' }],
    ['RenewalWindowReopened', { reopenedAt: at(6), from: at(7), to: at(9), reason: 'outage' }],
    ['RenewalAttemptsGranted', { grantedAt: at(6), attempts: 2, reason: 'retake' }],
  ];
  for (let i = 0; i < 120; i += 1) {
    const [type, data] = kinds[i % kinds.length] ?? ['CertificationExpired', {}];
    const holdingId = `p${i}.CX`;
    const cause = event(type, { holdingId, profileId: `p${i}`, certificationCode: 'CX', ...data });
    const events = [cause, event('Noise', { i })];
    await store.append(`holding-${holdingId}`, events, { expectedRevision: 'no_stream' });
    const messageId = holderMessageIdOf(cause.id);
    const done =
      i % 4 === 0
        ? [event('HolderMessageSent', { holdingId, messageId, sentAt: at(10) })]
        : i % 4 === 1
          ? [event('HolderMessageDropped', { holdingId, messageId, droppedAt: at(10), reason: 'stale' })]
          : [];
    if (i % 7 === 0) done.push(event('PersonalDataErased', { profileId: `p${i}` }));
    if (done.length > 0) await store.append(`messages-${holdingId}`, done, { expectedRevision: 'no_stream' });
  }
}

describeStoreTwin('status messages outbox (rm_holder_messages)', {
  title: 'R83/R130 the status messages twin writes the same rm_holder_messages rows as the read.db projection for the same events',
  append: appendStatusEvents,
  readDb: () => new HolderMessagesProjection(),
  twin: holderMessagesStoreProjection,
  queries: ['SELECT * FROM rm_holder_messages ORDER BY id'],
  expectReference: (rows) => {
    const all = rows['SELECT * FROM rm_holder_messages ORDER BY id'] as { state: string; personal_data_erased: number }[];
    expect(all).toHaveLength(120);
    expect(new Set(all.map((row) => row.state))).toEqual(new Set(['sent', 'dropped', 'pending']));
    expect(all.filter((row) => row.personal_data_erased === 1)).toHaveLength(18);
  },
});
