import { INestApplication, Logger, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import compression from 'compression';
import { Logger as PinoLogger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ERROR_CODES } from '@recert/domain';
import { isPostgresUrl } from '@recert/eventstore';
import { ERROR_STATUS } from '@recert/http';
import {
  AppConfig,
  applyServerTimeouts,
  assertJsonDepth,
  assertUtf8,
  Clock,
  createValidationPipe,
  installRateLimit,
  wellFormedStrings,
} from '@recert/kernel';
import { AppModule } from './app.module';
import { refineOpenApi } from './openapi';

export interface CreateAppOptions {
  config: AppConfig;
  clock?: Clock;
  /** Nest's own logger instead of the structured one (tests that do not look at logs pass false). */
  logger?: false | LogLevel[] | LoggerService;
  /** Where the structured log lines go (default standard output): a test reads them here. */
  logDestination?: DestinationStream;
}

/** The api process as an object: main() listens on it, the tests drive it through HTTP. */
export async function createApp({ config, clock, logger, logDestination }: CreateAppOptions): Promise<INestApplication> {
  const structured = logger === undefined;
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, clock, { destination: logDestination, silent: !structured }),
    // Start-up lines wait for the structured logger, so every line has one format.
    structured ? { bodyParser: false, bufferLogs: true } : { bodyParser: false, logger },
  );
  if (structured) {
    app.useLogger(app.get(PinoLogger));
    app.flushLogs();
  }
  app.disable('x-powered-by');
  // First of all: the rate limit counts every request, malformed and unauthenticated ones included.
  installRateLimit(app);
  // #23.5 (R111): JSON, NDJSON, SVG and text answers over 1 KiB are compressed when the client accepts it (brotli at
  // quality 4, else gzip); PDFs are not; the pages' precompressed assets keep their own encoding. Streams (the audit
  // export) call res.flush() after each page they write. mime-db does not mark NDJSON compressible: named here.
  app.use(
    compression({
      threshold: 1024,
      filter: (req, res) => /^application\/x-ndjson\b/.test(String(res.getHeader('Content-Type') ?? '')) || compression.filter(req, res),
    }),
  );
  applyServerTimeouts(app.getHttpServer(), config);
  // Depth and well-formed strings are checked while parsing (#16.6, #16.8): 400, never a stack overflow or a 500.
  app.useBodyParser('json', {
    limit: config.bodyLimit,
    type: ['application/json', 'application/*+json'],
    verify: (_req: unknown, _res: unknown, buffer: Buffer, encoding: string) => {
      assertJsonDepth(buffer);
      assertUtf8(buffer, encoding);
    },
    reviver: wellFormedStrings,
  });
  app.useGlobalPipes(createValidationPipe());
  const document = openApiDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  new Logger('recert').log(
    `Event store: ${config.eventStoreConnectionString ? (isPostgresUrl(config.eventStoreConnectionString) ? 'PostgreSQL' : 'EventStoreDB') : `embedded SQLite in ${config.dataDir}`}; clock: ${config.clock}`,
  );
  return app;
}

/** The OpenAPI document served at /docs (and written by `scripts/openapi.ts` for Redocly, R74). */
export function openApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('recert')
      .setDescription('Certification renewal: commands, dashboard and reports. Errors are application/problem+json.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  describeProblems(document);
  refineOpenApi(app, document, config.credentials.publicBaseUrl);
  return document;
}

/** Codes the HTTP edge answers beyond the contract's table: docs/ERRORS.md lists each. */
export const EDGE_ERROR_CODES = [
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'STREAM_DELETED',
  'INTERNAL',
] as const;

/** Every operation answers errors as application/problem+json with the contract's codes: say so in OpenAPI. */
function describeProblems(document: OpenAPIObject): void {
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas['Problem'] = {
    type: 'object',
    required: ['type', 'title', 'status', 'code', 'detail'],
    properties: {
      type: { type: 'string', format: 'uri' },
      title: { type: 'string' },
      status: { type: 'integer' },
      code: {
        type: 'string',
        // The edge's own codes, documented in docs/ERRORS.md (#16.13).
        enum: [...new Set<string>([...ERROR_CODES, ...EDGE_ERROR_CODES])],
      },
      detail: { type: 'string' },
      errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
      nextAttemptAllowedAt: { type: 'string', format: 'date-time', description: 'RETAKE_COOLDOWN only' },
    },
  };
  const byStatus = new Map<number, string[]>();
  for (const code of ERROR_CODES) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  byStatus.set(401, ['UNAUTHORIZED']);
  byStatus.set(403, ['FORBIDDEN']);
  byStatus.set(413, ['PAYLOAD_TOO_LARGE']);
  byStatus.set(429, [...(byStatus.get(429) ?? []), 'RATE_LIMITED']);
  byStatus.set(503, ['SERVICE_UNAVAILABLE']);
  for (const path of Object.values(document.paths)) {
    for (const operation of [path.get, path.post, path.put, path.delete, path.patch]) {
      if (!operation) continue;
      for (const [status, codes] of byStatus) {
        operation.responses[String(status)] ??= {
          description: `Problem: ${codes.join(', ')}`,
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        };
      }
    }
  }
}
