import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock } from '@recert/kernel';
import { CATALOG, PERSONAL_DATA_VAULT, PersonalData, PersonalDataVault } from '@recert/renewals';
import type { Catalog, SealedData } from '@recert/domain';
import { HoldingsModel } from '../holdings/holdings.model';
import { STATUS_SQL, statusParams } from '../reports/reports.queries';
import { READ_STORE, ReadStore, ReadValue } from '../runtime/read-store';
import { PersonSearchIndex } from './person-search';

export const ROSTER_STATUSES = ['active', 'renewal-open', 'expired', 'never-expires', 'revoked', 'suspended'] as const;
export type RosterStatus = (typeof ROSTER_STATUSES)[number];
export const ROSTER_SORTS = ['expires', '-expires', 'profile', 'certification', 'status'] as const;
export type RosterSort = (typeof ROSTER_SORTS)[number];

export interface RosterFilter {
  q?: string;
  status?: RosterStatus;
  certification?: string;
}

export interface RosterItem {
  profileId: string;
  holdingId: string;
  code: string;
  displayName: string | null;
  email: string | null;
  status: RosterStatus;
  earnedAt: string;
  expiresAt: string | null;
  suspendedUntil: string | null;
}

interface RosterRow {
  profile_id: string;
  holding_id: string;
  code: string;
  earned_at: string;
  expires_at: string | null;
  suspended_until: string | null;
  personal_data: string;
  holding_status: RosterStatus;
}

// Name order would need every name opened: the roster sorts by what the read model holds in clear.
const ORDER: Record<RosterSort, string> = {
  expires: 'h.expires_at IS NULL, h.expires_at, h.holding_id',
  '-expires': 'h.expires_at IS NULL, h.expires_at DESC, h.holding_id',
  profile: 'h.profile_id, h.code',
  certification: 'h.code, h.profile_id',
  status: 'holding_status, h.holding_id',
};

/** #27.2 the whole roster, every holding with its holder's name: searched, filtered by status, sorted, paged or streamed. */
@Injectable()
export class RosterQueries {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    private readonly model: HoldingsModel,
    private readonly search: PersonSearchIndex,
    @Inject(READ_STORE) private readonly reads: ReadStore,
  ) {}

  /** The condition and its `?` parameters, in order; a filter left out is left out of the SQL. */
  private async where(filter: RosterFilter, now: string): Promise<{ sql: string; params: ReadValue[] }> {
    let sql = 'h.merged_out = 0';
    const params: ReadValue[] = [];
    if (filter.certification !== undefined) {
      sql += ' AND h.code = ?';
      params.push(filter.certification);
    }
    if (filter.status !== undefined) {
      sql += ` AND ${STATUS_SQL} = ?`; // its columns are the holdings table's alone
      params.push(...statusParams(now), filter.status);
    }
    if (filter.q) {
      await this.search.catchUp();
      const byName = await this.search.condition(filter.q);
      sql += ` AND (h.profile_id = ? OR ${byName.sql})`;
      params.push(filter.q.trim(), ...byName.params);
    }
    return { sql, params };
  }

  /** The rows' statement; its parameters are `statusParams(now)` (the selected status), then the condition's. */
  private select(where: string): string {
    const t = this.model.tables();
    return `SELECT h.profile_id, h.holding_id, h.code, h.earned_at, h.expires_at, h.suspended_until, p.personal_data, ${STATUS_SQL} AS holding_status
      FROM ${t.holdings} h JOIN ${t.profiles} p ON p.profile_id = h.profile_id WHERE ${where}`;
  }

  private async items(rows: RosterRow[]): Promise<RosterItem[]> {
    const people = new Map<string, Promise<PersonalData | null>>();
    for (const row of rows)
      if (!people.has(row.profile_id))
        people.set(row.profile_id, this.vault.open<PersonalData>(JSON.parse(row.personal_data) as SealedData));
    return Promise.all(
      rows.map(async (row) => {
        const person = await people.get(row.profile_id);
        return {
          profileId: row.profile_id,
          holdingId: row.holding_id,
          code: row.code,
          displayName: person?.displayName ?? null,
          email: person?.email ?? null,
          status: row.holding_status,
          earnedAt: row.earned_at,
          expiresAt: row.expires_at,
          suspendedUntil: row.holding_status === 'suspended' ? row.suspended_until : null,
        };
      }),
    );
  }

  async page(
    filter: RosterFilter,
    sort: RosterSort,
    page: number,
    pageSize: number,
  ): Promise<{ asOf: string; total: number; page: number; pageSize: number; items: RosterItem[] }> {
    const now = this.clock.now().toISOString();
    const { sql, params } = await this.where(filter, now);
    const t = this.model.tables();
    // Both asked at once: on read.db they then run in the same turn, so the total counts the page's snapshot.
    const [[counted], rows] = await Promise.all([
      this.reads.query<{ n: number }>(`SELECT count(*) AS n FROM ${t.holdings} h WHERE ${sql}`, params),
      this.reads.query<RosterRow>(`${this.select(sql)} ORDER BY ${ORDER[sort]} LIMIT ? OFFSET ?`, [
        ...statusParams(now),
        ...params,
        pageSize,
        (page - 1) * pageSize,
      ]),
    ]);
    return { asOf: now, total: counted?.n ?? 0, page, pageSize, items: await this.items(rows) };
  }

  /**
   * Every matching holding in holding-id order, `batch` rows at a time from a keyset cursor: memory stays constant
   * whatever the roster's size, and each read is bounded.
   */
  async *stream(filter: RosterFilter, batch = 1000): AsyncGenerator<RosterItem[]> {
    const now = this.clock.now().toISOString();
    const { sql, params } = await this.where(filter, now);
    let after = '';
    for (;;) {
      // The serving generation's tables at each batch, as a blue/green swap may come during a long export.
      const statement = `${this.select(`${sql} AND h.holding_id > ?`)} ORDER BY h.holding_id LIMIT ?`;
      const rows = await this.reads.query<RosterRow>(statement, [...statusParams(now), ...params, after, batch]);
      if (rows.length === 0) return;
      yield await this.items(rows);
      after = (rows[rows.length - 1] as RosterRow).holding_id;
      if (rows.length < batch) return;
    }
  }

  certificationName(code: string): string {
    return this.catalog.get(code)?.name ?? code;
  }
}
