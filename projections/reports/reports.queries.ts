import { Inject, Injectable } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { CLOCK, Clock } from '@recert/kernel';
import { CATALOG } from '@recert/renewals';
import { Catalog } from '@recert/domain';
import { READ_DB } from '../runtime/read-db';
import { HoldingsModel } from '../holdings/holdings.model';

// The order of holdingStatusAt (R20): revoked, expired, suspended (ending by itself at its until, R17), then time.
const STATUS_SQL = `CASE WHEN revoked = 1 THEN 'revoked'
  WHEN expires_at IS NOT NULL AND (expired = 1 OR expires_at <= @now) THEN 'expired'
  WHEN suspended_since IS NOT NULL AND (suspended_until IS NULL OR suspended_until > @now) THEN 'suspended'
  WHEN expires_at IS NULL THEN 'never-expires'
  WHEN window_opens_at <= @now THEN 'renewal-open' ELSE 'active' END`;

export interface SummaryReport {
  asOf: string;
  total: number;
  byCertification: { code: string; name: string; total: number; byStatus: Record<string, number> }[];
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
}

/** The program's reports: counts by certification and status, and what expires soonest (paged). */
@Injectable()
export class ReportsQueries {
  constructor(
    @Inject(READ_DB) private readonly db: Database.Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CATALOG) private readonly catalog: Catalog,
    private readonly model: HoldingsModel,
  ) {}

  summary(): SummaryReport {
    const now = this.clock.now().toISOString();
    const rows = this.db
      .prepare<
        { now: string },
        { code: string; status: string; n: number }
      >(`SELECT code, ${STATUS_SQL} AS status, count(*) AS n FROM ${this.model.tables().holdings} WHERE merged_out = 0 GROUP BY code, status`)
      .all({ now });
    const statuses = ['active', 'renewal-open', 'expired', 'never-expires', 'revoked', 'suspended'];
    const empty = (): Record<string, number> => Object.fromEntries(statuses.map((s) => [s, 0]));
    const byStatus = empty();
    const byCertification = this.catalog.entries.map((entry) => ({ code: entry.code, name: entry.name, total: 0, byStatus: empty() }));
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
  expiringByWeek(weeks: number): { asOf: string; weeks: { weekStart: string; count: number }[] } {
    const now = this.clock.now();
    const until = new Date(now.getTime() + weeks * 7 * 24 * 3600 * 1000).toISOString();
    const rows = this.db
      .prepare<{ now: string; until: string }, { week: number; n: number }>(
        `SELECT CAST((julianday(expires_at) - julianday(@now)) / 7 AS INTEGER) AS week, count(*) AS n FROM ${this.model.tables().holdings}
         WHERE merged_out = 0 AND expired = 0 AND revoked = 0 AND expires_at > @now AND expires_at <= @until GROUP BY week`,
      )
      .all({ now: now.toISOString(), until });
    const counts = new Map(rows.map((row) => [row.week, row.n]));
    return {
      asOf: now.toISOString(),
      weeks: Array.from({ length: weeks }, (_, week) => ({
        weekStart: new Date(now.getTime() + week * 7 * 24 * 3600 * 1000).toISOString(),
        count: counts.get(week) ?? 0,
      })),
    };
  }

  expiring(
    withinDays: number,
    page: number,
    pageSize: number,
  ): { asOf: string; withinDays: number; page: number; pageSize: number; total: number; items: ExpiringItem[] } {
    const now = this.clock.now();
    const until = new Date(now.getTime() + withinDays * 24 * 3600 * 1000).toISOString();
    const params = { now: now.toISOString(), until };
    const where = 'merged_out = 0 AND expired = 0 AND revoked = 0 AND expires_at > @now AND expires_at <= @until';
    const total =
      this.db.prepare<typeof params, { n: number }>(`SELECT count(*) AS n FROM ${this.model.tables().holdings} WHERE ${where}`).get(params)
        ?.n ?? 0;
    const rows = this.db
      .prepare<
        typeof params & { limit: number; offset: number },
        { profile_id: string; holding_id: string; code: string; expires_at: string; status: string }
      >(
        `SELECT profile_id, holding_id, code, expires_at, ${STATUS_SQL} AS status FROM ${this.model.tables().holdings} WHERE ${where}
         ORDER BY expires_at, holding_id LIMIT @limit OFFSET @offset`,
      )
      .all({ ...params, limit: pageSize, offset: (page - 1) * pageSize });
    return {
      asOf: params.now,
      withinDays,
      page,
      pageSize,
      total,
      items: rows.map((row) => ({
        profileId: row.profile_id,
        holdingId: row.holding_id,
        code: row.code,
        name: this.catalog.get(row.code)?.name ?? row.code,
        expiresAt: row.expires_at,
        daysUntilExpiry: Math.ceil((Date.parse(row.expires_at) - now.getTime()) / (24 * 3600 * 1000)),
        status: row.status,
      })),
    };
  }
}
