import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import type { Server } from 'node:http';
import { applyServerTimeouts, createValidationPipe, enableGracefulShutdown, installRateLimit, loadConfigOrExit } from '@recert/kernel';
import { WorkerAppModule } from './worker-app.module';

/** The worker alone (scheduler, dispatcher, projections), for deployments that run it apart from the api. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('recert worker');
  const app = await NestFactory.create(WorkerAppModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(PinoLogger));
  app.flushLogs();
  installRateLimit(app);
  app.useGlobalPipes(createValidationPipe());
  enableGracefulShutdown(app, config);
  applyServerTimeouts(app.getHttpServer() as Server, config);
  await app.listen(config.port);
  new Logger('recert').log(`worker running; health on http://localhost:${config.port}/health`);
}

void main();
