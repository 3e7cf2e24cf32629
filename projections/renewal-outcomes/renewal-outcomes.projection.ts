import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@recert/eventstore';
import { HOLDING_EVENTS } from '@recert/domain';
import type { Projection } from '../runtime/projection';
import type { ReadTx, Write } from '../runtime/read-store';
import { Statements } from '../runtime/statements';
import { column, createTableStatements, defineTable, TableDefinition } from '../runtime/table-definition';
import type { StoreProjection } from '../runtime/store-projection-runner';

/** The expiry each holding has now (CertificationExpired does not carry it). */
const OUTCOME_HOLDINGS = defineTable({
  name: 'rm_outcome_holdings',
  columns: { holding_id: column.text(), expires_at: column.nullableText() },
  primaryKey: ['holding_id'],
  withoutRowid: true,
});

/** One row per holding and expiry date its window closed at. */
const WINDOW_OUTCOMES = defineTable({
  name: 'rm_window_outcomes',
  columns: {
    holding_id: column.text(),
    closes_at: column.text(),
    code: column.text(),
    outcome: column.text(),
    at: column.text(),
  },
  primaryKey: ['holding_id', 'closes_at'],
  indexes: { by_close: ['closes_at'] },
  withoutRowid: true,
});

/** Both dialects' DDL from these definitions (#23.1, #28.3). */
const OUTCOME_TABLES: readonly TableDefinition[] = [OUTCOME_HOLDINGS, WINDOW_OUTCOMES];

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
    for (const table of OUTCOME_TABLES) for (const statement of createTableStatements(table, 'sqlite')) db.exec(statement);
  }

  reset(db: Database.Database): void {
    this.sql.clear();
    db.exec('DROP TABLE IF EXISTS rm_outcome_holdings; DROP TABLE IF EXISTS rm_window_outcomes;');
  }

  apply(db: Database.Database, event: RecordedEvent): void {
    for (const step of outcomeSteps(event)) {
      if (step.kind === 'track') {
        this.sql
          .get(
            db,
            'INSERT INTO rm_outcome_holdings (holding_id, expires_at) VALUES (?, ?) ON CONFLICT(holding_id) DO UPDATE SET expires_at = excluded.expires_at',
          )
          .run(step.holdingId, step.expiresAt);
      } else {
        const closesAt = step.kind === 'record' ? step.closesAt : this.heldExpiry(db, step.holdingId);
        this.sql
          .get(db, 'INSERT OR REPLACE INTO rm_window_outcomes (holding_id, closes_at, code, outcome, at) VALUES (?, ?, ?, ?, ?)')
          .run(step.holdingId, new Date(closesAt ?? step.at).toISOString(), step.code, step.outcome, step.at);
      }
    }
  }

  private heldExpiry(db: Database.Database, holdingId: string): string | null | undefined {
    const held = this.sql.get(db, 'SELECT expires_at FROM rm_outcome_holdings WHERE holding_id = ?').get(holdingId) as
      | { expires_at: string | null }
      | undefined;
    return held?.expires_at;
  }
}

/** What an event does to the outcomes, for the projection on `read.db` and the one on the read-store port alike. */
type OutcomeStep =
  | { kind: 'track'; holdingId: string; expiresAt: string | null }
  | { kind: 'record'; holdingId: string; closesAt: string; code: string; outcome: 'renewed'; at: string }
  /** Closes at the expiry tracked for the holding; the scheduler's run date stands in only for one never seen. */
  | { kind: 'expire'; holdingId: string; code: string; outcome: 'expired'; at: string };

function outcomeSteps(event: RecordedEvent): OutcomeStep[] {
  if (!HOLDING_EVENTS.is(event)) return [];
  switch (event.type) {
    case 'CertificationEarned': {
      const d = event.data;
      return [{ kind: 'track', holdingId: d.holdingId, expiresAt: d.expiresAt }];
    }
    case 'CertificationImported': {
      // #14.3: the renewals before the import were the legacy system's; its expiry is tracked from here.
      const d = event.data;
      return [{ kind: 'track', holdingId: d.holdingId, expiresAt: d.expiresAt }];
    }
    case 'HoldingMergedIn': {
      const d = event.data;
      // Windows the source closed stay recorded under the source's holding; the target tracks what it adopted.
      return d.adopted ? [{ kind: 'track', holdingId: d.holdingId, expiresAt: d.snapshot.expired ? null : d.snapshot.expiresAt }] : [];
    }
    case 'CertificationRenewed': {
      const d = event.data;
      return [
        {
          kind: 'record',
          holdingId: d.holdingId,
          closesAt: d.previousExpiresAt,
          code: d.certificationCode,
          outcome: 'renewed',
          at: d.renewedAt,
        },
        { kind: 'track', holdingId: d.holdingId, expiresAt: d.expiresAt },
      ];
    }
    case 'CertificationExpired': {
      const d = event.data;
      return [{ kind: 'expire', holdingId: d.holdingId, code: d.certificationCode, outcome: 'expired', at: d.expiredAt }];
    }
    case 'HoldingExpiryExtended':
    case 'RenewalWindowReopened': {
      const d = event.data;
      return [{ kind: 'track', holdingId: d.holdingId, expiresAt: d.to }];
    }
    default:
      return [];
  }
}

/**
 * The same read model through the read-store port (#23.1), on SQLite or PostgreSQL: the first model moved behind it
 * (`docs/READ-STORE-STATUS.md`). Same tables, same rows as `RenewalOutcomesProjection`.
 */
export class RenewalOutcomesStoreProjection implements StoreProjection {
  readonly name = 'renewal-outcomes';
  readonly version = 1;
  readonly eventTypes = new RenewalOutcomesProjection().eventTypes;

  async setup(tx: ReadTx): Promise<void> {
    for (const table of OUTCOME_TABLES) for (const statement of createTableStatements(table, tx.dialect)) await tx.run(statement);
  }

  async reset(tx: ReadTx): Promise<void> {
    await tx.run('DROP TABLE IF EXISTS rm_outcome_holdings');
    await tx.run('DROP TABLE IF EXISTS rm_window_outcomes');
  }

  /**
   * The page's statements in one batch (#23.7). An expiry reads the holding's tracked expiry as the statements before
   * it left it: the stored rows of the page's expiring holdings, read once up front, overlaid by the page's own tracks.
   */
  async applyPage(tx: ReadTx, events: readonly RecordedEvent[]): Promise<void> {
    const steps = events.flatMap((event) => outcomeSteps(event));
    const tracked = await this.storedExpiries(tx, [...new Set(steps.flatMap((s) => (s.kind === 'expire' ? [s.holdingId] : [])))]);
    const writes: Write[] = [];
    for (const step of steps) {
      if (step.kind === 'track') {
        tracked.set(step.holdingId, step.expiresAt);
        writes.push({
          sql: 'INSERT INTO rm_outcome_holdings (holding_id, expires_at) VALUES (?, ?) ON CONFLICT (holding_id) DO UPDATE SET expires_at = excluded.expires_at',
          params: [step.holdingId, step.expiresAt],
        });
        continue;
      }
      const closesAt: string | null | undefined = step.kind === 'record' ? step.closesAt : tracked.get(step.holdingId);
      writes.push({
        sql: `INSERT INTO rm_window_outcomes (holding_id, closes_at, code, outcome, at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (holding_id, closes_at) DO UPDATE SET code = excluded.code, outcome = excluded.outcome, at = excluded.at`,
        params: [step.holdingId, new Date(closesAt ?? step.at).toISOString(), step.code, step.outcome, step.at],
      });
    }
    await tx.runAll(writes);
  }

  /** The stored expiries of `holdingIds` (absent when not tracked), a few hundred keys per query. */
  private async storedExpiries(tx: ReadTx, holdingIds: readonly string[]): Promise<Map<string, string | null>> {
    const stored = new Map<string, string | null>();
    for (let i = 0; i < holdingIds.length; i += 500) {
      const chunk = holdingIds.slice(i, i + 500);
      const rows = await tx.query<{ holding_id: string; expires_at: string | null }>(
        `SELECT holding_id, expires_at FROM rm_outcome_holdings WHERE holding_id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      for (const row of rows) stored.set(row.holding_id, row.expires_at);
    }
    return stored;
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
