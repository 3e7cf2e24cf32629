import { CallHandler, ExecutionContext, HttpStatus, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { deterministicId, MetaRequest, ValidationProblem } from '@recert/kernel';
import { from, Observable, of } from 'rxjs';
import { DomainError } from '@recert/domain';
import { IDEMPOTENCY_STORE, IdempotencyStore } from './idempotency.store';

const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

/**
 * Idempotency-Key on commands: the first answer to a key is stored and given again to every repeat, which
 * stores nothing. The command id is derived from the key, so a repeat after a crash derives the same event ids.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<MetaRequest>();
    const raw = request.headers['idempotency-key'];
    if (request.method !== 'POST' || raw === undefined) return next.handle();
    const header = Array.isArray(raw) ? raw[0] : raw;
    if (header === undefined || !KEY_SHAPE.test(header)) {
      throw new ValidationProblem([{ field: 'Idempotency-Key', message: '1-255 visible ASCII characters' }]);
    }
    const subject = request.principal?.sub ?? 'anonymous';
    const key = IdempotencyStore.keyOf(subject, header);
    const requestHash = IdempotencyStore.hashOf(request.method, request.originalUrl.split('?')[0] ?? '', request.body);
    const lookup = this.store.claim(key, requestHash, Date.now());
    const response = http.getResponse<Response>();
    if (lookup.kind === 'done') {
      if (!lookup.sameRequest) {
        throw new ValidationProblem(
          [{ field: 'Idempotency-Key', message: 'this key was used for a different request' }],
          'Idempotency-Key reused for a different request',
        );
      }
      response.setHeader('Idempotent-Replayed', 'true');
      response.status(lookup.status);
      return of(lookup.body);
    }
    if (lookup.kind === 'in-progress') {
      response.setHeader('Retry-After', '1');
      throw new DomainError('CONCURRENCY_CONFLICT', 'A request with this Idempotency-Key is still being processed; try again shortly');
    }
    request.commandId = deterministicId('idempotency', key);
    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? HttpStatus.CREATED;
    return from(
      (async () => {
        try {
          const body: unknown = await new Promise((resolve, reject) => next.handle().subscribe({ next: resolve, error: reject }));
          // Records age in store time (wall clock), not domain time: retention is an operational matter.
          this.store.complete(key, status, body, Date.now());
          return body;
        } catch (error) {
          this.store.release(key);
          throw error;
        }
      })(),
    );
  }
}
