import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  SetMetadata,
  Optional,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { Principal, Role } from './principal';
import { IssuerUnavailableError, TokenVerifier, VerifiedToken } from './token-verifier';

const ROLES_KEY = 'recert:roles';
export const PUBLIC_KEY = 'recert:public';

/** The roles that may call an endpoint; any one of them is enough. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);
/** No token needed (health, docs, the dashboard page's static files). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

export interface AuthenticatedRequest extends Request {
  principal?: Principal;
}

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new UnauthorizedException('No verified token');
  return principal;
});

/**
 * Verified tokens by their text, until they expire: verifying a signature and parsing claims on every request of a
 * busy dashboard is measurable, and a token's text cannot change without its signature failing.
 */
export class VerifiedTokens {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  constructor(private readonly max = 10_000) {}

  get(token: string, nowMs: number): Principal | undefined {
    const hit = this.cache.get(token);
    if (!hit) return undefined;
    if (hit.until <= nowMs) {
      this.cache.delete(token);
      return undefined;
    }
    return hit.principal;
  }

  set(token: string, principal: Principal, until: number): void {
    if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(token, { principal, until });
  }
}

/**
 * Which account owns a certification profile (R68): provided by the renewals module, which reads the profiles'
 * streams. Without it (the worker app) a holder without a profileId claim reaches no profile.
 */
export interface ProfileOwnership {
  accountOf(profileId: string): Promise<string | undefined>;
}
export const PROFILE_OWNERSHIP = Symbol('PROFILE_OWNERSHIP');

/** A holder whose rights come from its account, not from a profileId claim. */
export function holdsByAccount(principal: Principal): principal is Principal & { accountId: string } {
  return principal.roles.includes('candidate') && principal.profileId === undefined && principal.accountId !== undefined;
}

@Injectable()
export class AuthGuard implements CanActivate {
  private readonly verified = new VerifiedTokens();

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenVerifier,
    @Optional() @Inject(PROFILE_OWNERSHIP) private readonly ownership?: ProfileOwnership,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header || !/^Bearer [A-Za-z0-9._~+/=-]+$/.test(header)) throw new UnauthorizedException('A bearer token is required');
    const token = header.slice('Bearer '.length);
    const principal = await verifyCached(this.verified, this.tokens, token);
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    const grantedBy = allowed ? principal.roles.filter((role) => allowed.includes(role)) : principal.roles;
    // A fresh object per request: the cached principal is shared by every request with this token.
    request.principal = { ...principal, grantedBy };
    if (allowed && grantedBy.length === 0) throw new ForbiddenException(`This needs one of the roles ${allowed.join(', ')}`);
    // A holder reaches the profile the route names when its account owns it (R68); assertMayAccessProfile then checks.
    const named = (request.params as Record<string, unknown> | undefined)?.['profileId'];
    if (holdsByAccount(principal) && typeof named === 'string' && this.ownership) {
      if ((await this.ownership.accountOf(named)) === principal.accountId) request.principal.profileId = named;
    }
    return true;
  }
}

/**
 * A token's principal from the cache or verified now; refusals are 401, an unreachable issuer 503. Cached no
 * longer than a minute and never past exp (tokens verify against wall time, as every JWT library does).
 */
export async function verifyCached(cache: VerifiedTokens, tokens: TokenVerifier, token: string): Promise<Principal> {
  const nowMs = Date.now();
  const cached = cache.get(token, nowMs);
  if (cached) return cached;
  let verified: VerifiedToken;
  try {
    verified = await tokens.verify(token);
  } catch (error) {
    if (error instanceof IssuerUnavailableError) throw new ServiceUnavailableException(error.message);
    throw new UnauthorizedException(`The token was refused: ${error instanceof Error ? error.message : 'invalid'}`);
  }
  cache.set(token, verified.principal, Math.min(nowMs + 60_000, verified.expiresAtMs));
  return verified.principal;
}

/**
 * A candidate may read and act on its own profile only. Only roles the endpoint lists count: when `candidate` is
 * the only one of them the token carries, the profile must be its own whatever else it carries (API.md).
 * Called by every endpoint that names a profile.
 */
export function assertMayAccessProfile(principal: Principal, profileId: string): void {
  if (onlyAsCandidate(principal)) {
    if (principal.profileId !== profileId) throw new ForbiddenException('A candidate may reach its own profile only');
  }
}

/** True when the request is granted by the candidate role alone (other roles of the token are not listed). */
export function onlyAsCandidate(principal: Principal): boolean {
  const granted = principal.grantedBy ?? principal.roles;
  return !granted.some((role) => role !== 'candidate');
}
