import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import type { Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { CLOCK, Clock } from '../clock';
import { APP_CONFIG, AppConfig } from '../config';
import { AuthenticatedRequest, VerifiedTokens, verifyCached } from '../http/auth';
import { TokenVerifier } from '../http/token-verifier';
import { RATE_COUNTER_STORE, RateCounterStore } from '../shared-state/shared-state.ports';

function sameSecret(given: string, expected: string): boolean {
  // Digests first: equal lengths for timingSafeEqual, and the comparison's time says nothing about the token.
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

const WINDOW_MS = 60_000;
// Addresses locked out here until their window ends; bounded so a flood of addresses cannot grow it without end.
const MAX_LOCKED = 10_000;

/**
 * GET /metrics: an admin's token, or the dedicated METRICS_TOKEN (compared in constant time) for a scraper. R53: the
 * route is exempt from the request rate limit (scrapes must never starve), so its failures have a limit of their own:
 * each refused authentication is logged (address and reason, never the token) and counted per client address in the
 * shared state's fixed one-minute windows; past METRICS_AUTH_FAILURES_PER_MINUTE the address gets 429 for the rest of
 * the window, even with the right token, so a guess's answer says nothing. A process learns of the lockout from a
 * failure it counts itself, so across N processes at most N more guesses get through a window.
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  private readonly logger = new Logger('Metrics');
  private readonly lockedUntil = new Map<string, number>();
  private readonly verified = new VerifiedTokens();

  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'metricsToken' | 'metricsAuthFailuresPerMinute'>,
    private readonly tokens: TokenVerifier,
    @Inject(RATE_COUNTER_STORE) private readonly counters: RateCounterStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    const limit = this.config.metricsAuthFailuresPerMinute;
    const nowMs = this.clock.now().getTime();
    const windowEnd = nowMs - (nowMs % WINDOW_MS) + WINDOW_MS;
    if (limit > 0 && (this.lockedUntil.get(address) ?? 0) > nowMs) throw this.tooMany(response, windowEnd, nowMs);
    const refusal = await this.refusal(request.headers.authorization);
    if (refusal === null) return true;
    this.logger.warn(`GET /metrics refused (${refusal.getStatus()}) for ${address}: ${refusal.message}`);
    if (limit > 0) {
      const failures = await this.counters.hit(`metrics-auth:ip:${address}`, windowEnd - WINDOW_MS).catch((error: unknown) => {
        // The shared state is unreachable: answer the refusal; the in-process lockout still holds for what it knows.
        this.logger.warn(`metrics failure counter unavailable: ${error instanceof Error ? error.message : String(error)}`);
        return 0;
      });
      if (failures > limit) {
        if (this.lockedUntil.size >= MAX_LOCKED) {
          for (const [locked, until] of this.lockedUntil) if (until <= nowMs) this.lockedUntil.delete(locked);
          if (this.lockedUntil.size >= MAX_LOCKED) this.lockedUntil.clear();
        }
        this.lockedUntil.set(address, windowEnd);
        this.logger.warn(`GET /metrics: ${address} locked out until ${new Date(windowEnd).toISOString()} after ${failures} failures`);
        throw this.tooMany(response, windowEnd, nowMs);
      }
    }
    throw refusal;
  }

  /** Null when the header carries the metrics token or an admin's token; else the exception to answer with. */
  private async refusal(header: string | undefined): Promise<HttpException | null> {
    if (!header?.startsWith('Bearer ')) return new UnauthorizedException('A bearer token (an admin token or METRICS_TOKEN) is required');
    const token = header.slice('Bearer '.length);
    if (this.config.metricsToken !== undefined && sameSecret(token, this.config.metricsToken)) return null;
    let roles: readonly string[];
    try {
      roles = (await verifyCached(this.verified, this.tokens, token)).roles;
    } catch (error) {
      // The issuer not answering (503) is no failed guess: answered as it is, never counted.
      if (error instanceof HttpException && error.getStatus() !== 401) throw error;
      return error instanceof HttpException ? error : new UnauthorizedException('The token was refused');
    }
    return roles.includes('admin') ? null : new ForbiddenException('Metrics need the admin role or the metrics token');
  }

  private tooMany(response: Response, windowEnd: number, nowMs: number): HttpException {
    response.setHeader('Retry-After', String(Math.max(1, Math.ceil((windowEnd - nowMs) / 1000))));
    return new HttpException(
      `More than ${this.config.metricsAuthFailuresPerMinute} failed /metrics authentications in a minute from this address`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
