import type { EventEmitter } from 'node:events';
import type { EventFilter, RecordedEvent, SubscribeOptions, Subscription, SubscriptionHandlers } from './event-store.port';

/** A page of the log as a subscription scans it: the wanted events, and how far the scan got past unwanted ones. */
export interface ScannedPage {
  events: RecordedEvent[];
  scannedTo: number;
  /** Id of the event at scannedTo, for the checkpoint (#24.2). */
  scannedId?: string;
  rowCount: number;
}

/** What a store that pages its own log lends a subscription (the embedded and PostgreSQL stores). */
export interface PolledLog {
  readPage(after: number, filter: EventFilter | undefined, limit: number): ScannedPage | Promise<ScannedPage>;
  /** Emits `appended` on appends this process saw (its own, or another's notified): the subscription reads at once. */
  appended: EventEmitter;
  /** How long a caught-up subscription waits before reading anyway (other processes' appends, a lost notification). */
  pollIntervalMs: number;
  /** Pause after each live batch, so a burst of single appends is delivered as fewer, larger batches. */
  liveBatchDelayMs?: number;
  /** The store's open subscriptions, which close() stops. */
  subscriptions: Set<Subscription>;
}

/** Catch-up by pages, then live: woken by `appended`, else by the poll. One loop for every store that pages its log. */
export function pollingSubscription(
  log: PolledLog,
  options: SubscribeOptions & { limit: number },
  handlers: SubscriptionHandlers,
): Subscription {
  let stopped = false;
  let appendedSinceRead = false;
  let wake: (() => void) | undefined;
  const onAppended = (): void => {
    appendedSinceRead = true;
    wake?.();
  };
  log.appended.on('appended', onAppended);

  const waitForMore = (): Promise<void> =>
    new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, log.pollIntervalMs);
      wake = finish;
    });
  const pause = log.liveBatchDelayMs ?? 0;

  const run = async (): Promise<void> => {
    let after = options.after;
    try {
      while (!stopped) {
        appendedSinceRead = false;
        const page = await log.readPage(after, options.filter, options.limit);
        if (stopped) break;
        if (page.scannedTo > after) {
          await handlers.onEvents(page.events, page.scannedTo, page.scannedId);
          after = page.scannedTo;
        }
        if (stopped) break;
        if (page.rowCount < options.limit) {
          handlers.onCaughtUp?.(after);
          if (!appendedSinceRead) await waitForMore();
          if (pause > 0 && !stopped) await new Promise((resolve) => setTimeout(resolve, pause));
        }
      }
    } catch (error) {
      if (!stopped) handlers.onError?.(error instanceof Error ? error : new Error(String(error)));
    } finally {
      log.appended.off('appended', onAppended);
    }
  };

  return registeredSubscription(log.subscriptions, run(), () => {
    stopped = true;
    wake?.();
  });
}

/**
 * A subscription running as `done`, in `open` until stopped (a store's close() stops those): `stop` halts its loop,
 * waits for the loop to end, then forgets it. Every adapter's subscriptions stop this way.
 */
export function registeredSubscription(open: Set<Subscription>, done: Promise<void>, halt: () => void | Promise<void>): Subscription {
  const subscription: Subscription = {
    done,
    stop: async () => {
      await halt();
      await done;
      open.delete(subscription);
    },
  };
  open.add(subscription);
  return subscription;
}
