import { CanActivate, ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { APP_CONFIG, AppConfig } from '../config';
import type { AuthenticatedRequest } from './auth';

/** Probes and scrapes: never rate-limited, so one noisy client cannot make an orchestrator think the service is down. */
export const PROBE_PATHS: readonly string[] = ['/health', '/health/live', '/health/ready', '/metrics'];

/**
 * Requests per minute per caller (the token's subject, else the client address), in fixed one-minute windows.
 * Runs after authentication, so a stolen-token flood is limited per subject. In memory: per process.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const limit = this.config.rateLimitPerMinute;
    if (limit <= 0) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    if (PROBE_PATHS.includes(request.path)) return true;
    const key = request.principal ? `sub:${request.principal.sub}` : `ip:${request.ip ?? 'unknown'}`;
    const now = Date.now();
    const windowStart = now - (now % 60_000);
    let window = this.windows.get(key);
    if (!window || window.start !== windowStart) {
      window = { start: windowStart, count: 0 };
      this.windows.set(key, window);
      if (this.windows.size > 100_000) this.sweep(windowStart);
    }
    window.count += 1;
    if (window.count <= limit) return true;
    const retryAfter = Math.ceil((windowStart + 60_000 - now) / 1000);
    http.getResponse<Response>().setHeader('Retry-After', String(Math.max(1, retryAfter)));
    throw new HttpException(
      `More than ${limit} requests in a minute from this caller; retry in ${retryAfter} s`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }

  private sweep(current: number): void {
    for (const [key, window] of this.windows) if (window.start !== current) this.windows.delete(key);
  }
}
