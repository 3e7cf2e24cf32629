import type { NextFunction, Request, Response } from 'express';
import { ManualClock } from '../clock';
import type { RateCounterStore } from '../shared-state/shared-state.ports';
import { rateLimitMiddleware } from './rate-limit';
import type { TokenVerifier } from './token-verifier';

describe('rate limiter and a shared state that does not answer (#24.1)', () => {
  it('R55: a counter store that hangs lets the request through once RATE_LIMIT_DEADLINE_MS passes (fails open, as on an error)', async () => {
    const hanging: RateCounterStore = { hit: () => new Promise<number>(() => undefined) };
    const middleware = rateLimitMiddleware(
      { rateLimitPerMinute: 10, rateLimitDeadlineMs: 20 },
      hanging,
      new ManualClock(new Date('2026-01-01T00:00:00Z')),
      // No bearer token: the caller is its address, so no token is ever verified.
      {} as TokenVerifier,
    );
    const request = { path: '/x', headers: {}, ip: '127.0.0.1', socket: {} } as unknown as Request;
    const response = {} as Response;
    await new Promise<void>((resolve) => middleware(request, response, (() => resolve()) as NextFunction));
  });
});
