import type { EventStore } from './event-store.port';

/** A consumer's mark in the log (a checkpoint, the webhook cursor): null fields when it was stored without them. */
export interface LogMark {
  position: number;
  eventId: string | null;
  epoch: string | null;
}

/**
 * Why the log no longer holds `mark`, or undefined when it does (#24.2). Positions are handed out again after a
 * point-in-time restore, a restore from backup or a failover to a standby missing the last commits: a mark of
 * another epoch, beyond the head, or naming another event at its position must not be resumed, or the consumer skips
 * the new events and keeps the lost ones. `epoch` is the log's, read by the caller (it keeps it with its next mark).
 * A store without epochs nor event lookups (EventStoreDB) has nothing to check.
 */
export async function rewoundReason(store: EventStore, mark: LogMark, epoch: string | null): Promise<string | undefined> {
  if (mark.position === 0) return undefined;
  if (mark.epoch !== null && epoch !== null && mark.epoch !== epoch) {
    return `position ${mark.position} of epoch ${mark.epoch}, the log is at epoch ${epoch}`;
  }
  if (!store.eventIdAt) return undefined;
  const head = await store.headPosition();
  if (mark.position > head) return `position ${mark.position} beyond the head ${head}`;
  if (mark.eventId === null) return undefined;
  const id = await store.eventIdAt(mark.position);
  return id === mark.eventId ? undefined : `position ${mark.position} names event ${mark.eventId}, the log holds ${id ?? 'none'} there`;
}
