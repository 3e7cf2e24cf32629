import { CallHandler, ExecutionContext, HttpStatus, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import {
  APP_CONFIG,
  AppConfig,
  deterministicId,
  IDEMPOTENCY_STORE,
  IdempotencyLookup,
  IdempotencyStore,
  MetaRequest,
  ValidationProblem,
} from '@recert/kernel';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { from, Observable } from 'rxjs';
import { DomainError } from '@recert/domain';

const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

/** The stored key: one caller's Idempotency-Key never answers another caller. */
export function idempotencyKeyOf(subject: string, idempotencyKey: string): string {
  return createHash('sha256').update(`${subject}\u0000${idempotencyKey}`).digest('hex');
}

export function requestHashOf(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path} ${JSON.stringify(body ?? null)}`)
    .digest('hex');
}

/**
 * Idempotency-Key on commands (API.md, ADR 0002): the first answer to a key is stored in the shared state and given
 * again to every repeat, on any instance, storing nothing; a repeat with another body gets the first answer too
 * (with Idempotency-Key-Mismatch: true). A repeat arriving while the first is still running waits for its answer
 * (up to IDEMPOTENCY_WAIT_MS, then 409 CONCURRENCY_CONFLICT with Retry-After). The command id derives from the key,
 * so a repeat after a crash derives the same event ids.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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
    const key = idempotencyKeyOf(request.principal?.actor ?? 'anonymous', header);
    const requestHash = requestHashOf(request.method, request.originalUrl.split('?')[0] ?? '', request.body);
    const response = http.getResponse<Response>();
    const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? HttpStatus.CREATED;
    return from(
      (async () => {
        const lookup = await this.claimOrWait(key, requestHash);
        if (lookup.kind === 'done') {
          response.setHeader('Idempotent-Replayed', 'true');
          if (!lookup.sameRequest) response.setHeader('Idempotency-Key-Mismatch', 'true');
          response.status(lookup.status);
          return lookup.body;
        }
        request.commandId = deterministicId('idempotency', key);
        try {
          const body: unknown = await new Promise((resolve, reject) => next.handle().subscribe({ next: resolve, error: reject }));
          // Records age in store time (wall clock), not domain time: retention is an operational matter.
          await this.store.complete(key, status, body, Date.now());
          return body;
        } catch (error) {
          await this.store.release(key);
          throw error;
        }
      })(),
    );
  }

  /** Claims the key or, while another request (on any instance) holds it, waits for its answer; then 409. */
  private async claimOrWait(key: string, requestHash: string): Promise<Exclude<IdempotencyLookup, { kind: 'in-progress' }>> {
    const deadline = Date.now() + this.config.idempotencyWaitMs;
    let pause = 20;
    for (;;) {
      const lookup = await this.store.claim(key, requestHash, Date.now());
      if (lookup.kind !== 'in-progress') return lookup;
      if (Date.now() + pause > deadline) {
        throw new DomainError('CONCURRENCY_CONFLICT', 'A request with this Idempotency-Key is still being processed; try again shortly', {
          retryAfterSeconds: 1,
        });
      }
      await sleep(pause);
      pause = Math.min(pause * 2, 250);
    }
  }
}
