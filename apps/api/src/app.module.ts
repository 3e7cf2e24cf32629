import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { upcast } from '@recert/domain';
import { EventStoreModule } from '@recert/eventstore';
import { AppConfig, AuthGuard, Clock, KernelModule, loggingModule } from '@recert/kernel';
import type { DestinationStream } from 'pino';
import { ReadModelsModule } from '@recert/projections';
import { RenewalsModule } from '@recert/renewals';
import { WorkerModule } from '@recert/jobs';
import { NoopController } from './bench/noop.controller';
import { WebController, webSettings } from './web/web.controller';
import { ClockController, clockSettings, ProblemFilter } from '@recert/http';
import { HealthController, healthSettings, MetricsModule } from '@recert/ops';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, clock?: Clock, logging: { destination?: DestinationStream; silent?: boolean } = {}): DynamicModule {
    return {
      module: AppModule,
      // The worker runs in the api process by default; its timers follow SCHEDULER_INTERVAL_MS and DISPATCH_INTERVAL_MS.
      imports: [
        KernelModule.forRoot(config, clock),
        EventStoreModule.withUpcaster(upcast),
        RenewalsModule,
        ReadModelsModule,
        WorkerModule,
        TerminusModule,
        MetricsModule,
        loggingModule(config, logging),
      ],
      controllers: [ClockController, HealthController, WebController, ...(config.benchNoopRoute ? [NoopController] : [])],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        clockSettings,
        healthSettings,
        webSettings,
      ],
    };
  }
}
