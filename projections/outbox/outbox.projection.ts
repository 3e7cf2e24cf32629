import type { RecordedEvent } from '@recert/eventstore';
import { deterministicId } from '@recert/kernel';
import { HOLDING_EVENTS, PROFILE_EVENTS } from '@recert/domain';
import { ReadDbStatementProjection, StoreStatementProjection, Write } from '../runtime/statement-projection';
import { column, defineTable, RowOf } from '../runtime/table-definition';

/** `rm_notifications`, declared once for both dialects; the dispatcher's job state (claims, deliveries) sits beside. */
export const NOTIFICATIONS_TABLE = defineTable({
  name: 'rm_notifications',
  columns: {
    id: column.text(),
    window_id: column.text({ unique: true }),
    holding_id: column.text(),
    profile_id: column.text(),
    code: column.text(),
    opens_at: column.text(),
    expires_at: column.text(),
    state: column.text(),
    claimed_by: column.nullableText(),
    // Epoch milliseconds: the end of a claim or of a failed delivery's back-off.
    claimed_until: column.nullableBigint(),
    deliveries: column.integer(0),
    last_error: column.nullableText(),
    sent_at: column.nullableText(),
    personal_data_erased: column.integer(0),
    forgotten: column.integer(0),
  },
  primaryKey: ['id'],
  indexes: { profile: ['profile_id'], pending: ['state', 'claimed_until'], holding: ['holding_id', 'state'] },
});

const OUTBOX_EVENT_TYPES: readonly string[] = [
  'RenewalWindowOpened',
  'RenewalEligibilityNotified',
  // Any of these ends a window before its notification went out: telling then would be wrong, so it is obsolete.
  'CertificationRenewed',
  'CertificationExpired',
  'CertificationEarned',
  'HoldingMergedOut',
  // An override moving the expiry replaces the window (R27); a revocation ends it (R15).
  'HoldingExpiryExtended',
  'RenewalWindowReopened',
  'CertificationRevoked',
  // An erasure must reach the notification artefacts too (#16.5): the dispatcher forgets the flagged ones.
  'PersonalDataErased',
];

/** What an event does to the outbox, for the projection on `read.db` and its read-store twin alike. */
function outboxWrites(event: RecordedEvent): Write[] {
  if (PROFILE_EVENTS.is(event)) {
    if (event.type !== 'PersonalDataErased') return [];
    return [{ sql: 'UPDATE rm_notifications SET personal_data_erased = 1 WHERE profile_id = ?', params: [event.data.profileId] }];
  }
  if (!HOLDING_EVENTS.is(event)) return [];
  if (event.type === 'RenewalWindowOpened') {
    const d = event.data;
    return [
      {
        sql: `INSERT INTO rm_notifications (id, window_id, holding_id, profile_id, code, opens_at, expires_at, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending') ON CONFLICT (window_id) DO NOTHING`,
        params: [notificationIdOf(d.windowId), d.windowId, d.holdingId, d.profileId, d.certificationCode, d.opensAt, d.expiresAt],
      },
    ];
  }
  if (event.type === 'RenewalEligibilityNotified') {
    const d = event.data;
    return [{ sql: "UPDATE rm_notifications SET state = 'sent', sent_at = ? WHERE window_id = ?", params: [d.notifiedAt, d.windowId] }];
  }
  return [
    { sql: "UPDATE rm_notifications SET state = 'obsolete' WHERE holding_id = ? AND state = 'pending'", params: [event.data.holdingId] },
  ];
}

/**
 * The notification outbox (R4): one row per opened window, keyed by the window, so a window can never queue
 * two notifications. The dispatcher delivers pending rows; RenewalEligibilityNotified marks them sent;
 * PersonalDataErased flags the profile's rows so the dispatcher deletes what the sender kept of them.
 */
export class OutboxProjection extends ReadDbStatementProjection {
  readonly name = 'outbox';
  readonly version = 3;
  readonly eventTypes = OUTBOX_EVENT_TYPES;
  readonly tables = [NOTIFICATIONS_TABLE];

  writes(event: RecordedEvent): Write[] {
    return outboxWrites(event);
  }
}

/** The outbox through the read-store port (the PostgreSQL mode, #23.1): same table, same rows as `OutboxProjection`. */
export function outboxStoreProjection(): StoreStatementProjection {
  return new StoreStatementProjection(new OutboxProjection());
}

export function notificationIdOf(windowId: string): string {
  return deterministicId('renewal-eligibility-notification', windowId);
}

export type NotificationRow = RowOf<typeof NOTIFICATIONS_TABLE> & { state: 'pending' | 'sent' | 'obsolete' };
