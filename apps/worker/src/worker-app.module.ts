import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { upcast } from '@recert/domain';
import { EventStoreModule } from '@recert/eventstore';
import { AppConfig, AuthGuard, Clock, KernelModule, loggingModule } from '@recert/kernel';
import { ReadModelsModule } from '@recert/projections';
import { ClockController, clockSettings, ProblemFilter } from '@recert/http';
import { HealthController, healthSettings, MetricsModule } from '@recert/ops';
import { WorkerModule } from '@recert/jobs';

/** The worker as its own process: scheduler, dispatcher and projections, with /health and the admin endpoints. */
@Module({})
export class WorkerAppModule {
  static forRoot(config: AppConfig, clock?: Clock, logging: { silent?: boolean } = {}): DynamicModule {
    return {
      module: WorkerAppModule,
      imports: [
        KernelModule.forRoot(config, clock),
        EventStoreModule.withUpcaster(upcast),
        ReadModelsModule,
        WorkerModule,
        TerminusModule,
        MetricsModule,
        loggingModule(config, logging),
      ],
      // The manual clock is per process: a simulation moves it on every api and worker (POST /admin/clock).
      controllers: [HealthController, ClockController],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        clockSettings,
        healthSettings,
      ],
    };
  }
}
