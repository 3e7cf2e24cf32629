import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics (prom-client), one registry per app so that several apps in one process (the
 * tests) never mix. Counters are moved where things happen; gauges of state (projections, outbox) are read at
 * scrape time by the collectors registered with `onScrape`. Default metrics add RSS, heap, event-loop delay, GC.
 */
@Injectable()
export class Metrics implements OnApplicationBootstrap {
  readonly registry = new Registry();
  private readonly collectors: (() => Promise<void> | void)[] = [];

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern (never the raw path) and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly commands = this.counter(
    'recert_commands_total',
    'Commands handled, by command type and outcome (ok, or the problem code it was refused with)',
    ['command', 'outcome'],
  );
  readonly appends = this.counter(
    'recert_appends_total',
    'Appends to the event store by outcome: appended, duplicate (an idempotent repeat), conflict, failed',
    ['outcome'],
  );
  readonly appendedEvents = this.counter('recert_events_appended_total', 'Events written to the event store');
  readonly appendConflicts = this.counter(
    'recert_append_conflicts_total',
    'Appends refused because the stream had moved (expected revision), each retried or answered CONCURRENCY_CONFLICT',
  );
  readonly projectionPosition = this.gauge('recert_projection_position', 'Global log position each projection has processed', [
    'projection',
  ]);
  readonly projectionLag = this.gauge('recert_projection_lag_events', 'How far each projection is behind the head of the log, in events', [
    'projection',
  ]);
  readonly outboxPending = this.gauge('recert_outbox_pending', 'Renewal notifications waiting to be delivered');
  readonly outboxFailing = this.gauge(
    'recert_outbox_failing',
    'Pending notifications whose last delivery attempt failed (waiting out a back-off)',
  );
  readonly outboxOldestAge = this.gauge(
    'recert_outbox_oldest_pending_age_seconds',
    'Age of the longest-waiting pending notification, from its window opening (domain clock)',
  );
  readonly schedulerRuns = this.counter('recert_scheduler_runs_total', 'Scheduler runs by outcome (ok, failed)', ['outcome']);
  readonly rewoundLog = this.counter(
    'recert_rewound_log_total',
    'Checkpoints (a projection, or "webhooks" for the webhook cursor) found on a rewound log at start or resume, each rebuilt or stopped (#24.2)',
    ['consumer'],
  );

  constructor(private readonly adapterHost: HttpAdapterHost) {
    collectDefaultMetrics({ register: this.registry });
    // R74: promtool wants `_total` on counters only; these three are gauges. Their per-type series stay
    // (nodejs_active_handles{type}, …), so the totals remain `sum(nodejs_active_handles)`.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      this.registry.removeSingleMetric(name);
    // Series that exist from the start at 0, so a scrape before the first event can be compared with one after.
    for (const outcome of ['appended', 'duplicate', 'conflict', 'failed']) this.appends.inc({ outcome }, 0);
    for (const outcome of ['ok', 'failed']) this.schedulerRuns.inc({ outcome }, 0);
  }

  /** A collector run before each scrape, to set gauges from current state. */
  onScrape(collect: () => Promise<void> | void): void {
    this.collectors.push(collect);
  }

  async scrape(): Promise<string> {
    for (const collect of this.collectors) await collect();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Times every request from its arrival to its answer, guards' refusals and unknown routes included. */
  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    server?.prependListener('request', (request: IncomingMessage & { route?: { path?: unknown } }, response: ServerResponse) => {
      const stop = this.httpDuration.startTimer();
      response.once('finish', () => {
        // The matched route's pattern (bounded), never the raw path (unbounded, and it carries ids).
        const route =
          typeof request.route?.path === 'string' ? request.route.path : response.statusCode === 404 ? '(unmatched)' : '(static)';
        stop({ method: request.method ?? 'OTHER', route, status: String(response.statusCode) });
      });
    });
  }

  // Methods, not fields: they exist on the prototype before the field initializers above call them.
  private counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}
