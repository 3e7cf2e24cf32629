import type { EventStore } from '@recert/eventstore';

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

/**
 * What the app asks of whichever runner keeps its read models (#23): the synchronous `ProjectionRunner` over
 * `read.db` (default) or the `StoreProjectionRunner` over the PostgreSQL read store (`READ_STORE_URL`). Readiness,
 * metrics, read-your-writes and the jobs depend on this, never on one runner, so they work in both modes and on a
 * follow replica that projects nothing (its answers come from the checkpoints every process shares).
 */
export interface Projector {
  /** Starts projecting (a follow replica never calls it). */
  start(): void;
  stop(): Promise<void>;
  /** Until the named models (default: all) have processed `position`, whoever projects them; false on time-out. */
  waitFor(position: number, timeoutMs: number, names?: readonly string[]): Promise<boolean>;
  /** Each model's checkpoint, the log's head and the lag between them (for readiness and metrics). */
  status(): Promise<ProjectionStatus[]>;
  /** A checkpoint the log no longer holds (#24.2) was found (metrics count them). */
  onRewound(listener: (projection: string, reason: string) => void): void;
}

/** Nest token of the process's `Projector`. */
export const PROJECTOR = Symbol('PROJECTOR');

/** Lag is counted by reading the log from the checkpoint: bounded, so a far-behind projection costs one page. */
export const LAG_COUNT_CAP = 1000;

/**
 * One model's status from its checkpoint and the log's head: the events between them counted (positions are byte
 * offsets on EventStoreDB), at most LAG_COUNT_CAP. Shared by both runners, so readiness means the same in both modes.
 */
export async function projectionStatus(
  events: EventStore,
  projection: { name: string; version: number },
  checkpoint: number,
  head: number,
  state: { halted?: boolean; lastError: string | null },
): Promise<ProjectionStatus> {
  const lag =
    checkpoint >= head
      ? 0
      : (await events.readAll({ after: checkpoint, maxCount: LAG_COUNT_CAP })).filter((event) => event.position <= head).length;
  return {
    name: projection.name,
    version: projection.version,
    checkpoint,
    head,
    lag,
    lagCapped: lag >= LAG_COUNT_CAP,
    caughtUp: !state.halted && checkpoint >= head,
    lastError: state.lastError,
  };
}
