import { INestApplication, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { CLOCK, Clock } from '../clock';
import { APP_CONFIG, AppConfig } from '../config';
import { RATE_COUNTER_STORE, RateCounterStore } from '../shared-state/shared-state.ports';
import { VerifiedTokens, verifyCached } from './auth';
import { Principal } from './principal';
import { TokenVerifier } from './token-verifier';
import { problemType } from './problem';

/**
 * Probes never count and are never limited: an orchestrator's health checks (and /metrics scrapes, which carry
 * their own token) must not be starved by, or starve, callers sharing an address. One list for every module.
 */
export const RATE_LIMIT_EXEMPT_PATHS: readonly string[] = ['/health', '/health/live', '/health/ready', '/metrics'];

const WINDOW_MS = 60_000;

/**
 * Requests per minute per caller, in fixed one-minute windows of the service's clock (a manual clock's windows move
 * only when it is moved, which keeps simulations and tests free of wall-time boundaries), counted in the shared state (so N instances hold
 * one limit, not N). It runs before body parsing and authentication, so malformed, unauthenticated (401),
 * forbidden (403) and unknown-route (404) requests count too. The caller is the subject of a token whose signature
 * verifies, else the client address: `req.ip`, which honours TRUST_PROXY (Express `trust proxy`) so that behind a
 * trusted proxy each client has its own bucket rather than all sharing the proxy's.
 */
export function rateLimitMiddleware(
  config: Pick<AppConfig, 'rateLimitPerMinute'> & Partial<Pick<AppConfig, 'rateLimitDeadlineMs'>>,
  counters: RateCounterStore,
  clock: Clock,
  tokens: TokenVerifier,
): (request: Request, response: Response, next: NextFunction) => void {
  const verified = new VerifiedTokens();
  const logger = new Logger('RateLimit');
  const subjectOf = async (header: string | undefined): Promise<Principal | undefined> => {
    if (!header?.startsWith('Bearer ')) return undefined;
    // A forged or expired token is keyed by address: inventing tokens must not mint fresh buckets.
    return verifyCached(verified, tokens, header.slice('Bearer '.length)).catch(() => undefined);
  };
  return (request, response, next) => {
    const limit = config.rateLimitPerMinute;
    const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
    if (limit <= 0 || RATE_LIMIT_EXEMPT_PATHS.includes(path)) return next();
    const nowMs = clock.now().getTime();
    const windowStart = nowMs - (nowMs % WINDOW_MS);
    // A counter store that hangs (a failover dropping packets) must not hang every request: past the deadline the
    // request goes through, as on an error (#24.1); the late answer is ignored.
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      deadline = setTimeout(
        () => reject(new Error(`no answer within ${config.rateLimitDeadlineMs ?? 1000} ms`)),
        config.rateLimitDeadlineMs ?? 1000,
      );
    });
    const counted = subjectOf(request.headers.authorization).then((principal) => {
      const key = principal ? `sub:${principal.actor}` : `ip:${request.ip ?? request.socket.remoteAddress ?? 'unknown'}`;
      return counters.hit(key, windowStart);
    });
    Promise.race([counted, timedOut]).then(
      (count) => {
        clearTimeout(deadline);
        if (count <= limit) return next();
        const retryAfter = Math.max(1, Math.ceil((windowStart + WINDOW_MS - nowMs) / 1000));
        response.setHeader('Retry-After', String(retryAfter));
        response
          .status(429)
          .type('application/problem+json')
          .send(
            JSON.stringify({
              type: problemType('RATE_LIMITED'),
              title: 'Too many requests',
              status: 429,
              code: 'RATE_LIMITED',
              detail: `More than ${limit} requests in a minute from this caller; retry in ${retryAfter} s`,
            }),
          );
      },
      (error: unknown) => {
        clearTimeout(deadline);
        // The shared state is unreachable or too slow: serve (the request will fail on its own if it needs that state).
        logger.warn(`rate counters unavailable, request let through: ${error instanceof Error ? error.message : String(error)}`);
        next();
      },
    );
  };
}

/**
 * Sets Express `trust proxy` from TRUST_PROXY and mounts the rate limit ahead of everything else (body parsing,
 * guards, routes). Call right after NestFactory.create, before useBodyParser or init.
 */
export function installRateLimit(app: INestApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  (app.getHttpAdapter().getInstance() as { set(name: string, value: unknown): void }).set('trust proxy', config.trustProxy);
  app.use(rateLimitMiddleware(config, app.get<RateCounterStore>(RATE_COUNTER_STORE), app.get<Clock>(CLOCK), app.get(TokenVerifier)));
}
