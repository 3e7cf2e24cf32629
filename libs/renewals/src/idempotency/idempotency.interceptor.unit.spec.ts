import { CallHandler, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AppConfig, IdempotencyLookup, IdempotencyStore } from '@recert/kernel';
import { firstValueFrom, of } from 'rxjs';
import { DomainError } from '@recert/domain';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/** #16.12: an in-flight duplicate waits for the first answer; only past IDEMPOTENCY_WAIT_MS is it a 409. */
describe('IdempotencyInterceptor waiting for an in-flight twin', () => {
  const context = (): ExecutionContext => {
    const request = { method: 'POST', headers: { 'idempotency-key': 'k-1' }, originalUrl: '/x', body: { a: 1 }, principal: { sub: 's' } };
    const response = { setHeader: jest.fn(), status: jest.fn() };
    return {
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
      getHandler: () => () => undefined,
    } as unknown as ExecutionContext;
  };
  const storeAnswering = (lookups: IdempotencyLookup[]): IdempotencyStore & { claims: number } => {
    const store = {
      claims: 0,
      claim: () => Promise.resolve(lookups[Math.min(store.claims++, lookups.length - 1)] as IdempotencyLookup),
      complete: () => Promise.resolve(),
      release: () => Promise.resolve(),
      purge: () => Promise.resolve(0),
    };
    return store;
  };
  const handler: CallHandler = { handle: () => of({ ran: true }) };
  const interceptor = (store: IdempotencyStore, idempotencyWaitMs: number) =>
    new IdempotencyInterceptor(store, { idempotencyWaitMs } as AppConfig, new Reflector());

  it('#16.12: answers the first answer once the twin completes, without running the command', async () => {
    const store = storeAnswering([
      { kind: 'in-progress' },
      { kind: 'in-progress' },
      { kind: 'done', status: 201, body: { first: true }, sameRequest: true },
    ]);
    const body = await firstValueFrom(interceptor(store, 10_000).intercept(context(), handler));
    expect(body).toEqual({ first: true });
    expect(store.claims).toBe(3);
  });

  it('#16.12: runs the command itself when the twin failed and released the key', async () => {
    const store = storeAnswering([{ kind: 'in-progress' }, { kind: 'new' }]);
    expect(await firstValueFrom(interceptor(store, 10_000).intercept(context(), handler))).toEqual({ ran: true });
  });

  it('#16.12: a twin still running past the wait is a 409 CONCURRENCY_CONFLICT with Retry-After', async () => {
    const store = storeAnswering([{ kind: 'in-progress' }]);
    const error = await firstValueFrom(interceptor(store, 100).intercept(context(), handler)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'CONCURRENCY_CONFLICT', extensions: { retryAfterSeconds: 1 } });
  });
});
