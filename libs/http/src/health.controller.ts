import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { Public } from '@recert/kernel';
import { ProjectionRunner } from '@recert/projections';

/** Liveness and readiness: the store answers, and how far behind the log each projection is. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly runner: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Get()
  @Public()
  @HealthCheck()
  async check(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        async () => {
          const indicator = this.indicators.check('store');
          try {
            return indicator.up({ kind: this.store.kind, head: await this.store.headPosition() });
          } catch (error) {
            return indicator.down({ kind: this.store.kind, message: error instanceof Error ? error.message : 'unreachable' });
          }
        },
        async () => {
          const indicator = this.indicators.check('projections');
          try {
            const projections = await this.runner.status();
            const failing = projections.filter((p) => p.lastError !== null);
            const details = {
              projections: projections.map(({ name, checkpoint, head, lag, lastError }) => ({ name, checkpoint, head, lag, lastError })),
            };
            return failing.length === 0 ? indicator.up(details) : indicator.down(details);
          } catch (error) {
            return indicator.down({ message: error instanceof Error ? error.message : 'unknown' });
          }
        },
      ]);
    } catch (error) {
      // Not ready: answer 503 with the indicators' details rather than a bare problem.
      if (error instanceof ServiceUnavailableException) {
        response.status(503).setHeader('Retry-After', '5');
        return error.getResponse() as HealthCheckResult;
      }
      throw error;
    }
  }
}
