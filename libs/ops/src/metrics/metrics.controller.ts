import { Controller, Get, Header, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Metrics, MetricsAccessGuard, Public } from '@recert/kernel';

@ApiTags('operations')
@ApiBearerAuth()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  // Not the JWT guard's: the metrics token is not a JWT. MetricsAccessGuard takes an admin token or METRICS_TOKEN.
  @Public()
  @UseGuards(MetricsAccessGuard)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics (text format 0.0.4), for an admin token or the METRICS_TOKEN bearer',
    description:
      'http_request_duration_seconds{method,route,status}, recert_commands_total{command,outcome}, recert_appends_total{outcome}, ' +
      'recert_events_appended_total, recert_append_conflicts_total, recert_projection_position{projection}, ' +
      'recert_projection_lag_events{projection}, recert_outbox_pending, recert_outbox_failing, ' +
      'recert_outbox_oldest_pending_age_seconds, recert_scheduler_runs_total{outcome}, and the process defaults ' +
      '(process_resident_memory_bytes, nodejs_eventloop_lag_seconds, heap, GC).',
  })
  @ApiOkResponse({ description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } })
  async scrape(@Res({ passthrough: true }) response: Response): Promise<string> {
    response.setHeader('Content-Type', this.metrics.contentType);
    return this.metrics.scrape();
  }
}
