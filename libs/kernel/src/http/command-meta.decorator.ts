import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { bindRequestLog } from '../logging/logging';
import type { AuthenticatedRequest } from './auth';

export interface RequestMeta {
  commandId: string;
  correlationId: string;
  causationId: string;
  actor: string;
  /** A command id derived from an Idempotency-Key: a repeat after a crash answers with the events it finds stored. */
  replayStored?: boolean;
}

export interface MetaRequest extends AuthenticatedRequest {
  /** Set by the idempotency interceptor from the Idempotency-Key, so a replayed command derives the same ids. */
  commandId?: string;
}

const HEADER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function header(request: MetaRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && HEADER_ID.test(value) ? value : undefined;
}

/** Who asked and why: the verified subject, X-Correlation-Id and X-Causation-Id when given, else this request. */
export const CommandMetaFromRequest = createParamDecorator((_data: unknown, context: ExecutionContext): RequestMeta => {
  const request = context.switchToHttp().getRequest<MetaRequest>();
  const commandId = request.commandId ?? randomUUID();
  const given = header(request, 'x-correlation-id');
  const correlationId = given ?? commandId;
  // Every later log line of this request, and its summary, carry the command's correlation id (a given one is already).
  if (!given) bindRequestLog({ correlationId });
  return {
    commandId,
    correlationId,
    causationId: header(request, 'x-causation-id') ?? commandId,
    actor: request.principal?.actor ?? 'anonymous',
    ...(request.commandId ? { replayStored: true } : {}),
  };
});
