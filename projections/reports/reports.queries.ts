import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock } from '@recert/kernel';
import { CATALOG, PolicyRegistry } from '@recert/renewals';
import { Catalog, holdingStatusAt, renewalBlockers, withPolicyWindow } from '@recert/domain';
import { READ_STORE, ReadStore, ReadValue } from '../runtime/read-store';
import { HoldingsModel } from '../holdings/holdings.model';
import type { HoldingRow } from '../holdings/holdings.projection';
import { heldStateOf } from '../holdings/holdings.projection';
import type { RenewalRateMonth } from '../renewal-outcomes/renewal-outcomes.projection';

// The order of holdingStatusAt (R20): revoked, expired, suspended (ending by itself at its until, R17), then time.
// Its `?`s are all the instant judged at: give `statusParams(now)` where it stands among the statement's parameters.
export const STATUS_SQL = `CASE WHEN revoked = 1 THEN 'revoked'
  WHEN expires_at IS NOT NULL AND (expired = 1 OR expires_at <= ?) THEN 'expired'
  WHEN suspended_since IS NOT NULL AND (suspended_until IS NULL OR suspended_until > ?) THEN 'suspended'
  WHEN expires_at IS NULL THEN 'never-expires'
  WHEN window_opens_at <= ? THEN 'renewal-open' ELSE 'active' END`;

const STATUS_PLACEHOLDERS = STATUS_SQL.split('?').length - 1;

/** STATUS_SQL's parameters: `now` for each of its placeholders (positional `?`, as both read stores take them). */
export function statusParams(now: string): string[] {
  return Array.from({ length: STATUS_PLACEHOLDERS }, () => now);
}

/**
 * Whole weeks from the instant (the first parameter) to a holding's expiry. No date arithmetic is common to both
 * dialects; rows are after the instant, so truncating (SQLite) and flooring (PostgreSQL) agree.
 */
const WEEKS_FROM: Record<ReadStore['kind'], string> = {
  sqlite: 'CAST((julianday(expires_at) - julianday(?)) / 7 AS INTEGER)',
  postgres: 'CAST(floor(extract(epoch FROM (CAST(expires_at AS timestamptz) - CAST(? AS timestamptz))) / 604800) AS INTEGER)',
};

export interface SummaryReport {
  asOf: string;
  total: number;
  /** `names`: the catalog's name per language (#27.3), for the pages. */
  byCertification: { code: string; name: string; names: Record<string, string>; total: number; byStatus: Record<string, number> }[];
  byStatus: Record<string, number>;
}

export interface ExpiringItem {
  profileId: string;
  holdingId: string;
  code: string;
  name: string;
  expiresAt: string;
  daysUntilExpiry: number;
  status: string;
  /** Codes that would refuse a renewal attempt now, computed with the deciders' own rules (as the dashboard's). */
  blockedBy: string[];
}

/** What the program page filters the expiring list by; every field optional. */
export interface ExpiringFilter {
  certification?: string;
  status?: 'active' | 'renewal-open';
  /** Expiring at or after / before these instants; without them, from now to now + withinDays. */
  expiresFrom?: string;
  expiresTo?: string;
}

/** The program's reports: counts by certification and status, and what expires soonest (paged). */
@Injectable()
export class ReportsQueries {
  constructor(
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CATALOG) private readonly catalog: Catalog,
    private readonly model: HoldingsModel,
    private readonly policies: PolicyRegistry,
  ) {}

  async summary(): Promise<SummaryReport> {
    const now = this.clock.now().toISOString();
    const rows = await this.reads.query<{ code: string; status: string; n: number }>(
      `SELECT code, ${STATUS_SQL} AS status, count(*) AS n FROM ${this.model.tables().holdings} WHERE merged_out = 0 GROUP BY code, status`,
      statusParams(now),
    );
    const statuses = ['active', 'renewal-open', 'expired', 'never-expires', 'revoked', 'suspended'];
    const empty = (): Record<string, number> => Object.fromEntries(statuses.map((s) => [s, 0]));
    const byStatus = empty();
    const byCertification = this.catalog.entries.map((entry) => ({
      code: entry.code,
      name: entry.name,
      names: entry.names ?? {},
      total: 0,
      byStatus: empty(),
    }));
    for (const row of rows) {
      const target = byCertification.find((c) => c.code === row.code);
      if (!target) continue;
      target.byStatus[row.status] = (target.byStatus[row.status] ?? 0) + row.n;
      target.total += row.n;
      byStatus[row.status] = (byStatus[row.status] ?? 0) + row.n;
    }
    return { asOf: now, total: rows.reduce((sum, row) => sum + row.n, 0), byCertification, byStatus };
  }

  /** Holdings expiring per week for the next `weeks` weeks, week 0 starting now (the program page's chart). */
  async expiringByWeek(weeks: number): Promise<{ asOf: string; weeks: { weekStart: string; count: number }[] }> {
    const now = this.clock.now();
    const until = new Date(now.getTime() + weeks * 7 * 24 * 3600 * 1000).toISOString();
    const rows = await this.reads.query<{ week: number; n: number }>(
      `SELECT ${WEEKS_FROM[this.reads.kind]} AS week, count(*) AS n FROM ${this.model.tables().holdings}
       WHERE merged_out = 0 AND expired = 0 AND revoked = 0 AND expires_at > ? AND expires_at <= ? GROUP BY week`,
      [now.toISOString(), now.toISOString(), until],
    );
    const counts = new Map(rows.map((row) => [row.week, row.n]));
    return {
      asOf: now.toISOString(),
      weeks: Array.from({ length: weeks }, (_, week) => ({
        weekStart: new Date(now.getTime() + week * 7 * 24 * 3600 * 1000).toISOString(),
        count: counts.get(week) ?? 0,
      })),
    };
  }

  /**
   * Renewal rate per calendar month (UTC), the last `months` months to this one (#15.4): of the windows whose expiry
   * fell in the month (and has passed), how many were renewed before it. A window still open is not counted yet.
   */
  async renewalRate(
    months: number,
    certification?: string,
  ): Promise<{ asOf: string; certification: string | null; months: RenewalRateMonth[] }> {
    const now = this.clock.now();
    const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (months - 1), 1));
    const params: ReadValue[] = [first.toISOString(), now.toISOString()];
    if (certification !== undefined) params.push(certification);
    const rows = await this.reads.query<{ month: string; closed: number; renewed: number }>(
      `SELECT substr(closes_at, 1, 7) AS month, count(*) AS closed, sum(CASE WHEN outcome = 'renewed' THEN 1 ELSE 0 END) AS renewed
       FROM rm_window_outcomes WHERE closes_at >= ? AND closes_at <= ?${certification === undefined ? '' : ' AND code = ?'} GROUP BY month`,
      params,
    );
    const byMonth = new Map(rows.map((row) => [row.month, row]));
    return {
      asOf: now.toISOString(),
      certification: certification ?? null,
      months: Array.from({ length: months }, (_, i) => {
        const month = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + i, 1)).toISOString().slice(0, 7);
        const row = byMonth.get(month);
        const closed = row?.closed ?? 0;
        const renewed = row?.renewed ?? 0;
        return { month, closed, renewed, rate: closed > 0 ? renewed / closed : null };
      }),
    };
  }

  async expiring(
    withinDays: number,
    page: number,
    pageSize: number,
    filter: ExpiringFilter = {},
  ): Promise<{ asOf: string; withinDays: number; page: number; pageSize: number; total: number; items: ExpiringItem[] }> {
    const now = this.clock.now();
    const asOf = now.toISOString();
    const tables = this.model.tables();
    const from = filter.expiresFrom && filter.expiresFrom > asOf ? filter.expiresFrom : asOf;
    const until = filter.expiresTo ?? new Date(now.getTime() + withinDays * 24 * 3600 * 1000).toISOString();
    // A filter left out is left out of the SQL (rather than `? IS NULL OR …`, whose type PostgreSQL cannot infer).
    let where = 'h.merged_out = 0 AND h.expired = 0 AND h.revoked = 0 AND h.expires_at > ? AND h.expires_at <= ?';
    const params: ReadValue[] = [from, until];
    if (filter.certification !== undefined) {
      where += ' AND h.code = ?';
      params.push(filter.certification);
    }
    if (filter.status !== undefined) {
      where += ` AND ${STATUS_SQL} = ?`; // STATUS_SQL's columns are the holdings table's alone
      params.push(...statusParams(asOf), filter.status);
    }
    // Both asked at once: on read.db they then run in the same turn, so the total counts the page's snapshot.
    const [[counted], rows] = await Promise.all([
      this.reads.query<{ n: number }>(`SELECT count(*) AS n FROM ${tables.holdings} h WHERE ${where}`, params),
      this.reads.query<HoldingRow & { linked: string | null }>(
        `SELECT h.*, p.linked_learn_profile_id AS linked FROM ${tables.holdings} h LEFT JOIN ${tables.profiles} p ON p.profile_id = h.profile_id
         WHERE ${where} ORDER BY h.expires_at, h.holding_id LIMIT ? OFFSET ?`,
        [...params, pageSize, (page - 1) * pageSize],
      ),
    ]);
    const total = counted?.n ?? 0;
    const book = this.policies.book();
    return {
      asOf,
      withinDays,
      page,
      pageSize,
      total,
      items: rows.map((row) => {
        const state = withPolicyWindow(heldStateOf(row), book);
        const certification = this.catalog.get(row.code);
        const expiresAt = row.expires_at ?? asOf;
        return {
          profileId: row.profile_id,
          holdingId: row.holding_id,
          code: row.code,
          name: certification?.name ?? row.code,
          expiresAt,
          daysUntilExpiry: Math.ceil((Date.parse(expiresAt) - now.getTime()) / (24 * 3600 * 1000)),
          status: holdingStatusAt(state, now),
          blockedBy: certification
            ? renewalBlockers(state, { now, policies: book, certification }, { profileLinked: row.linked !== null }).map((b) => b.code)
            : [],
        };
      }),
    };
  }
}
