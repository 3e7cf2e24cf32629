import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { EventStoreModule } from '@recert/eventstore';
import { AuthGuard, createValidationPipe, KernelModule, loadConfigOrExit } from '@recert/kernel';
import { HealthController } from '../../api/src/health/health.controller';
import { ProblemFilter } from '../../api/src/http/problem.filter';
import { WorkerModule } from './worker.module';

/** The worker alone (scheduler, dispatcher, projections), for deployments that run it apart from the api. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('recert worker');
  @Module({
    imports: [KernelModule.forRoot(config), EventStoreModule, WorkerModule, TerminusModule],
    controllers: [HealthController],
    providers: [
      { provide: APP_GUARD, useClass: AuthGuard },
      { provide: APP_FILTER, useClass: ProblemFilter },
    ],
  })
  class WorkerAppModule {}
  const app = await NestFactory.create(WorkerAppModule);
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  await app.listen(config.port);
  new Logger('recert').log(`worker running; health on http://localhost:${config.port}/health`);
}

void main();
