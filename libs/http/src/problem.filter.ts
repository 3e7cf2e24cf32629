import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import {
  AppendTooLargeError,
  EventStoreUnavailableError,
  InvalidPositionError,
  InvalidStoreInputError,
  StreamDeletedError,
} from '@recert/eventstore';
import { Problem, problemType, ValidationProblem } from '@recert/kernel';
import { DomainError, ERROR_TITLES } from '@recert/domain';
import { ERROR_STATUS } from './error-status';

const HTTP_CODES: Record<number, { code: string; title: string }> = {
  400: { code: 'VALIDATION_FAILED', title: 'The request is malformed' },
  401: { code: 'UNAUTHORIZED', title: 'A valid bearer token is required' },
  403: { code: 'FORBIDDEN', title: 'The token does not allow this' },
  404: { code: 'NOT_FOUND', title: 'No such resource' },
  405: { code: 'METHOD_NOT_ALLOWED', title: 'Method not allowed' },
  413: { code: 'PAYLOAD_TOO_LARGE', title: 'The request body is too large' },
  415: { code: 'UNSUPPORTED_MEDIA_TYPE', title: 'Send JSON' },
  429: { code: 'RATE_LIMITED', title: 'Too many requests' },
  503: { code: 'SERVICE_UNAVAILABLE', title: 'Try again shortly' },
};

/** Errors raised by body parsing carry an HTTP status of their own (malformed JSON, oversized bodies). */
function statusOfParserError(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof candidate === 'number' && candidate >= 400 && candidate < 500 ? candidate : undefined;
}

/** A 400 the event store's refusal of a value makes: VALIDATION_FAILED naming the field at fault. */
function storeValidationProblem(field: string, detail: string): Problem {
  return {
    type: problemType('VALIDATION_FAILED'),
    title: ERROR_TITLES.VALIDATION_FAILED,
    status: 400,
    code: 'VALIDATION_FAILED',
    detail,
    errors: [{ field, message: detail }],
  };
}

/** Every error leaves as application/problem+json with the contract's code; nothing internal leaks. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const problem = this.toProblem(exception, response);
    if (problem.status >= 500) this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  private toProblem(exception: unknown, response: Response): Problem {
    if (exception instanceof DomainError) {
      const status = ERROR_STATUS[exception.code];
      const { retryAfterSeconds, ...extensions } = exception.extensions;
      if (typeof retryAfterSeconds === 'number') response.setHeader('Retry-After', String(Math.max(1, retryAfterSeconds)));
      return {
        type: problemType(exception.code),
        title: ERROR_TITLES[exception.code],
        status,
        code: exception.code,
        detail: exception.detail,
        ...extensions,
      };
    }
    if (exception instanceof ValidationProblem) {
      return {
        type: problemType('VALIDATION_FAILED'),
        title: ERROR_TITLES.VALIDATION_FAILED,
        status: 400,
        code: 'VALIDATION_FAILED',
        detail: exception.detail,
        errors: exception.errors,
      };
    }
    if (exception instanceof EventStoreUnavailableError) {
      response.setHeader('Retry-After', '5');
      return {
        type: problemType('SERVICE_UNAVAILABLE'),
        title: 'The event store is unreachable',
        status: 503,
        code: 'SERVICE_UNAVAILABLE',
        detail: 'Try again shortly',
      };
    }
    // Store faults other than an outage (#12.9): each its own answer; access denied falls to 500 below, logged.
    if (exception instanceof AppendTooLargeError) {
      const detail = 'The events of this command are larger than the event store accepts in one append';
      return {
        type: problemType('PAYLOAD_TOO_LARGE'),
        title: 'The request body is too large',
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        detail,
      };
    }
    if (exception instanceof InvalidPositionError) {
      return storeValidationProblem('from/to', `${exception.position} is not a position of this event store's log`);
    }
    // #24.6: the store refused a value of this request (a NUL in text, an id twice): the caller's fault, never a 5xx.
    if (exception instanceof InvalidStoreInputError) {
      return storeValidationProblem('body', 'The event store refused a value of this request as malformed');
    }
    if (exception instanceof StreamDeletedError) {
      const detail = 'What this request needs was deleted from the event store outside recert';
      return { type: problemType('STREAM_DELETED'), title: 'Deleted from the event store', status: 410, code: 'STREAM_DELETED', detail };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 503) response.setHeader('Retry-After', '1');
      const known = HTTP_CODES[status] ?? { code: `HTTP_${status}`, title: 'Request failed' };
      const body = exception.getResponse();
      const message =
        typeof body === 'object' && body !== null && 'message' in body ? (body as { message: unknown }).message : exception.message;
      const detail = Array.isArray(message) ? message.join('; ') : String(message);
      const problem: Problem = { type: problemType(known.code), title: known.title, status, code: known.code, detail };
      if (status === 400) problem.errors = [{ field: 'body', message: detail }];
      return problem;
    }
    const parserStatus = statusOfParserError(exception);
    if (parserStatus !== undefined) {
      const known = HTTP_CODES[parserStatus] ?? HTTP_CODES[400] ?? { code: 'VALIDATION_FAILED', title: 'The request is malformed' };
      const detail = parserStatus === 413 ? 'The request body is larger than the limit' : 'The body is not valid JSON';
      return {
        type: problemType(known.code),
        title: known.title,
        status: parserStatus,
        code: known.code,
        detail,
        ...(parserStatus === 400 ? { errors: [{ field: 'body', message: detail }] } : {}),
      };
    }
    return {
      type: problemType('INTERNAL'),
      title: 'Internal error',
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      code: 'INTERNAL',
      detail: 'An unexpected error occurred; it was logged',
    };
  }
}
