import { INestApplication, Logger, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppConfig, Clock, createValidationPipe } from '@recert/kernel';
import { AppModule } from './app.module';
import { webRoot } from './web/web.controller';

export interface CreateAppOptions {
  config: AppConfig;
  clock?: Clock;
  logger?: false | LogLevel[] | LoggerService;
}

/** The api process as an object: main() listens on it, the tests drive it through HTTP. */
export async function createApp({ config, clock, logger }: CreateAppOptions): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, clock), {
    bodyParser: false,
    logger: logger ?? ['log', 'warn', 'error'],
  });
  app.disable('x-powered-by');
  app.useBodyParser('json', { limit: config.bodyLimit, type: ['application/json', 'application/*+json'] });
  app.useGlobalPipes(createValidationPipe());
  // The dashboard page's bundle (built by npm run build:web); the HTML itself comes from WebController.
  app.useStaticAssets(webRoot(), { prefix: '/dashboard/assets/', index: false, maxAge: '1h' });
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('recert')
      .setDescription('Certification renewal: commands, dashboard and reports. Errors are application/problem+json.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  new Logger('recert').log(
    `Event store: ${config.eventStoreConnectionString ? 'EventStoreDB' : `embedded SQLite in ${config.dataDir}`}; clock: ${config.clock}`,
  );
  return app;
}
