import type { EventStore, RecordedEvent } from '@recert/eventstore';
import { projectionStatus, type ProjectionStatus, type Projector } from './projector';
import { projectorOwner, ReadStore, ReadTx, StaleProjectorError } from './read-store';

/**
 * A read model written through the read-store port (#23.1): any adapter, asynchronous. Each page is one unit of work
 * with its checkpoint, fenced by the projector lease (R91).
 */
export interface StoreProjection {
  readonly name: string;
  readonly version: number;
  readonly eventTypes: readonly string[];
  /** Creates its tables (idempotent). */
  setup(tx: ReadTx): Promise<void>;
  /** Drops its data for a rebuild from zero. */
  reset(tx: ReadTx): Promise<void>;
  applyPage(tx: ReadTx, events: readonly RecordedEvent[]): Promise<void>;
}

export interface StoreProjectionRunnerOptions {
  leaseMs?: number;
  owner?: string;
  batchSize?: number;
  /** Pause between looks at the log once caught up. */
  pollMs?: number;
  log?: (message: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `StoreProjection`s (#23.1, #23.2): for each, take its lease (or stand by), then read the log in pages and
 * commit each page with its checkpoint; renew the lease between pages and stand down when it is lost (a stale unit is
 * refused anyway). The model's checkpoint is the read store's, so every process sharing it sees the same one.
 * The step the synchronous `ProjectionRunner` takes next (`docs/READ-STORE-STATUS.md`); it has no pipelined rebuild.
 */
export class StoreProjectionRunner implements Projector {
  private stopped = true;
  /** Each model's last failure while this process projected it (null once a page commits again). */
  private readonly lastErrors = new Map<string, string | null>();
  private loops: Promise<void>[] = [];
  private readonly owner: string;
  private readonly leaseMs: number;
  private readonly storeId: string;

  constructor(
    private readonly events: EventStore,
    private readonly readStore: ReadStore,
    private readonly projections: readonly StoreProjection[],
    private readonly options: StoreProjectionRunnerOptions = {},
  ) {
    this.owner = options.owner ?? projectorOwner();
    this.leaseMs = Math.max(30, options.leaseMs ?? 10_000);
    this.storeId = `${events.kind}:${events.identity ?? ''}`;
  }

  start(): void {
    this.stopped = false;
    this.loops = this.projections.map((projection) => this.run(projection));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  async checkpoint(name: string): Promise<number> {
    return (await this.readStore.checkpoint(name))?.position ?? 0;
  }

  /**
   * Until the named projections' checkpoints (default: all) reach `position`, whoever projects them: the checkpoints
   * are the read store's, so a follow replica waits on the projecting process's progress (R142); false on time-out.
   */
  async waitFor(position: number, timeoutMs: number, names: readonly string[] = this.projections.map((p) => p.name)): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const positions = await Promise.all(names.map((name) => this.checkpoint(name)));
      if (positions.every((at) => at >= position)) return true;
      if (Date.now() > deadline) return false;
      await sleep(20);
    }
  }

  /** Each model's shared checkpoint against the log's head, the lag counted up to LAG_COUNT_CAP events (R141). */
  async status(): Promise<ProjectionStatus[]> {
    const head = await this.events.headPosition();
    return Promise.all(
      this.projections.map(async (projection) =>
        projectionStatus(this.events, projection, await this.checkpoint(projection.name), head, {
          lastError: this.lastErrors.get(projection.name) ?? null,
        }),
      ),
    );
  }

  /** This runner does not check checkpoints against a rewound log yet (#24.2 is the read.db runner's): never called. */
  onRewound(listener: (projection: string, reason: string) => void): void {
    void listener;
  }

  private async run(projection: StoreProjection): Promise<void> {
    const every = Math.max(10, Math.floor(this.leaseMs / 3));
    while (!this.stopped) {
      let token: number | undefined;
      try {
        token = (await this.readStore.acquire(projection.name, this.owner, this.leaseMs))?.token;
        if (token === undefined) {
          await sleep(every);
          continue;
        }
        await this.project(projection, token, every);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!(error instanceof StaleProjectorError)) this.lastErrors.set(projection.name, message);
        this.options.log?.(
          error instanceof StaleProjectorError
            ? `${projection.name}: projector lease lost; standing by`
            : `${projection.name}: ${message}; standing by until the lease is taken again`,
        );
        await sleep(every);
      } finally {
        if (this.stopped && token !== undefined) await this.readStore.release(projection.name, this.owner, token).catch(() => undefined);
      }
    }
  }

  /** Under the lease with `token`, until stopped or the lease is lost. */
  private async project(projection: StoreProjection, token: number, renewEveryMs: number): Promise<void> {
    const stored = await this.readStore.checkpoint(projection.name);
    const fresh = !stored || stored.version !== projection.version || stored.store !== this.storeId;
    let position = fresh ? 0 : stored.position;
    await this.readStore.commit(projection.name, token, { position, version: projection.version, store: this.storeId }, async (tx) => {
      if (fresh && stored) await projection.reset(tx);
      await projection.setup(tx);
    });
    let renewAt = Date.now() + renewEveryMs;
    const batchSize = this.options.batchSize ?? 1000;
    while (!this.stopped) {
      if (Date.now() >= renewAt) {
        const lease = await this.readStore.acquire(projection.name, this.owner, this.leaseMs);
        if (lease?.token !== token) throw new StaleProjectorError(projection.name, token);
        renewAt = Date.now() + renewEveryMs;
      }
      const head = await this.events.headPosition();
      if (head <= position) {
        await sleep(this.options.pollMs ?? 50);
        continue;
      }
      const page = (
        await this.events.readAll({ after: position, maxCount: batchSize, filter: { eventTypes: projection.eventTypes } })
      ).filter((event) => event.position <= head);
      // A short page reached the head: the checkpoint moves to it even when the last events were of other types.
      const to = page.length < batchSize ? head : (page[page.length - 1]?.position ?? head);
      await this.readStore.commit(projection.name, token, { position: to, version: projection.version, store: this.storeId }, (tx) =>
        projection.applyPage(tx, page),
      );
      position = to;
      this.lastErrors.set(projection.name, null);
    }
  }
}
