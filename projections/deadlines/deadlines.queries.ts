import { Inject, Injectable } from '@nestjs/common';
import { READ_STORE, ReadStore } from '../runtime/read-store';
import { HoldingsModel } from '../holdings/holdings.model';

export interface Deadline {
  holdingId: string;
  profileId: string;
  code: string;
}

/** What is due at `now` (R3, R9), from the holdings read model's deadline indexes. */
@Injectable()
export class DeadlineQueries {
  /** The statements of the serving generation (a blue/green swap changes the table). */
  private sql?: { generation: string; windows: string; expiries: string };

  constructor(
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly model: HoldingsModel,
  ) {}

  private statements(): { windows: string; expiries: string } {
    const tables = this.model.tables();
    if (this.sql?.generation !== tables.generation) {
      this.sql = {
        generation: tables.generation,
        windows: `SELECT holding_id AS "holdingId", profile_id AS "profileId", code FROM ${tables.holdings}
          WHERE merged_out = 0 AND window_opened = 0 AND expired = 0 AND window_opens_at <= ? AND expires_at > ?
          ORDER BY window_opens_at LIMIT ?`,
        expiries: `SELECT holding_id AS "holdingId", profile_id AS "profileId", code FROM ${tables.holdings}
          WHERE merged_out = 0 AND expired = 0 AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
      };
    }
    return this.sql;
  }

  windowsDue(now: Date, limit = 1000): Promise<Deadline[]> {
    const at = now.toISOString();
    return this.reads.query<Deadline>(this.statements().windows, [at, at, limit]);
  }

  expiriesDue(now: Date, limit = 1000): Promise<Deadline[]> {
    return this.reads.query<Deadline>(this.statements().expiries, [now.toISOString(), limit]);
  }
}
