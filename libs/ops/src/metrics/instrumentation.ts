import { Inject, Injectable, OnModuleInit, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { ConcurrencyError, EVENT_STORE, EventStore } from '@recert/eventstore';
import { CLOCK, Clock, Metrics } from '@recert/kernel';
import { OutboxQueries, PROJECTOR, Projector } from '@recert/projections';
import { DomainError } from '@recert/domain';
import { Scheduler, WebhookDeliveries } from '@recert/jobs';

/** Replaces `object[method]` by a wrapper that sees each call's arguments and outcome: the one place metrics hook in. */
function around<T extends object, K extends keyof T>(
  object: T,
  method: K,
  observe: (outcome: { result?: unknown; error?: unknown }, args: unknown[]) => void,
): void {
  const original = object[method] as unknown as (...args: unknown[]) => Promise<unknown>;
  const wrapped = async (...args: unknown[]): Promise<unknown> => {
    try {
      const result = await original.apply(object, args);
      observe({ result }, args);
      return result;
    } catch (error) {
      observe({ error }, args);
      throw error;
    }
  };
  (object as Record<K, unknown>)[method] = wrapped;
}

/**
 * Moves the counters where things happen without the command side, the store or the worker knowing about
 * metrics: commands on the CommandBus, appends on the event store, scheduler runs; and sets the projection and
 * outbox gauges from their current state at each scrape.
 */
@Injectable()
export class Instrumentation implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly modules: ModuleRef,
    @Inject(PROJECTOR) private readonly runner: Projector,
    private readonly outbox: OutboxQueries,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A provider of another module if this app has it (the worker alone has no CommandBus of its own to count). */
  private optional<T>(type: Type<T>): T | undefined {
    try {
      return this.modules.get(type, { strict: false });
    } catch {
      return undefined;
    }
  }

  onModuleInit(): void {
    const { metrics } = this;
    const bus = this.optional(CommandBus);
    if (bus) {
      around(bus, 'execute', ({ error }, [command]) => {
        const type = (command as object | undefined)?.constructor.name ?? 'unknown';
        metrics.commands.inc({ command: type, outcome: error === undefined ? 'ok' : error instanceof DomainError ? error.code : 'failed' });
      });
    }
    around(this.store, 'append', ({ result, error }) => {
      if (error instanceof ConcurrencyError) {
        metrics.appends.inc({ outcome: 'conflict' });
        metrics.appendConflicts.inc();
      } else if (error !== undefined) {
        metrics.appends.inc({ outcome: 'failed' });
      } else {
        const { duplicate, positions } = result as Awaited<ReturnType<EventStore['append']>>;
        metrics.appends.inc({ outcome: duplicate ? 'duplicate' : 'appended' });
        if (!duplicate) metrics.appendedEvents.inc(positions.length);
      }
    });
    const scheduler = this.optional(Scheduler);
    if (scheduler)
      around(scheduler, 'runOnce', ({ error }) => metrics.schedulerRuns.inc({ outcome: error === undefined ? 'ok' : 'failed' }));

    this.runner.onRewound((projection) => metrics.rewoundLog.inc({ consumer: projection }));
    this.optional(WebhookDeliveries)?.onRewound(() => metrics.rewoundLog.inc({ consumer: 'webhooks' }));

    metrics.onScrape(async () => {
      for (const projection of await this.runner.status()) {
        metrics.projectionPosition.set({ projection: projection.name }, projection.checkpoint);
        metrics.projectionLag.set({ projection: projection.name }, projection.lag);
      }
    });
    metrics.onScrape(async () => {
      const status = await this.outbox.status();
      metrics.outboxPending.set(status.pending);
      metrics.outboxFailing.set(status.failing);
      metrics.outboxOldestAge.set(
        status.oldestPendingSince ? Math.max(0, (this.clock.now().getTime() - Date.parse(status.oldestPendingSince)) / 1000) : 0,
      );
    });
  }
}
