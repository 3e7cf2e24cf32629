import type { HoldingsModel } from '../../holdings/holdings.model';
import type { HoldingsProjection } from '../../holdings/holdings.projection';
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
