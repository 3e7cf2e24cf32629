import { CallHandler, ExecutionContext, HttpStatus, Inject, Injectable, NestInterceptor, Optional, SetMetadata } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import {
  deterministicId,
  IDEMPOTENCY_STORE,
  IdempotencyLookup,
  IdempotencyStore,
  MetaRequest,
  settingsProvider,
  ValidationProblem,
} from '@recert/kernel';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { from, Observable } from 'rxjs';
import { DomainError, SealedData } from '@recert/domain';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../personal-data/personal-data.vault';

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
 * Fields of an answer that must never rest in clear in the shared state (a webhook's signing secret, R52): stored
 * sealed with the personal-data vault under `subject(answer)`, opened again for a replay, so a retry after a lost
 * answer still gets the whole first answer.
 */
export interface SealedAnswerFields {
  fields: readonly string[];
  subject: (answer: Record<string, unknown>) => string;
}
const SEALED_ANSWER_FIELDS = 'recert:sealed-answer-fields';
const SEALED = '__sealedFields';
export const SealInIdempotentAnswer = (spec: SealedAnswerFields): MethodDecorator => SetMetadata(SEALED_ANSWER_FIELDS, spec);

/** What the interceptor reads of the settings (#28.4): how long a repeat waits for the first try's answer. */
export interface IdempotencySettings {
  idempotencyWaitMs: number;
}
export const IDEMPOTENCY_SETTINGS = Symbol('IDEMPOTENCY_SETTINGS');
export const idempotencySettings = settingsProvider(
  IDEMPOTENCY_SETTINGS,
  (c): IdempotencySettings => ({ idempotencyWaitMs: c.idempotencyWaitMs }),
);

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
    @Inject(IDEMPOTENCY_SETTINGS) private readonly config: IdempotencySettings,
    private readonly reflector: Reflector,
    @Optional() @Inject(PERSONAL_DATA_VAULT) private readonly vault?: PersonalDataVault,
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
    const sealed = this.reflector.get<SealedAnswerFields | undefined>(SEALED_ANSWER_FIELDS, context.getHandler());
    return from(
      (async () => {
        const lookup = await this.claimOrWait(key, requestHash);
        if (lookup.kind === 'done') {
          response.setHeader('Idempotent-Replayed', 'true');
          if (!lookup.sameRequest) response.setHeader('Idempotency-Key-Mismatch', 'true');
          response.status(lookup.status);
          return sealed ? this.unseal(lookup.body) : lookup.body;
        }
        request.commandId = deterministicId('idempotency', key);
        try {
          const body: unknown = await new Promise((resolve, reject) => next.handle().subscribe({ next: resolve, error: reject }));
          // Records age in store time (wall clock), not domain time: retention is an operational matter.
          await this.store.complete(key, status, sealed ? await this.seal(body, sealed) : body, Date.now());
          return body;
        } catch (error) {
          await this.store.release(key);
          throw error;
        }
      })(),
    );
  }

  private async seal(body: unknown, spec: SealedAnswerFields): Promise<unknown> {
    if (!this.vault || typeof body !== 'object' || body === null)
      throw new Error('an answer with sealed fields needs the vault and an object');
    const answer = body as Record<string, unknown>;
    const clear = Object.fromEntries(
      spec.fields.filter((field) => typeof answer[field] === 'string').map((field) => [field, answer[field] as string]),
    );
    const rest = Object.fromEntries(Object.entries(answer).filter(([field]) => !spec.fields.includes(field)));
    return { ...rest, [SEALED]: await this.vault.seal(spec.subject(answer), clear) };
  }

  private async unseal(stored: unknown): Promise<unknown> {
    if (!this.vault || typeof stored !== 'object' || stored === null || !(SEALED in stored)) return stored;
    const { [SEALED]: sealedFields, ...rest } = stored as Record<string, unknown>;
    // A destroyed key leaves the fields out rather than failing the replay.
    return { ...rest, ...((await this.vault.open<Record<string, string>>(sealedFields as SealedData)) ?? {}) };
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
