import Database from 'better-sqlite3';
import type { RecordedEvent } from '@recert/eventstore';
import { OutboxProjection } from './outbox.projection';

/** Habit 10: a projection applied again to what it already saw (a redelivery, a replay) changes nothing. */
let position = 0;
const recorded = (type: string, data: Record<string, string>): RecordedEvent => {
  position += 1;
  return {
    id: `e-${position}`,
    type,
    data,
    stream: `holding-${data['holdingId']}`,
    revision: position,
    position,
    recordedAt: '2026-01-01T00:00:00Z',
    metadata: { correlationId: 'c', causationId: 'c', actor: 'test', occurredAt: '2026-01-01T00:00:00Z' },
  };
};
const opened = (windowId: string, holdingId: string): RecordedEvent =>
  recorded('RenewalWindowOpened', {
    holdingId,
    profileId: 'p-1',
    certificationCode: 'azure-administrator-associate',
    windowId,
    opensAt: '2026-02-01T00:00:00Z',
    expiresAt: '2026-08-01T00:00:00Z',
  });

describe('outbox projection', () => {
  it('#17.3/R4: applied twice to the same events, the outbox rows are the same as applied once', () => {
    const events = [
      opened('w-1', 'h-1'),
      recorded('RenewalEligibilityNotified', {
        holdingId: 'h-1',
        profileId: 'p-1',
        certificationCode: 'azure-administrator-associate',
        windowId: 'w-1',
        notificationId: 'n-1',
        notifiedAt: '2026-02-01T00:05:00Z',
      }),
      opened('w-2', 'h-2'),
      recorded('CertificationRenewed', { holdingId: 'h-2' }),
      opened('w-3', 'h-3'),
    ];
    const rowsAfter = (passes: number): unknown[] => {
      const db = new Database(':memory:');
      const outbox = new OutboxProjection();
      outbox.setup(db);
      for (let pass = 0; pass < passes; pass += 1) for (const event of events) outbox.apply(db, event);
      const rows = db
        .prepare('SELECT id, window_id, holding_id, state, sent_at, deliveries FROM rm_notifications ORDER BY window_id')
        .all();
      db.close();
      return rows;
    };
    const once = rowsAfter(1);
    expect(once).toMatchObject([
      { window_id: 'w-1', state: 'sent' },
      { window_id: 'w-2', state: 'obsolete' },
      { window_id: 'w-3', state: 'pending' },
    ]);
    expect(rowsAfter(2)).toEqual(once);
  });
});
