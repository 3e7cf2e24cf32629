/**
 * `npm run bench:api` only: the same application module on @nestjs/platform-fastify, so the bench can print the
 * no-op POST ceiling of both HTTP adapters side by side (#17.4). Same guards, validation pipe and filter; no Swagger,
 * no static files (the no-op POST touches neither). Not a supported way to run recert.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { createValidationPipe, loadConfigOrExit } from '@recert/kernel';
import { AppModule } from '../../apps/api/src/app.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit('recert-fastify-bench');
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), new FastifyAdapter({ bodyLimit: 65_536 }), {
    logger: ['warn', 'error'],
  });
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  await app.listen(config.port, '127.0.0.1');
}

void main();
