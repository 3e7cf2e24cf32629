import { DynamicModule, LoggerService } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { storage } from 'nestjs-pino/storage';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import pino, { DestinationStream } from 'pino';
import type { AppConfig } from '../config';
import { RATE_LIMIT_EXEMPT_PATHS as PROBE_PATHS } from '../http/rate-limit';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Secrets and personal data never reach a log line, whatever object carries them. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  '*.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'smtpUrl',
  '*.smtpUrl',
  'jwtSecret',
  '*.jwtSecret',
  'metricsToken',
  '*.metricsToken',
  'displayName',
  '*.displayName',
  'email',
  '*.email',
  'name',
  '*.name',
  'to',
  '*.to',
];

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && SANE_ID.test(value) ? value : undefined;
}

/** Adds fields (the command's correlation id) to every later log line of the current request, its summary included. */
export function bindRequestLog(fields: Record<string, string>): void {
  const store = storage.getStore();
  if (!store) return;
  store.logger = store.logger.child(fields);
  store.responseLogger?.setBindings(fields);
}

/** Human-readable lines for a terminal (LOG_FORMAT=pretty): time, level, context, message, then the other fields. */
export function prettyDestination(out: NodeJS.WritableStream = process.stdout): DestinationStream {
  const levels: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        try {
          const { time, level, msg, context, pid: _pid, hostname: _hostname, ...rest } = JSON.parse(line) as Record<string, unknown>;
          const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
          const at = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
          const text = (value: unknown): string => (typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value));
          out.write(`${at} ${levels[level as number] ?? text(level)} ${context ? `[${text(context)}] ` : ''}${text(msg)}${extra}\n`);
        } catch {
          out.write(`${line}\n`);
        }
      }
      done();
    },
  });
}

/**
 * Structured logs (pino through nestjs-pino): one JSON object a line, each with the request id (an incoming sane
 * X-Request-Id, else a new one, echoed in the answer) and the command's correlation id once known; secrets and
 * personal data redacted. `silent` for tests that do not look at logs.
 */
export function loggingModule(
  config: Pick<AppConfig, 'logFormat'>,
  options: { destination?: DestinationStream; silent?: boolean } = {},
): DynamicModule {
  const destination = options.destination ?? (config.logFormat === 'pretty' ? prettyDestination() : undefined);
  return LoggerModule.forRoot({
    assignResponse: true,
    pinoHttp: [
      {
        level: options.silent ? 'silent' : 'info',
        redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
        quietReqLogger: true,
        customAttributeKeys: { reqId: 'reqId' },
        genReqId: (request: IncomingMessage, response: ServerResponse) => {
          const id = header(request, 'x-request-id') ?? randomUUID();
          response.setHeader('X-Request-Id', id);
          return id;
        },
        // A given X-Correlation-Id from the first line; otherwise the command binds its own (bindRequestLog).
        customProps: (request: IncomingMessage) => {
          const correlationId = header(request, 'x-correlation-id');
          return correlationId ? { correlationId } : {};
        },
        // Only what helps an operator: no headers (tokens), no query values (they may carry ids or tokens).
        serializers: {
          req: (request: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) => ({
            id: request.id,
            method: request.method,
            path: (request.url ?? '').split('?')[0],
            remoteAddress: request.remoteAddress,
          }),
          res: (response: { statusCode?: number }) => ({ statusCode: response.statusCode }),
        },
        customLogLevel: (_request, response, error) =>
          error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
        // Probes and scrapes every few seconds would drown the rest.
        autoLogging: { ignore: (request) => PROBE_PATHS.includes((request.url ?? '').split('?')[0] ?? '') },
      },
      destination as DestinationStream,
    ],
  });
}

/**
 * The logger of a command-line tool whose standard output is its result (`npm run import`, #22.8): every line goes
 * to standard error, in LOG_FORMAT (JSON lines, or pretty), redacted like the services' lines, so standard output
 * stays one JSON document a program can parse. Install it with `Logger.overrideLogger` before any module is built.
 */
export function cliLogger(config: Pick<AppConfig, 'logFormat'>, out: NodeJS.WritableStream = process.stderr): LoggerService {
  const logger = pino(
    { level: 'warn', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    config.logFormat === 'pretty' ? prettyDestination(out) : (out as DestinationStream),
  );
  const at =
    (level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal') =>
    (message: unknown, ...params: unknown[]): void => {
      // Nest passes the context last, and an error's stack before it.
      const context = params.length > 0 && typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
      const text = message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(message);
      logger[level]({ ...(context ? { context } : {}), ...(params.length > 0 ? { detail: params } : {}) }, text);
    };
  return { log: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), verbose: at('trace'), fatal: at('fatal') };
}
