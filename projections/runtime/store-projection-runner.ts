import { EventEmitter } from 'node:events';
import { type EventStore, type RecordedEvent, rewoundReason } from '@recert/eventstore';
import { LAG_COUNT_CAP, ProjectionStatus, Projector, rewoundLogMessage, sleep } from './projector';
import type { StoreProjection } from './projection';
import { projectorOwner, ReadStore, ReadTx, StaleProjectorError, StoredCheckpoint } from './read-store';
import { RowStoreProjection } from './row-store-projection';
import type { RowProjection } from './rows';

export type { StoreProjection } from './projection';

export interface StoreProjectionRunnerOptions {
  leaseMs?: number;
  owner?: string;
  batchSize?: number;
  /** Events per page while more than a page behind (a rebuild, a long lag): fewer, larger units of work. */
  rebuildBatchSize?: number;
  /** Pause between looks at the log once caught up. */
  pollMs?: number;
  log?: (message: string) => void;
  /** As `ProjectionRunner`'s (#24.2): a checkpoint the log no longer holds is rebuilt from zero, or the model stopped. */
  rewoundLog?: 'rebuild' | 'stop';
}

interface Running {
  projection: StoreProjection;
  loop?: Promise<void>;
  /** Removed or the runner stopped: its loop ends after the unit in flight. */
  ended: boolean;
  caughtUp: boolean;
  lastError: string | null;
  /** Stopped on a rewound log (REWOUND_LOG=stop): not resumed until restarted. */
  halted: boolean;
  /** Its checkpoint is being checked against the log (#24.2): until then it proves nothing to a waiter. */
  checking: boolean;
  /** Ends the pause in progress (standing by, or polling the log): a stop need not wait out a third of the lease. */
  wake?: () => void;
}

/** A page of one model's events, read ahead of its unit of work. */
interface LogPage {
  events: readonly RecordedEvent[];
  /** The checkpoint after this page: its last event, or the head it reached. */
  to: number;
  reachedHead: boolean;
  eventId: string | null;
}

/** A pause that `end` cuts short. */
function pause(entry: Running, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (entry.ended) return resolve();
    const timer = setTimeout(resolve, ms);
    entry.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

function end(entry: Running): void {
  entry.ended = true;
  entry.wake?.();
}

/**
 * Runs `StoreProjection`s (#23.1, #23.2), and any `RowProjection` through `RowStoreProjection`: for each, take its
 * lease (or stand by), then read the log in pages and commit each page with its checkpoint; renew the lease between
 * pages and stand down when it is lost (a stale unit is refused anyway). The model's checkpoint is the read store's,
 * so every process sharing it sees the same one: `waitFor` and `status` answer on every process, leading or not.
 * A checkpoint is resumed only if the log still holds it (#24.2, as `ProjectionRunner` does). A rebuild from zero
 * builds a row model's secondary indexes once, in the unit that reaches the head.
 */
export class StoreProjectionRunner implements Projector {
  private stopped = true;
  private readonly running = new Map<string, Running>();
  private readonly owner: string;
  private readonly leaseMs: number;
  private readonly storeId: string;
  private readonly rewound = new EventEmitter();

  constructor(
    private readonly events: EventStore,
    private readonly readStore: ReadStore,
    projections: readonly (StoreProjection | RowProjection)[],
    private readonly options: StoreProjectionRunnerOptions = {},
  ) {
    this.owner = options.owner ?? projectorOwner();
    this.leaseMs = Math.max(30, options.leaseMs ?? 10_000);
    this.storeId = `${events.kind}:${events.identity ?? ''}`;
    for (const projection of projections) this.add(projection);
  }

  start(): void {
    this.stopped = false;
    for (const entry of this.running.values()) this.launch(entry);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const entry of this.running.values()) end(entry);
    for (const entry of this.running.values()) await entry.loop;
    for (const entry of this.running.values()) {
      entry.loop = undefined;
      entry.ended = false;
    }
  }

  /** Adds a model while running (a blue/green generation); a `RowProjection` is written through `RowStoreProjection`. */
  add(projection: StoreProjection | RowProjection): void {
    if (this.running.has(projection.name)) return;
    const entry: Running = {
      projection: 'fold' in projection ? new RowStoreProjection(projection) : projection,
      ended: false,
      caughtUp: false,
      lastError: null,
      halted: false,
      checking: false,
    };
    this.running.set(projection.name, entry);
    if (!this.stopped) this.launch(entry);
  }

  /**
   * Stops projecting `name` and drops its tables, checkpoint and lease, in one transaction: the lease row gone, a
   * unit still in flight elsewhere is refused by its fence. Several processes may remove one model; each is a no-op
   * after the first.
   */
  async remove(name: string): Promise<void> {
    const entry = await this.forget(name);
    if (!entry) return;
    await this.readStore.transaction(async (tx) => {
      await entry.projection.reset(tx);
      await tx.run('DELETE FROM projection_checkpoints WHERE name = ?', [name]);
      await tx.run('DELETE FROM projector_leases WHERE name = ?', [name]);
    });
  }

  /** Stops projecting `name` and forgets it, its data untouched. */
  private async forget(name: string): Promise<Running | undefined> {
    const entry = this.running.get(name);
    if (!entry) return undefined;
    this.running.delete(name);
    end(entry);
    await entry.loop;
    return entry;
  }

  onRewound(listener: (projection: string, reason: string) => void): void {
    this.rewound.on('rewound', listener);
  }

  async checkpoint(name: string): Promise<number> {
    return (await this.readStore.checkpoint(name))?.position ?? 0;
  }

  /** Until the named projections (default: all; whoever projects them) reach `position`; false on time-out. */
  async waitFor(position: number, timeoutMs: number, names: readonly string[] = [...this.running.keys()]): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reached = await Promise.all(
        names.map(async (name) => {
          const entry = this.running.get(name);
          return !entry?.halted && !entry?.checking && (await this.checkpoint(name)) >= position;
        }),
      );
      if (reached.every(Boolean)) return true;
      if (Date.now() > deadline) return false;
      await sleep(10);
    }
  }

  async status(): Promise<ProjectionStatus[]> {
    return projectionStatuses(
      this.events,
      [...this.running.values()].map(({ projection, halted, lastError }) => ({
        name: projection.name,
        version: projection.version,
        halted,
        lastError,
      })),
      (name) => this.checkpoint(name),
    );
  }

  private launch(entry: Running): void {
    if (entry.loop) return;
    entry.ended = false;
    entry.loop = this.run(entry);
  }

  private async run(entry: Running): Promise<void> {
    const { projection } = entry;
    const every = Math.max(10, Math.floor(this.leaseMs / 3));
    while (!entry.ended && !entry.halted) {
      let token: number | undefined;
      try {
        token = (await this.readStore.acquire(projection.name, this.owner, this.leaseMs))?.token;
        if (token === undefined) {
          await pause(entry, every);
          continue;
        }
        await this.project(entry, token, every);
      } catch (error) {
        entry.caughtUp = false;
        const message = error instanceof Error ? error.message : String(error);
        // A unit that failed otherwise once its lease was taken (R170: its session ended by the server while the
        // process was paused, say) lost the lease all the same: stand down as such, not as an error.
        const lost = error instanceof StaleProjectorError || (token !== undefined && (await this.leaseTaken(projection.name, token)));
        if (!lost) entry.lastError = message;
        this.options.log?.(
          lost
            ? `${projection.name}: projector lease lost (token ${token}${error instanceof StaleProjectorError ? '' : `; ${message}`}); standing by`
            : `${projection.name}: ${message}; standing by until the lease is taken again`,
        );
        if (!entry.ended) await pause(entry, every);
      } finally {
        if (entry.ended && token !== undefined) await this.readStore.release(projection.name, this.owner, token).catch(() => undefined);
      }
    }
  }

  /** Whether another has taken the lease since `token` (false when the read store does not answer). */
  private async leaseTaken(name: string, token: number): Promise<boolean> {
    const lease = await this.readStore.lease(name).catch(() => undefined);
    return lease !== undefined && lease.token !== token;
  }

  /** Under the lease with `token`, until ended or the lease is lost. */
  private async project(entry: Running, token: number, renewEveryMs: number): Promise<void> {
    const { projection } = entry;
    const epoch = this.events.epoch ? await this.events.epoch() : null;
    let stored = await this.readStore.checkpoint(projection.name);
    entry.checking = true;
    try {
      const why = stored && (await this.rewoundWhy(stored, epoch));
      if (why) {
        const stop = this.options.rewoundLog === 'stop';
        this.options.log?.(rewoundLogMessage(projection.name, why, stop));
        this.rewound.emit('rewound', projection.name, why);
        if (stop) {
          entry.halted = true;
          entry.lastError = `rewound log: ${why}`;
          return;
        }
        if (stored) stored = { ...stored, position: 0, version: -1 };
      }
    } finally {
      entry.checking = false;
    }
    const fresh = !stored || stored.position === 0 || stored.version !== projection.version || stored.store !== this.storeId;
    let position = fresh ? 0 : (stored?.position ?? 0);
    let at: StoredCheckpoint = { position, version: projection.version, store: this.storeId, eventId: stored?.eventId ?? null, epoch };
    if (fresh) at = { ...at, eventId: null };
    if (fresh) this.options.log?.(`${projection.name}: building from zero (token ${token})`);
    await this.readStore.commit(projection.name, token, at, async (tx) => {
      if (fresh && stored) await projection.reset(tx);
      await projection.setup(tx);
      if (fresh) await projection.startRebuild?.(tx);
    });
    let fromZero = fresh;
    // One renewal for as long as this runs, every third of the lease, whatever the loop is doing: a long unit (R164),
    // units that keep coming (R171), a pause at the head. A renewal that finds another token, or fails, ends the loop
    // at its next turn; a unit in flight meanwhile is refused by the fence anyway. A paused process renews nothing.
    const renewal: { lost: boolean; failed?: Error } = { lost: false };
    const renewing = setInterval(
      () =>
        void this.readStore.acquire(projection.name, this.owner, this.leaseMs).then(
          (lease) => {
            if (lease?.token !== token) renewal.lost = true;
          },
          (error: unknown) => {
            renewal.failed ??= error instanceof Error ? error : new Error(String(error));
          },
        ),
      renewEveryMs,
    );
    try {
      // While behind, the next page is read while this one's unit of work commits: the log's read and parse overlap
      // the read store's writes (#23.7). Once a page reaches the head, the next look waits for the poll.
      let next: Promise<LogPage> | undefined;
      while (!entry.ended) {
        if (renewal.failed) throw renewal.failed;
        if (renewal.lost) throw new StaleProjectorError(projection.name, token);
        const current = await (next ?? this.readPage(projection, position));
        next = undefined;
        if (current.to <= position) {
          if (fromZero) {
            // An empty log: nothing to rebuild, the indexes now.
            await this.readStore.commit(projection.name, token, at, async (tx) => projection.finishRebuild?.(tx));
            fromZero = false;
          }
          entry.caughtUp = true;
          entry.lastError = null;
          await pause(entry, this.options.pollMs ?? 50);
          continue;
        }
        if (!current.reachedHead) {
          next = this.readPage(projection, current.to);
          next.catch(() => undefined); // awaited next turn; a failure then is handled there, or dropped when ended
        }
        at = { position: current.to, version: projection.version, store: this.storeId, eventId: current.eventId, epoch };
        const options = { fromZero };
        const events = current.events;
        const write = projection.preparePage
          ? await projection.preparePage(events, options)
          : (tx: ReadTx): Promise<void> => projection.applyPage(tx, events, options);
        await this.readStore.commit(projection.name, token, at, async (tx) => {
          await write(tx);
          if (options.fromZero && current.reachedHead) await projection.finishRebuild?.(tx);
        });
        if (current.reachedHead) fromZero = false;
        position = current.to;
        entry.caughtUp = current.reachedHead;
        entry.lastError = null;
      }
    } finally {
      clearInterval(renewing);
    }
  }

  /** The model's events after `after` up to the log's head as it is now, and where the checkpoint goes after them. */
  private async readPage(projection: StoreProjection, after: number): Promise<LogPage> {
    const head = await this.events.headPosition();
    if (head <= after) return { events: [], to: after, reachedHead: true, eventId: null };
    const batchSize = this.options.batchSize ?? 1000;
    const size = head - after > batchSize ? Math.max(batchSize, this.options.rebuildBatchSize ?? 5000) : batchSize;
    const events = (await this.events.readAll({ after, maxCount: size, filter: { eventTypes: projection.eventTypes } })).filter(
      (event) => event.position <= head,
    );
    // A short page reached the head: the checkpoint moves to it even when the last events were of other types.
    const reachedHead = events.length < size;
    const last = events[events.length - 1];
    const to = reachedHead ? head : (last?.position ?? head);
    // The event at the checkpoint, so a start can tell whether the log still holds it (#24.2).
    const eventId = last?.position === to ? last.id : ((await this.events.eventIdAt?.(to)) ?? null);
    return { events, to, reachedHead, eventId };
  }

  private async rewoundWhy(stored: StoredCheckpoint, epoch: string | null): Promise<string | undefined> {
    if (stored.position === 0 || stored.store !== this.storeId) return undefined;
    if (!this.events.epoch && !this.events.eventIdAt) return undefined;
    return rewoundReason(this.events, { position: stored.position, eventId: stored.eventId ?? null, epoch: stored.epoch ?? null }, epoch);
  }
}

/** Each model's checkpoint and its lag to the log's head, counted up to LAG_COUNT_CAP (shared by runner and follower). */
export async function projectionStatuses(
  events: EventStore,
  models: readonly { name: string; version: number; halted?: boolean; lastError?: string | null }[],
  checkpointOf: (name: string) => Promise<number>,
): Promise<ProjectionStatus[]> {
  const head = await events.headPosition();
  return Promise.all(
    models.map(async (model) => {
      const checkpoint = await checkpointOf(model.name);
      let lag = 0;
      if (checkpoint < head) {
        const page = await events.readAll({ after: checkpoint, maxCount: LAG_COUNT_CAP });
        lag = page.filter((event) => event.position <= head).length;
      }
      return {
        name: model.name,
        version: model.version,
        checkpoint,
        head,
        lag,
        lagCapped: lag >= LAG_COUNT_CAP,
        caughtUp: !model.halted && checkpoint >= head,
        lastError: model.lastError ?? null,
      };
    }),
  );
}
