import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { DomainError } from '@recert/domain';
import type { OverrideTargetRef, OverrideTargets } from '@recert/renewals';
import { READ_STORE, ReadStore } from '../runtime/read-store';
import { PROJECTOR, type Projector } from '../runtime/projector';
import { HoldingsModel } from './holdings.model';

/**
 * R28: the holdings a bulk override applies to, from the holdings read model caught up with the log: of the
 * certification, not merged out, expiring in [from, to], plus those this override already extended (a resumed run),
 * by profile then code, so a dry run and the real run list them in the same order.
 */
/** The override id of a holding's last override (JSON text): no JSON function is common to both dialects. */
const LAST_OVERRIDE_ID: Record<ReadStore['kind'], string> = {
  sqlite: "json_extract(last_override, '$.overrideId')",
  postgres: "(CAST(last_override AS json) ->> 'overrideId')",
};

@Injectable()
export class OverrideTargetQueries implements OverrideTargets {
  private sql?: { generation: string; matching: string };

  constructor(
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTOR) private readonly runner: Projector,
    private readonly model: HoldingsModel,
  ) {}

  async holdingsMatching(
    filter: { certificationCode: string; from: Date; to: Date },
    overrideId: string | null,
  ): Promise<OverrideTargetRef[]> {
    const tables = this.model.tables();
    if (!(await this.runner.waitFor(await this.store.headPosition(), 30_000, [tables.projection]))) {
      // Deciding from a lagging model would miss holdings: refuse, as a store outage would (503), rather than guess.
      throw new DomainError('CONCURRENCY_CONFLICT', 'The holdings read model is catching up with the log; ask again shortly');
    }
    if (this.sql?.generation !== tables.generation) {
      this.sql = {
        generation: tables.generation,
        matching: `SELECT profile_id, code FROM ${tables.holdings}
         WHERE code = ? AND merged_out = 0
           AND ((expires_at >= ? AND expires_at <= ?) OR ${LAST_OVERRIDE_ID[this.reads.kind]} = ?)
         ORDER BY profile_id, code`,
      };
    }
    const rows = await this.reads.query<{ profile_id: string; code: string }>(this.sql.matching, [
      filter.certificationCode,
      filter.from.toISOString(),
      filter.to.toISOString(),
      overrideId ?? '',
    ]);
    return rows.map((row) => ({ profileId: row.profile_id, certificationCode: row.code }));
  }
}
