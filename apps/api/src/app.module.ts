import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { EventStoreModule } from '@recert/eventstore';
import { AppConfig, AuthGuard, Clock, KernelModule } from '@recert/kernel';
import { RenewalsModule } from '@recert/renewals';
import { ClockController } from './admin/clock.controller';
import { HealthController } from './health/health.controller';
import { ProblemFilter } from './http/problem.filter';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, clock?: Clock): DynamicModule {
    return {
      module: AppModule,
      imports: [KernelModule.forRoot(config, clock), EventStoreModule, RenewalsModule],
      controllers: [ClockController, HealthController],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
    };
  }
}
