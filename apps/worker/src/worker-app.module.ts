import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { EventStoreModule } from '@recert/eventstore';
import { AppConfig, AuthGuard, Clock, KernelModule, loggingModule, RateLimitGuard } from '@recert/kernel';
import { ReadModelsModule } from '@recert/projections';
import { HealthController, MetricsModule, ProblemFilter } from '@recert/http';
import { WorkerModule } from '@recert/jobs';

/** The worker as its own process: scheduler, dispatcher and projections, with /health and the admin endpoints. */
@Module({})
export class WorkerAppModule {
  static forRoot(config: AppConfig, clock?: Clock, logging: { silent?: boolean } = {}): DynamicModule {
    return {
      module: WorkerAppModule,
      imports: [
        KernelModule.forRoot(config, clock),
        EventStoreModule,
        ReadModelsModule,
        WorkerModule,
        TerminusModule,
        MetricsModule,
        loggingModule(config, logging),
      ],
      controllers: [HealthController],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
    };
  }
}
