import { Inject, Injectable } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { READ_DB } from '../runtime/read-db';

export interface OutboxStatus {
  /** Notifications waiting to be delivered. */
  pending: number;
  /** Of those, how many failed at their last attempt (and wait out a back-off). */
  failing: number;
  /** Opening instant of the longest-waiting pending notification's window (domain time), null when none. */
  oldestPendingSince: string | null;
  /** The most recent failure's message (addresses redacted when it was stored), null when nothing fails. */
  lastError: string | null;
  /** Wall time (ms) of the next retry of a failing notification, null when nothing fails. */
  nextRetryAtMs: number | null;
}

/** How the notification outbox is doing, for /health and /metrics (#16.11). */
@Injectable()
export class OutboxQueries {
  constructor(@Inject(READ_DB) private readonly db: Database.Database) {}

  status(): OutboxStatus {
    const summary = this.db
      .prepare<[], { pending: number; failing: number | null; oldest: string | null; next: number | null }>(
        `SELECT COUNT(*) AS pending, SUM(last_error IS NOT NULL) AS failing, MIN(opens_at) AS oldest,
                MIN(CASE WHEN last_error IS NOT NULL THEN claimed_until END) AS next
           FROM rm_notifications WHERE state = 'pending'`,
      )
      .get() ?? { pending: 0, failing: 0, oldest: null, next: null };
    const last = this.db
      .prepare<
        [],
        { last_error: string }
      >("SELECT last_error FROM rm_notifications WHERE state = 'pending' AND last_error IS NOT NULL ORDER BY claimed_until DESC LIMIT 1")
      .get();
    return {
      pending: summary.pending,
      failing: summary.failing ?? 0,
      oldestPendingSince: summary.oldest,
      lastError: last?.last_error ?? null,
      nextRetryAtMs: summary.next,
    };
  }
}
