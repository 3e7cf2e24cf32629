import { randomUUID } from 'node:crypto';
import type { JsonObject, SqliteEventStore } from '@recert/eventstore';
import { describeStoreTwin } from '../../test/support/store-twin';
import { OutboxProjection, outboxStoreProjection } from './outbox.projection';

const meta = { correlationId: 'c', causationId: 'c', actor: 'spec', occurredAt: '2026-01-01T00:00:00.000Z' };
const event = (type: string, data: JsonObject) => ({ id: randomUUID(), type, data, metadata: meta });
const at = (i: number) => new Date(Date.UTC(2026, i % 12, 1 + (i % 27))).toISOString();

/** Holding i: its window opened, then notified (i % 3 = 0), ended by a renewal (i % 3 = 1) or left pending; every 7th profile erased. */
async function appendWindows(store: SqliteEventStore): Promise<void> {
  for (let i = 0; i < 150; i += 1) {
    const holdingId = `p${i}.CX`;
    const base = { holdingId, profileId: `p${i}`, certificationCode: 'CX' };
    const events = [
      event('RenewalWindowOpened', { ...base, windowId: `w${i}`, opensAt: at(i), expiresAt: at(i + 3) }),
      event('Noise', { i }),
    ];
    if (i % 3 === 0)
      events.push(event('RenewalEligibilityNotified', { ...base, windowId: `w${i}`, notificationId: `n${i}`, notifiedAt: at(i + 1) }));
    if (i % 3 === 1) events.push(event('CertificationRenewed', { ...base, renewedAt: at(i + 1) }));
    // Opened again (a redelivery): one row per window all the same.
    if (i % 10 === 0) events.push(event('RenewalWindowOpened', { ...base, windowId: `w${i}`, opensAt: at(i), expiresAt: at(i + 3) }));
    if (i % 7 === 0) events.push(event('PersonalDataErased', { profileId: `p${i}` }));
    await store.append(`holding-${holdingId}`, events, { expectedRevision: 'no_stream' });
  }
}

describeStoreTwin('notification outbox (rm_notifications)', {
  title: 'R4/R130 the outbox twin writes the same rm_notifications rows as the read.db projection for the same events',
  append: appendWindows,
  readDb: () => new OutboxProjection(),
  twin: outboxStoreProjection,
  queries: ['SELECT * FROM rm_notifications ORDER BY id'],
  expectReference: (rows) => {
    const all = rows['SELECT * FROM rm_notifications ORDER BY id'] as { state: string; personal_data_erased: number }[];
    expect(all).toHaveLength(150);
    expect(new Set(all.map((row) => row.state))).toEqual(new Set(['sent', 'obsolete', 'pending']));
    expect(all.filter((row) => row.personal_data_erased === 1)).toHaveLength(22);
  },
});
