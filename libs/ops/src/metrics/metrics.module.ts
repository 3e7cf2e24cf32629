import { Module } from '@nestjs/common';
import { ReadModelsModule } from '@recert/projections';
import { Instrumentation } from './instrumentation';
import { MetricsController } from './metrics.controller';

/** GET /metrics and the hooks that feed it; mounted by the api and by the worker alone. */
@Module({
  imports: [ReadModelsModule],
  controllers: [MetricsController],
  providers: [Instrumentation],
})
export class MetricsModule {}
