import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import type { Response } from 'express';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { CLOCK, Clock, GracefulShutdown, Public, settingsProvider } from '@recert/kernel';
import { OutboxQueries, PROJECTOR, Projector, READ_STORE, ReadStore } from '@recert/projections';
import { PolicyAdoptions } from '@recert/renewals';

function messageOf(error: unknown, fallback: string): string {
  return error instanceof Error ? error.message : fallback;
}

/** What the probes read of the settings (#28.4): how far behind the log a ready process may be. */
export interface HealthSettings {
  readyMaxLagEvents: number;
}
export const HEALTH_SETTINGS = Symbol('HEALTH_SETTINGS');
export const healthSettings = settingsProvider(HEALTH_SETTINGS, (c): HealthSettings => ({ readyMaxLagEvents: c.readyMaxLagEvents }));

/**
 * Probes. `/health/live`: the process answers (restart it if not). `/health/ready`: it may take traffic (store
 * reachable, policies loaded, read models within READY_MAX_LAG_EVENTS of the log, not shutting down).
 * `/health`: the full report for people and monitoring, including the notification outbox (#16.11).
 * Each answers 503 with the indicators' details, naming what is down.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(PROJECTOR) private readonly runner: Projector,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    private readonly outbox: OutboxQueries,
    private readonly shutdown: GracefulShutdown,
    private readonly modules: ModuleRef,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(HEALTH_SETTINGS) private readonly config: HealthSettings,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: 'Full report: store head, projections, notification outbox; 503 when any is down' })
  check(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    return this.run(response, [() => this.storeHead(), () => this.projections(Number.POSITIVE_INFINITY), () => this.outboxDelivery()]);
  }

  @Get('live')
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: 200 while the process answers' })
  live(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    return this.run(response, [
      () => this.indicators.check('process').up({ pid: process.pid, uptimeSeconds: Math.round(process.uptime()) }),
    ]);
  }

  @Get('ready')
  @Public()
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: 200 when the store answers, policies are loaded and read models are within READY_MAX_LAG_EVENTS; else 503',
  })
  ready(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    return this.run(response, [
      () => this.accepting(),
      () => this.storeReachable(),
      () => this.policies(),
      () => this.readStoreReachable(),
      () => this.projections(this.config.readyMaxLagEvents),
    ]);
  }

  private async run(response: Response, checks: HealthIndicatorFunction[]): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      // Down: answer 503 with the indicators' details (what is down and why) rather than a bare problem.
      if (error instanceof ServiceUnavailableException) {
        response.status(503).setHeader('Retry-After', '5');
        return error.getResponse() as HealthCheckResult;
      }
      throw error;
    }
  }

  private accepting(): HealthIndicatorResult {
    const indicator = this.indicators.check('shutdown');
    return this.shutdown.draining ? indicator.down({ message: 'shutting down: finishing requests in flight' }) : indicator.up();
  }

  private async storeHead(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('store');
    try {
      return indicator.up({ kind: this.store.kind, head: await this.store.headPosition() });
    } catch (error) {
      return indicator.down({ kind: this.store.kind, message: messageOf(error, 'unreachable') });
    }
  }

  private async storeReachable(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('store');
    try {
      await this.store.ping();
      return indicator.up({ kind: this.store.kind });
    } catch (error) {
      return indicator.down({ kind: this.store.kind, message: messageOf(error, 'unreachable') });
    }
  }

  /** R141: the read store answers (a follow replica serves from it; on `read.db` this is the process's own file). */
  private async readStoreReachable(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('readStore');
    try {
      await this.readStore.query('SELECT 1 AS up');
      return indicator.up({ kind: this.readStore.kind });
    } catch (error) {
      return indicator.down({ kind: this.readStore.kind, message: messageOf(error, 'unreachable') });
    }
  }

  private policies(): HealthIndicatorResult {
    const indicator = this.indicators.check('policies');
    // Looked up rather than injected: an app without the command side has no adoptions to wait for.
    const adoptions = this.modules.get(PolicyAdoptions, { strict: false, each: false });
    return adoptions.loaded ? indicator.up() : indicator.down({ message: 'adopted policies are not loaded yet (store unreachable?)' });
  }

  /** Down when a projection has stopped on an error, or is more than `maxLag` events behind the log. */
  private async projections(maxLag: number): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('projections');
    try {
      const projections = await this.runner.status();
      const details = {
        maxLagEvents: Number.isFinite(maxLag) ? maxLag : undefined,
        projections: projections.map(({ name, checkpoint, head, lag, lastError }) => ({ name, checkpoint, head, lag, lastError })),
      };
      const failing = projections.filter((p) => p.lastError !== null || p.lag > maxLag);
      return failing.length === 0
        ? indicator.up(details)
        : indicator.down({ ...details, message: `behind or stopped: ${failing.map((p) => p.name).join(', ')}` });
    } catch (error) {
      return indicator.down({ message: messageOf(error, 'unknown') });
    }
  }

  /** #16.11: down while notifications fail (the folder is read-only, SMTP refuses ...): never ok while none goes out. */
  private async outboxDelivery(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('outbox');
    try {
      const status = await this.outbox.status();
      const details = {
        pending: status.pending,
        failing: status.failing,
        oldestPendingAgeSeconds: status.oldestPendingSince
          ? Math.max(0, Math.round((this.clock.now().getTime() - Date.parse(status.oldestPendingSince)) / 1000))
          : 0,
        lastError: status.lastError,
        nextRetryAt: status.nextRetryAtMs === null ? null : new Date(status.nextRetryAtMs).toISOString(),
      };
      return status.failing === 0
        ? indicator.up(details)
        : indicator.down({ ...details, message: `${status.failing} notification(s) failing delivery` });
    } catch (error) {
      return indicator.down({ message: messageOf(error, 'unknown') });
    }
  }
}
