import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { Subscription as RxSubscription } from 'rxjs';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { PolicyAdoptions, PolicyRegistry } from '@recert/renewals';
import { PolicyBook } from '@recert/domain';
import { PROJECTOR, Projector } from '../runtime/projector';
import { createIfMissing, READ_STORE, ReadStore, SqliteReadStore } from '../runtime/read-store';
import {
  GENERATIONS_DDL,
  HoldingsProjection,
  holdingsProjectionName,
  pointServingViews,
  SERVING_GENERATION_SQL,
  SERVING_VIEWS,
} from './holdings.projection';

/** A generation per policy book: its window column depends on the policy (R3, R14). */
export function holdingsGeneration(book: PolicyBook): string {
  return createHash('sha256').update(JSON.stringify(book.versions)).digest('hex').slice(0, 12);
}

/** Records which generation serves reads, so a restart (or another process) reads the same tables. */
export function recordServingGeneration(db: Database.Database, generation: string): void {
  db.exec(GENERATIONS_DDL);
  db.prepare(
    "INSERT INTO read_model_generations (name, generation) VALUES ('holdings', ?) ON CONFLICT(name) DO UPDATE SET generation = excluded.generation",
  ).run(generation);
}

/** How often a process looks whether another one swapped generations (PostgreSQL, or processes sharing `read.db`). */
const SWAP_POLL_MS = 1000;

/**
 * The holdings read model, blue/green: reads are served by the current generation while a new one (under a newly
 * adopted policy) is rebuilt beside it from zero; once it has caught up with the log it is swapped in, once, and
 * the old one dropped. Queries ask `tables()` for the names to read.
 *
 * Across processes (#23.4): the serving generation is recorded in the read store (`read_model_generations`). Every
 * process that learns of an adoption adds the new generation to its projector, but only the holder of the lease of
 * `holdings@<generation>` builds it: once per deployment. Each then waits for its checkpoint; the swap is a
 * conditional update of the record (`… WHERE generation = <old>`), so exactly one process swaps, and it drops the
 * old tables; the others see the record changed and forget the old generation.
 *
 * On PostgreSQL, queries read views (`rm_holdings`, …) over the serving generation's tables, replaced in the swap's
 * transaction: every replica reads the new rows from the swap's commit on, with no name to learn first, and `tables()`
 * stays synchronous. (Resolving the generation per request instead would cost a read per query, or, cached, let
 * replicas read different generations for the cache's lifetime, and read dropped tables after it.) What is cached
 * per process is only the generation's name (`generation`, `projection`, refreshed every second), which the status
 * lists key their cache by; `?consistentWith=` reads the record afresh (`servingProjection`). On `read.db`, as
 * before: the generation's own table names, and a follower reads the record on each `tables()`.
 */
@Injectable()
export class HoldingsModel implements OnApplicationShutdown {
  private readonly logger = new Logger('HoldingsModel');
  private current!: HoldingsProjection;
  private building?: HoldingsProjection;
  private adoptions?: RxSubscription;
  private closed = false;
  /** How many times a rebuilt generation replaced the serving one, as this process saw it. */
  swaps = 0;
  private follow = false;
  private poll?: NodeJS.Timeout;
  private refreshing?: Promise<void>;
  private servingGeneration?: Database.Statement<[], { generation: string }>;

  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTOR) private readonly runner: Projector,
    private readonly registry: PolicyRegistry,
    private readonly policyAdoptions: PolicyAdoptions,
  ) {}

  /**
   * Before the runner starts: the serving generation, and a rebuild when the policy changed while down. Following
   * (another process runs the projections), it rebuilds nothing and reads whichever generation that process serves.
   */
  async initialise(options: { follow?: boolean } = {}): Promise<void> {
    // Every process of a deployment starting at once runs this (R172).
    await createIfMissing(this.readStore, GENERATIONS_DDL);
    const wanted = holdingsGeneration(this.registry.book());
    // The first process of a deployment records the generation it wants; the others serve what is recorded.
    await this.readStore.run("INSERT INTO read_model_generations (name, generation) VALUES ('holdings', ?) ON CONFLICT (name) DO NOTHING", [
      wanted,
    ]);
    const stored = (await this.storedGeneration()) ?? wanted;
    this.current = new HoldingsProjection(this.registry.book(), stored);
    this.runner.add(this.current);
    this.follow = options.follow ?? false;
    if (this.readStore instanceof SqliteReadStore) {
      this.servingGeneration = this.readStore.db.prepare<[], { generation: string }>(SERVING_GENERATION_SQL);
    }
    if (!(this.follow && this.servingGeneration)) {
      this.poll = setInterval(() => void this.refresh(), SWAP_POLL_MS);
      this.poll.unref();
    }
    if (this.follow) return;
    this.adoptions = this.policyAdoptions.changed$.subscribe(() => void this.rebuild());
    if (stored !== wanted) void this.rebuild();
  }

  tables(): { profiles: string; holdings: string; verifications: string; generation: string; projection: string } {
    if (this.follow && this.servingGeneration) this.followSwaps();
    const views = this.readStore.kind === 'postgres';
    return {
      profiles: views ? SERVING_VIEWS.profiles : this.current.profiles,
      holdings: views ? SERVING_VIEWS.holdings : this.current.holdings,
      verifications: views ? SERVING_VIEWS.verifications : this.current.verifications,
      generation: this.current.generation,
      projection: this.current.name,
    };
  }

  /** The serving generation's projection as recorded now, for a wait on its checkpoint (`?consistentWith=`). */
  async servingProjection(): Promise<string> {
    if (this.readStore.kind !== 'postgres') return this.tables().projection;
    const stored = await this.storedGeneration();
    return stored === undefined ? this.current.name : holdingsProjectionName(stored);
  }

  /** Builds the generation of the current policy book beside the serving one and swaps it in when caught up. */
  async rebuild(): Promise<void> {
    const book = this.registry.book();
    const generation = holdingsGeneration(book);
    if (generation === this.building?.generation) return;
    if (generation === this.current.generation) {
      // The book is back to the serving one (an adoption withdrawn before its generation was swapped in, R14b).
      const abandoned = this.building;
      this.building = undefined;
      if (abandoned) await this.runner.remove(abandoned.name);
      return;
    }
    const next = new HoldingsProjection(book, generation);
    if (this.building) await this.runner.remove(this.building.name);
    this.building = next;
    this.logger.log(`rebuilding holdings as generation ${generation} beside ${this.current.generation}`);
    this.runner.add(next);
    for (;;) {
      if (this.closed) return; // shutting down: a restart resumes the rebuild (the book differs from the served one)
      const reached = await this.runner.waitFor(await this.store.headPosition(), 60_000, [next.name]);
      if (this.building !== next || this.closed) return; // superseded by a newer adoption, a withdrawal, or swapped elsewhere
      if (reached) break;
    }
    const old = this.current;
    const swapped = await this.readStore.transaction(async (tx) => {
      // Of every process waiting for this generation, one changes the record; the others find it changed.
      const won = await tx.query<{ generation: string }>(
        "UPDATE read_model_generations SET generation = ? WHERE name = 'holdings' AND generation = ? RETURNING generation",
        [generation, old.generation],
      );
      if (won.length > 0 && tx.dialect === 'postgres') await pointServingViews(tx, generation);
      return won.length > 0;
    });
    if (this.building !== next) return;
    if (!swapped && (await this.storedGeneration()) !== generation) return; // another generation won: `refresh` follows it
    this.logger.log(
      `holdings generation ${generation} caught up and now serves reads${swapped ? '' : ' (swapped by another process)'}; dropping ${old.generation}`,
    );
    await this.serve(next, old);
  }

  /** `next` serves from now on in this process; the old generation's data, checkpoint and lease go. */
  private async serve(next: HoldingsProjection, old: HoldingsProjection): Promise<void> {
    this.current = next;
    if (this.building === next) this.building = undefined;
    this.swaps += 1;
    await this.runner.remove(old.name);
  }

  /** Another process may have swapped generations since: follow the record. */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const stored = await this.storedGeneration();
        if (this.closed || stored === undefined || stored === this.current.generation) return;
        const next = this.building?.generation === stored ? this.building : new HoldingsProjection(this.registry.book(), stored);
        this.runner.add(next);
        this.logger.log(`holdings generation ${stored} serves reads (swapped by another process); leaving ${this.current.generation}`);
        await this.serve(next, this.current);
      } catch (error) {
        this.logger.warn(`cannot read the serving holdings generation: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async storedGeneration(): Promise<string | undefined> {
    return (await this.readStore.query<{ generation: string }>(SERVING_GENERATION_SQL))[0]?.generation;
  }

  /** Following on `read.db`: the process running the projections may have swapped in a new generation since the last read. */
  private followSwaps(): void {
    const stored = this.servingGeneration?.get()?.generation;
    if (stored === undefined || stored === this.current.generation) return;
    this.current = new HoldingsProjection(this.registry.book(), stored);
    this.runner.add(this.current);
  }

  onApplicationShutdown(): void {
    this.closed = true;
    clearInterval(this.poll);
    this.adoptions?.unsubscribe();
  }
}
