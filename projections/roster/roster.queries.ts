import { Inject, Injectable } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { CLOCK, Clock } from '@recert/kernel';
import { CATALOG, PERSONAL_DATA_VAULT, PersonalData, PersonalDataVault } from '@recert/renewals';
import type { Catalog, SealedData } from '@recert/domain';
import { HoldingsModel } from '../holdings/holdings.model';
import { STATUS_SQL } from '../reports/reports.queries';
import { READ_DB } from '../runtime/read-db';
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
    @Inject(READ_DB) private readonly db: Database.Database,
  ) {}

  private async where(filter: RosterFilter, now: string): Promise<{ sql: string; params: Record<string, string | number | null> }> {
    const params: Record<string, string | number | null> = { now, status: filter.status ?? null, code: filter.certification ?? null };
    let sql = `h.merged_out = 0 AND (@code IS NULL OR h.code = @code) AND (@status IS NULL OR ${STATUS_SQL} = @status)`; // its columns are the holdings table's alone
    if (filter.q) {
      await this.search.catchUp();
      const byName = await this.search.condition(filter.q);
      Object.assign(params, byName.params, { q: filter.q.trim() });
      sql += ` AND (h.profile_id = @q OR ${byName.sql})`;
    }
    return { sql, params };
  }

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
    const total =
      this.db.prepare<typeof params, { n: number }>(`SELECT count(*) AS n FROM ${t.holdings} h WHERE ${sql}`).get(params)?.n ?? 0;
    const rows = this.db
      .prepare<typeof params, RosterRow>(`${this.select(sql)} ORDER BY ${ORDER[sort]} LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: pageSize, offset: (page - 1) * pageSize });
    return { asOf: now, total, page, pageSize, items: await this.items(rows) };
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
      const rows = this.db
        .prepare<typeof params, RosterRow>(`${this.select(`${sql} AND h.holding_id > @after`)} ORDER BY h.holding_id LIMIT @limit`)
        .all({ ...params, after, limit: batch });
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
