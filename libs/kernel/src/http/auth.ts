import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import jwt from 'jsonwebtoken';
import { APP_CONFIG, AppConfig } from '../config';
import { canonicalSubject } from '../text';

export const ROLES = ['candidate', 'exam-system', 'assessment-system', 'support', 'admin', 'scheduler'] as const;
export type Role = (typeof ROLES)[number];

/** Who asked: from a verified bearer token. */
export interface Principal {
  sub: string;
  roles: Role[];
  /** For candidates: the only profile they may read and act on. */
  profileId?: string;
  /** For candidates linking: the signed-in learning account, from the identity provider (API.md, Authentication). */
  learnProfileId?: string;
  accountId?: string;
  accountType?: 'personal' | 'work';
  /** The token's roles that the endpoint lists: what granted this request (set per request by AuthGuard). */
  grantedBy?: Role[];
}

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

const optionalIdClaim = (claims: Record<string, unknown>, name: string): Record<string, string> => {
  const value = claims[name];
  if (value === undefined) return {};
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) throw new Error(`The ${name} claim must be a string`);
  return { [name]: value };
};

/** Verifies an HS256 token: only HS256, signature, exp (required) and nbf; claims must have the contract's shape. */
export function verifyToken(token: string, secret: string): Principal {
  const payload = jwt.verify(token, secret, { algorithms: ['HS256'] });
  if (typeof payload !== 'object' || payload === null) throw new Error('The token has no claims');
  const claims = payload as Record<string, unknown>;
  const { sub, roles, profileId, accountType } = claims;
  // A token without exp would be valid forever (API.md: refused).
  if (typeof claims['exp'] !== 'number') throw new Error('The token has no exp claim');
  const actor = canonicalSubject(sub); // #22.10: no control, bidi or unpaired-surrogate characters; NFC, trimmed
  if (!Array.isArray(roles) || roles.some((role) => !(ROLES as readonly unknown[]).includes(role))) {
    throw new Error(`The roles claim must be an array of ${ROLES.join(', ')}`);
  }
  if (profileId !== undefined && (typeof profileId !== 'string' || profileId.length > 64))
    throw new Error('The profileId claim must be a string');
  if (accountType !== undefined && accountType !== 'personal' && accountType !== 'work')
    throw new Error('The accountType claim must be personal or work');
  return {
    sub: actor,
    roles: roles as Role[],
    ...(typeof profileId === 'string' ? { profileId } : {}),
    ...optionalIdClaim(claims, 'learnProfileId'),
    ...optionalIdClaim(claims, 'accountId'),
    ...(accountType ? { accountType } : {}),
  };
}

/**
 * Verified tokens by their text, until they expire: verifying an HMAC and parsing claims on every request of a
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

@Injectable()
export class AuthGuard implements CanActivate {
  private readonly verified = new VerifiedTokens();

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header || !/^Bearer [A-Za-z0-9._~+/=-]+$/.test(header)) throw new UnauthorizedException('A bearer token is required');
    const token = header.slice('Bearer '.length);
    const nowMs = Date.now();
    let principal = this.verified.get(token, nowMs);
    if (!principal) {
      try {
        principal = verifyToken(token, this.config.jwtSecret);
      } catch (error) {
        throw new UnauthorizedException(`The token was refused: ${error instanceof Error ? error.message : 'invalid'}`);
      }
      // Tokens verify against wall time (exp), as every JWT library does; cache no longer than a minute.
      const exp = (jwt.decode(token) as { exp?: number } | null)?.exp;
      this.verified.set(token, principal, Math.min(nowMs + 60_000, exp ? exp * 1000 : nowMs + 60_000));
    }
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    const grantedBy = allowed ? principal.roles.filter((role) => allowed.includes(role)) : principal.roles;
    // A fresh object per request: the cached principal is shared by every request with this token.
    request.principal = { ...principal, grantedBy };
    if (allowed && grantedBy.length === 0) throw new ForbiddenException(`This needs one of the roles ${allowed.join(', ')}`);
    return true;
  }
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
