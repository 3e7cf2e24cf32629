import { Inject, Injectable } from '@nestjs/common';
import { READ_STORE, type ReadStore } from '../runtime/read-store';

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
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async status(): Promise<OutboxStatus> {
    // Portable (#23.1): a CASE, not a boolean, is summed (PostgreSQL has no sum of booleans); an aggregate without
    // GROUP BY gives one row on both, its sums null when nothing is pending.
    const [summary] = await this.readStore.query<{ pending: number; failing: number | null; oldest: string | null; next: number | null }>(
      `SELECT COUNT(*) AS pending, SUM(CASE WHEN last_error IS NOT NULL THEN 1 ELSE 0 END) AS failing, MIN(opens_at) AS oldest,
              MIN(CASE WHEN last_error IS NOT NULL THEN claimed_until END) AS next
         FROM rm_notifications WHERE state = 'pending'`,
    );
    // NULLS LAST: PostgreSQL sorts nulls first in a descending order, SQLite last; `id` settles ties alike on both.
    const [last] = await this.readStore.query<{ last_error: string }>(
      `SELECT last_error FROM rm_notifications WHERE state = 'pending' AND last_error IS NOT NULL
        ORDER BY claimed_until DESC NULLS LAST, id DESC LIMIT 1`,
    );
    return {
      pending: summary?.pending ?? 0,
      failing: summary?.failing ?? 0,
      oldestPendingSince: summary?.oldest ?? null,
      lastError: last?.last_error ?? null,
      nextRetryAtMs: summary?.next ?? null,
    };
  }
}
