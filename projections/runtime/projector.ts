import type { RowProjection } from './rows';

export interface ProjectionStatus {
  name: string;
  version: number;
  checkpoint: number;
  head: number;
  /** Events between the checkpoint and the head (positions are bytes on EventStoreDB), at most LAG_COUNT_CAP. */
  lag: number;
  /** True when the lag reached LAG_COUNT_CAP and was not counted further. */
  lagCapped: boolean;
  caughtUp: boolean;
  lastError: string | null;
}

/** Lag is counted by reading the log from the checkpoint: bounded, so a far-behind projection costs one page. */
export const LAG_COUNT_CAP = 1000;

/**
 * What the read side asks of whatever keeps its models up to date (#23.1): the synchronous `ProjectionRunner` over
 * `read.db`, the `StoreProjectionRunner` over the read-store port, or a `ProjectorFollower` that projects nothing and
 * reads the checkpoints another process writes. The holdings model adds and removes its generations through it,
 * `?consistentWith=` waits on it, `/health` and `/metrics` read its status.
 */
export interface Projector {
  start(): void;
  stop(): Promise<void>;
  /** Adds a model while running (a blue/green generation): from its own checkpoint, zero when new. */
  add(projection: RowProjection): void;
  /** Stops projecting `name` and drops its data, checkpoint and lease (the old side of a swap). */
  remove(name: string): Promise<void>;
  /** Until the named models (default: all) have processed `position`, whoever projects them; false on time-out. */
  waitFor(position: number, timeoutMs: number, names?: readonly string[]): Promise<boolean>;
  /** Each model's checkpoint and lag to the log's head. */
  status(): Promise<ProjectionStatus[]>;
  checkpoint(name: string): number | Promise<number>;
  /** Called with the model's name and why, each time a checkpoint of a rewound log is met (#24.2): a metric. */
  onRewound(listener: (projection: string, reason: string) => void): void;
}

/** Nest token of the process's `Projector` (the `ProjectionRunner` unless the read store is PostgreSQL). */
export const PROJECTOR = Symbol('PROJECTOR');

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What a runner logs on meeting a checkpoint of a rewound log (#24.2). */
export function rewoundLogMessage(name: string, reason: string, stop: boolean): string {
  const then = stop ? 'stopped (REWOUND_LOG=stop): set REWOUND_LOG=rebuild or drop its read model' : 'rebuilding from zero';
  return `${name}: rewound log: ${reason}; ${then}`;
}
