import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { Subscription as RxSubscription } from 'rxjs';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { PolicyAdoptions, PolicyRegistry } from '@recert/renewals';
import { PolicyBook } from '@recert/domain';
import { ProjectionRunner } from '../runtime/projection-runner';
import { READ_DB } from '../runtime/read-db';
import { HoldingsProjection } from './holdings.projection';

/** A generation per policy book: its window column depends on the policy (R3, R14). */
export function holdingsGeneration(book: PolicyBook): string {
  return createHash('sha256').update(JSON.stringify(book.versions)).digest('hex').slice(0, 12);
}

/** Records which generation serves reads, so a restart (or another process) reads the same tables. */
export function recordServingGeneration(db: Database.Database, generation: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS read_model_generations (name TEXT PRIMARY KEY, generation TEXT NOT NULL)');
  db.prepare(
    "INSERT INTO read_model_generations (name, generation) VALUES ('holdings', ?) ON CONFLICT(name) DO UPDATE SET generation = excluded.generation",
  ).run(generation);
}

/**
 * The holdings read model, blue/green: reads are served by the current generation while a new one (under a newly
 * adopted policy) is rebuilt beside it from zero; once it has caught up with the log it is swapped in, once, and
 * the old one dropped. Queries ask `tables()` for the generation to read.
 */
@Injectable()
export class HoldingsModel implements OnApplicationShutdown {
  private readonly logger = new Logger('HoldingsModel');
  private current!: HoldingsProjection;
  private building?: HoldingsProjection;
  private adoptions?: RxSubscription;
  /** How many times a rebuilt generation replaced the serving one. */
  swaps = 0;
  private follow = false;
  private servingGeneration!: Database.Statement<[], { generation: string }>;

  constructor(
    @Inject(READ_DB) private readonly db: Database.Database,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
    private readonly registry: PolicyRegistry,
    private readonly policyAdoptions: PolicyAdoptions,
  ) {}

  /**
   * Before the runner starts: the serving generation, and a rebuild when the policy changed while down. Following
   * (another process runs the projections), it rebuilds nothing and reads whichever generation that process serves.
   */
  initialise(options: { follow?: boolean } = {}): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS read_model_generations (name TEXT PRIMARY KEY, generation TEXT NOT NULL)');
    this.servingGeneration = this.db.prepare<[], { generation: string }>(
      "SELECT generation FROM read_model_generations WHERE name = 'holdings'",
    );
    const stored = this.servingGeneration.get();
    const wanted = holdingsGeneration(this.registry.book());
    this.current = new HoldingsProjection(this.registry.book(), stored?.generation ?? wanted);
    if (!stored) recordServingGeneration(this.db, wanted);
    this.runner.add(this.current);
    this.follow = options.follow ?? false;
    if (this.follow) return;
    this.adoptions = this.policyAdoptions.adopted$.subscribe(() => void this.rebuild());
    if (stored && stored.generation !== wanted) void this.rebuild();
  }

  private shutDown = false;

  tables(): { profiles: string; holdings: string; generation: string; projection: string } {
    if (this.follow) this.followSwaps();
    return {
      profiles: this.current.profiles,
      holdings: this.current.holdings,
      generation: this.current.generation,
      projection: this.current.name,
    };
  }

  /** Builds the generation of the current policy book beside the serving one and swaps it in when caught up. */
  async rebuild(): Promise<void> {
    const book = this.registry.book();
    const generation = holdingsGeneration(book);
    if (generation === this.current.generation || generation === this.building?.generation) return;
    const next = new HoldingsProjection(book, generation);
    if (this.building) await this.runner.remove(this.building.name);
    this.building = next;
    this.logger.log(`rebuilding holdings as generation ${generation} beside ${this.current.generation}`);
    this.runner.add(next);
    for (;;) {
      const reached = await this.runner.waitFor(await this.store.headPosition(), 60_000, [next.name]);
      if (this.building !== next) return; // superseded by a newer adoption
      if (reached) break;
      if (this.shutDown) return; // the app is closing: the read database goes with it
    }
    const old = this.current;
    this.current = next;
    this.building = undefined;
    recordServingGeneration(this.db, generation);
    this.swaps += 1;
    this.logger.log(`holdings generation ${generation} caught up and now serves reads; dropping ${old.generation}`);
    await this.runner.remove(old.name);
  }

  /** Following: the process running the projections may have swapped in a new generation since the last read. */
  private followSwaps(): void {
    const stored = this.servingGeneration.get()?.generation;
    if (stored === undefined || stored === this.current.generation) return;
    this.current = new HoldingsProjection(this.registry.book(), stored);
    this.runner.add(this.current);
  }

  onApplicationShutdown(): void {
    this.shutDown = true;
    this.adoptions?.unsubscribe();
  }
}
