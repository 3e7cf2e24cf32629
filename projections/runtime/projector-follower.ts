import { EventEmitter } from 'node:events';
import type { EventStore } from '@recert/eventstore';
import { ProjectionStatus, Projector, sleep } from './projector';
import type { ReadStore } from './read-store';
import type { RowProjection } from './rows';
import type { StoreProjection } from './projection';
import { projectionStatuses } from './store-projection-runner';

/**
 * A follow replica's `Projector` (#23.3): projects nothing, answers from the checkpoints the projecting processes
 * keep in the shared read store. `add` and `remove` only say which models it reports on: the data belongs to the
 * projectors (dropping a generation is the swapping process's work).
 */
export class ProjectorFollower implements Projector {
  private readonly models = new Map<string, { name: string; version: number }>();
  private readonly rewound = new EventEmitter();

  constructor(
    private readonly events: EventStore,
    private readonly readStore: ReadStore,
    projections: readonly (StoreProjection | RowProjection)[] = [],
  ) {
    for (const projection of projections) this.add(projection);
  }

  start(): void {}

  stop(): Promise<void> {
    return Promise.resolve();
  }

  add(projection: StoreProjection | RowProjection): void {
    this.models.set(projection.name, { name: projection.name, version: projection.version });
  }

  remove(name: string): Promise<void> {
    this.models.delete(name);
    return Promise.resolve();
  }

  async checkpoint(name: string): Promise<number> {
    return (await this.readStore.checkpoint(name))?.position ?? 0;
  }

  async waitFor(position: number, timeoutMs: number, names: readonly string[] = [...this.models.keys()]): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const positions = await Promise.all(names.map((name) => this.checkpoint(name)));
      if (positions.every((at) => at >= position)) return true;
      if (Date.now() > deadline) return false;
      await sleep(10);
    }
  }

  status(): Promise<ProjectionStatus[]> {
    return projectionStatuses(this.events, [...this.models.values()], (name) => this.checkpoint(name));
  }

  /** Rewound logs are met by the projecting process, which reports them. */
  onRewound(listener: (projection: string, reason: string) => void): void {
    this.rewound.on('rewound', listener);
  }
}
