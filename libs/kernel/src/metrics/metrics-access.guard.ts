import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config';
import { AuthenticatedRequest, VerifiedTokens, verifyCached } from '../http/auth';
import { TokenVerifier } from '../http/token-verifier';

function sameSecret(given: string, expected: string): boolean {
  // Digests first: equal lengths for timingSafeEqual, and the comparison's time says nothing about the token.
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

/** GET /metrics: an admin's token, or the dedicated METRICS_TOKEN (compared in constant time) for a scraper. */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  private readonly verified = new VerifiedTokens();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tokens: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new UnauthorizedException('A bearer token (an admin token or METRICS_TOKEN) is required');
    const token = header.slice('Bearer '.length);
    if (this.config.metricsToken !== undefined && sameSecret(token, this.config.metricsToken)) return true;
    const { roles } = await verifyCached(this.verified, this.tokens, token);
    if (!roles.includes('admin')) throw new ForbiddenException('Metrics need the admin role or the metrics token');
    return true;
  }
}
