import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@recert/eventstore';
import { deterministicId } from '@recert/kernel';
import type { RenewalEligibilityNotified, RenewalWindowOpened } from '@recert/domain';
import type { Projection } from '../runtime/projection';
import { Statements } from '../runtime/statements';

/**
 * The notification outbox (R4): one row per opened window, keyed by the window, so a window can never queue
 * two notifications. The dispatcher delivers pending rows; RenewalEligibilityNotified marks them sent;
 * PersonalDataErased flags the profile's rows so the dispatcher deletes what the sender kept of them.
 */
export class OutboxProjection implements Projection {
  readonly name = 'outbox';
  readonly version = 3;
  private readonly sql = new Statements();
  readonly eventTypes: readonly string[] = [
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

  setup(db: Database.Database): void {
    db.exec(`CREATE TABLE IF NOT EXISTS rm_notifications (
      id TEXT PRIMARY KEY, window_id TEXT NOT NULL UNIQUE, holding_id TEXT NOT NULL, profile_id TEXT NOT NULL, code TEXT NOT NULL,
      opens_at TEXT NOT NULL, expires_at TEXT NOT NULL, state TEXT NOT NULL, claimed_by TEXT, claimed_until INTEGER,
      deliveries INTEGER NOT NULL DEFAULT 0, last_error TEXT, sent_at TEXT,
      personal_data_erased INTEGER NOT NULL DEFAULT 0, forgotten INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX IF NOT EXISTS rm_notifications_profile ON rm_notifications (profile_id);
      CREATE INDEX IF NOT EXISTS rm_notifications_pending ON rm_notifications (state, claimed_until);`);
  }

  reset(db: Database.Database): void {
    this.sql.clear();
    db.exec('DROP TABLE IF EXISTS rm_notifications');
  }

  apply(db: Database.Database, event: RecordedEvent): void {
    if (event.type === 'RenewalWindowOpened') {
      const d = (event as unknown as RenewalWindowOpened).data;
      this.sql
        .get(
          db,
          `INSERT INTO rm_notifications (id, window_id, holding_id, profile_id, code, opens_at, expires_at, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending') ON CONFLICT(window_id) DO NOTHING`,
        )
        .run(notificationIdOf(d.windowId), d.windowId, d.holdingId, d.profileId, d.certificationCode, d.opensAt, d.expiresAt);
    } else if (event.type === 'RenewalEligibilityNotified') {
      const d = (event as unknown as RenewalEligibilityNotified).data;
      this.sql.get(db, "UPDATE rm_notifications SET state = 'sent', sent_at = ? WHERE window_id = ?").run(d.notifiedAt, d.windowId);
    } else if (event.type === 'PersonalDataErased') {
      this.sql.get(db, 'UPDATE rm_notifications SET personal_data_erased = 1 WHERE profile_id = ?').run(event.data['profileId'] as string);
    } else {
      const holdingId = event.data['holdingId'] as string;
      this.sql.get(db, "UPDATE rm_notifications SET state = 'obsolete' WHERE holding_id = ? AND state = 'pending'").run(holdingId);
    }
  }
}

export function notificationIdOf(windowId: string): string {
  return deterministicId('renewal-eligibility-notification', windowId);
}

export interface NotificationRow {
  id: string;
  window_id: string;
  holding_id: string;
  profile_id: string;
  code: string;
  opens_at: string;
  expires_at: string;
  state: 'pending' | 'sent' | 'obsolete';
  deliveries: number;
}
