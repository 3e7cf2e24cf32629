import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@recert/eventstore';
import type {
  CertificationEarned,
  CertificationExpired,
  CertificationImported,
  CertificationRenewed,
  HoldingMergedIn,
} from '@recert/domain';
import type { Projection } from '../runtime/projection';
import { Statements } from '../runtime/statements';

/**
 * How each renewal window ended (#15.4, the program page's renewal rate): one row per holding and expiry date, either
 * `renewed` (CertificationRenewed, keyed by the expiry it replaced) or `expired` (CertificationExpired, keyed by the
 * expiry the holding had then, which this projection keeps per holding because the event does not carry it). Both
 * are keyed by what they close, so applying an event twice writes the same row (replay-safe). Independent of the
 * policy book: the expiry dates are the recorded ones, so no blue/green generation is needed.
 */
export class RenewalOutcomesProjection implements Projection {
  readonly name = 'renewal-outcomes';
  readonly version = 1;
  readonly eventTypes: readonly string[] = [
    'CertificationEarned',
    'CertificationImported',
    'CertificationRenewed',
    'CertificationExpired',
    'HoldingMergedIn',
    // R27: an override moves the expiry: the window then closes at the new one, in its month.
    'HoldingExpiryExtended',
    'RenewalWindowReopened',
  ];
  private readonly sql = new Statements();

  setup(db: Database.Database): void {
    db.exec(`CREATE TABLE IF NOT EXISTS rm_outcome_holdings (holding_id TEXT PRIMARY KEY, expires_at TEXT) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS rm_window_outcomes (
        holding_id TEXT NOT NULL, closes_at TEXT NOT NULL, code TEXT NOT NULL, outcome TEXT NOT NULL, at TEXT NOT NULL,
        PRIMARY KEY (holding_id, closes_at)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS rm_window_outcomes_by_close ON rm_window_outcomes (closes_at);`);
  }

  reset(db: Database.Database): void {
    this.sql.clear();
    db.exec('DROP TABLE IF EXISTS rm_outcome_holdings; DROP TABLE IF EXISTS rm_window_outcomes;');
  }

  apply(db: Database.Database, event: RecordedEvent): void {
    const track = (holdingId: string, expiresAt: string | null): void => {
      this.sql
        .get(
          db,
          'INSERT INTO rm_outcome_holdings (holding_id, expires_at) VALUES (?, ?) ON CONFLICT(holding_id) DO UPDATE SET expires_at = excluded.expires_at',
        )
        .run(holdingId, expiresAt);
    };
    const record = (holdingId: string, closesAt: string, code: string, outcome: 'renewed' | 'expired', at: string): void => {
      this.sql
        .get(db, 'INSERT OR REPLACE INTO rm_window_outcomes (holding_id, closes_at, code, outcome, at) VALUES (?, ?, ?, ?, ?)')
        .run(holdingId, closesAt, code, outcome, at);
    };
    switch (event.type) {
      case 'CertificationEarned': {
        const d = (event as unknown as CertificationEarned).data;
        track(d.holdingId, d.expiresAt);
        return;
      }
      case 'CertificationImported': {
        // #14.3: the renewals before the import were the legacy system's; its expiry is tracked from here.
        const d = (event as unknown as CertificationImported).data;
        track(d.holdingId, d.expiresAt);
        return;
      }
      case 'HoldingMergedIn': {
        const d = (event as unknown as HoldingMergedIn).data;
        // Windows the source closed stay recorded under the source's holding; the target tracks what it adopted.
        if (d.adopted) track(d.holdingId, d.snapshot.expired ? null : d.snapshot.expiresAt);
        return;
      }
      case 'CertificationRenewed': {
        const d = (event as unknown as CertificationRenewed).data;
        record(d.holdingId, new Date(d.previousExpiresAt).toISOString(), d.certificationCode, 'renewed', d.renewedAt);
        track(d.holdingId, d.expiresAt);
        return;
      }
      case 'CertificationExpired': {
        const d = (event as unknown as CertificationExpired).data;
        const held = this.sql.get(db, 'SELECT expires_at FROM rm_outcome_holdings WHERE holding_id = ?').get(d.holdingId) as
          | { expires_at: string | null }
          | undefined;
        // The scheduler's run date stands in only for a holding whose expiry this projection never saw.
        const closesAt = held?.expires_at ?? d.expiredAt;
        record(d.holdingId, new Date(closesAt).toISOString(), d.certificationCode, 'expired', d.expiredAt);
        return;
      }
      case 'HoldingExpiryExtended':
      case 'RenewalWindowReopened': {
        const d = event.data as { holdingId: string; to: string };
        track(d.holdingId, d.to);
        return;
      }
      default:
        return;
    }
  }
}

export interface RenewalRateMonth {
  /** The calendar month (UTC) the windows closed in, `YYYY-MM`. */
  month: string;
  /** Windows whose expiry fell in this month, up to now. */
  closed: number;
  /** Of those, renewed before they closed. */
  renewed: number;
  /** renewed / closed, or null for a month with no window closed. */
  rate: number | null;
}
