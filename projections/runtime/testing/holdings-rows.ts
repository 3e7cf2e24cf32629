import type { HoldingsModel } from '../../holdings/holdings.model';
import type { HoldingRow, HoldingsProjection } from '../../holdings/holdings.projection';
import type { ReadValue } from '../read-store';

/** Specs only: the holdings model of one projection's tables (a spec's own generation), caught up by construction. */
export function holdingsModelOf(projection: HoldingsProjection): HoldingsModel {
  return {
    tables: () => ({
      profiles: projection.profiles,
      holdings: projection.holdings,
      verifications: projection.verifications,
      generation: projection.generation,
      projection: projection.name,
    }),
  } as unknown as HoldingsModel;
}

/** Specs only: rows written by hand, one `INSERT` each, their columns as their keys (a store or a unit of work). */
export async function insertRows(
  target: { run(sql: string, params: ReadValue[]): Promise<unknown> },
  table: string,
  rows: readonly object[],
): Promise<void> {
  for (const row of rows) {
    const entries = Object.entries(row) as [string, ReadValue][];
    await target.run(
      `INSERT INTO ${table} (${entries.map(([column]) => column).join(', ')}) VALUES (${entries.map(() => '?').join(', ')})`,
      entries.map(([, value]) => value),
    );
  }
}

/** Specs only: a holding row of one cycle, every column at its plain value but those of `fields`. */
export function holdingRow(profileId: string, code: string, fields: Partial<HoldingRow>): HoldingRow {
  return {
    holding_id: `${profileId}.${code}`,
    profile_id: profileId,
    code,
    level: 'associate',
    cycle: 1,
    earned_at: '2025-06-01T00:00:00.000Z',
    expires_at: null,
    window_opens_at: null,
    window_id: null,
    window_opened: 0,
    notified: 0,
    attempts: 0,
    last_attempt_at: null,
    expired: 0,
    merged_out: 0,
    revoked: 0,
    suspended_since: null,
    suspended_until: null,
    verification_id: null,
    verification_private: 0,
    cooldown_free_until: null,
    last_override: null,
    cycle_position: 1,
    last_position: 1,
    imported_from: null,
    ...fields,
  };
}
