import { Inject, Injectable } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { READ_DB } from '../runtime/read-db';
import { HoldingsModel } from '../holdings/holdings.model';

export interface Deadline {
  holdingId: string;
  profileId: string;
  code: string;
}

/** What is due at `now` (R3, R9), from the holdings read model's deadline indexes. */
@Injectable()
export class DeadlineQueries {
  constructor(
    @Inject(READ_DB) private readonly db: Database.Database,
    private readonly model: HoldingsModel,
  ) {}

  windowsDue(now: Date, limit = 1000): Deadline[] {
    const at = now.toISOString();
    return this.db
      .prepare<[string, string, number], Deadline>(
        `SELECT holding_id AS holdingId, profile_id AS profileId, code FROM ${this.model.tables().holdings}
         WHERE merged_out = 0 AND window_opened = 0 AND expired = 0 AND window_opens_at <= ? AND expires_at > ?
         ORDER BY window_opens_at LIMIT ?`,
      )
      .all(at, at, limit);
  }

  expiriesDue(now: Date, limit = 1000): Deadline[] {
    return this.db
      .prepare<[string, number], Deadline>(
        `SELECT holding_id AS holdingId, profile_id AS profileId, code FROM ${this.model.tables().holdings}
         WHERE merged_out = 0 AND expired = 0 AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
      )
      .all(now.toISOString(), limit);
  }
}
