import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, decodeJwt, errors, decodeProtectedHeader, JWTPayload, jwtVerify } from 'jose';
import { APP_CONFIG, AppConfig, assertIssuerUrl, OidcConfig } from '../config';
import { Principal, principalOf } from './principal';

/** A verified token: who, and until when (ms since the epoch) it may be trusted. */
export interface VerifiedToken {
  principal: Principal;
  expiresAtMs: number;
}

/** The issuer's discovery or keys could not be fetched: the token may be fine; the answer is 503, not 401. */
export class IssuerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IssuerUnavailableError';
  }
}

/** Asymmetric algorithms only (R65): `none` and HMAC must never verify an issuer token (alg confusion). */
export const ISSUER_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
/** Clocks of the issuer and recert may differ this much (seconds): exp, nbf and iat. */
export const CLOCK_TOLERANCE_SECONDS = 60;
/** An issuer token issued longer ago than this is refused whatever its exp (and one issued in the future too). */
const MAX_TOKEN_AGE_SECONDS = 86_400;

interface Discovery {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  end_session_endpoint?: string;
}

/** What the pages need to sign in through the issuer (authorization code with PKCE). */
export interface IssuerEndpoints {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  endSessionEndpoint: string | undefined;
}

/**
 * Verifies bearer tokens (R65, R66): tokens whose `iss` is OIDC_ISSUER against the issuer's keys (discovered, cached,
 * refetched on an unknown `kid` at most once per cooldown), any other token as HS256 with AUTH_JWT_SECRET when
 * one is in force. One instance per process, so the guard, the rate limit and /metrics share one key cache.
 */
@Injectable()
export class TokenVerifier {
  private readonly secret: Uint8Array | undefined;
  private discovery: Promise<{ document: Discovery; keys: ReturnType<typeof createRemoteJWKSet> }> | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'jwtSecret' | 'oidc'>) {
    this.secret = config.jwtSecret === undefined ? undefined : new TextEncoder().encode(config.jwtSecret);
  }

  async verify(token: string): Promise<VerifiedToken> {
    let unverified: JWTPayload;
    try {
      decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw new Error('The token is not a JWT');
    }
    const oidc = this.config.oidc;
    // Routed by the claimed issuer, then verified for it: an issuer token never reaches the HMAC path (alg confusion).
    if (oidc && unverified.iss === oidc.issuer) return this.verifyIssuerToken(token, oidc);
    if (!this.secret) throw new Error(oidc ? 'The token is not from the configured issuer' : 'No way to verify tokens is configured');
    const { payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'], requiredClaims: ['exp'] });
    return { principal: principalOf(payload, { kind: 'hs256' }), expiresAtMs: expiryOf(payload) };
  }

  /** The issuer's endpoints for the pages' sign-in (from its discovery document). */
  async endpoints(): Promise<IssuerEndpoints | undefined> {
    const oidc = this.config.oidc;
    if (!oidc) return undefined;
    const { document } = await this.discovered(oidc);
    if (!document.authorization_endpoint || !document.token_endpoint)
      throw new IssuerUnavailableError('The issuer does not offer the authorization code flow');
    return {
      issuer: document.issuer,
      authorizationEndpoint: document.authorization_endpoint,
      tokenEndpoint: document.token_endpoint,
      endSessionEndpoint: document.end_session_endpoint,
    };
  }

  private async verifyIssuerToken(token: string, oidc: OidcConfig): Promise<VerifiedToken> {
    const { keys } = await this.discovered(oidc);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: oidc.issuer,
        audience: oidc.audience,
        algorithms: ISSUER_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        maxTokenAge: MAX_TOKEN_AGE_SECONDS,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (error) {
      // A key set that cannot be fetched says nothing about the token: 503, not 401.
      const unavailable =
        !(error instanceof errors.JOSEError) || ['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC'].includes(error.code);
      if (unavailable) throw new IssuerUnavailableError(`The issuer's keys could not be fetched: ${(error as Error).message}`);
      throw error;
    }
    return {
      principal: principalOf(payload, {
        kind: 'issuer',
        issuer: oidc.issuer,
        rolesClaim: oidc.rolesClaim,
        accountClaim: oidc.accountClaim,
      }),
      expiresAtMs: expiryOf(payload),
    };
  }

  /** Discovery once (retried after a failure); its `issuer` must be the configured one and its keys https or loopback. */
  private discovered(oidc: OidcConfig): Promise<{ document: Discovery; keys: ReturnType<typeof createRemoteJWKSet> }> {
    this.discovery ??= (async () => {
      const url = `${oidc.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      let document: Discovery;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'error' });
        if (!response.ok) throw new Error(`${url} answered ${response.status}`);
        document = (await response.json()) as Discovery;
      } catch (error) {
        throw new IssuerUnavailableError(`The issuer's discovery failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (document.issuer !== oidc.issuer)
        throw new IssuerUnavailableError(`The discovery names another issuer: ${String(document.issuer)}`);
      if (typeof document.jwks_uri !== 'string') throw new IssuerUnavailableError('The discovery has no jwks_uri');
      let jwksUrl: URL;
      try {
        jwksUrl = assertIssuerUrl('jwks_uri', document.jwks_uri);
      } catch (error) {
        throw new IssuerUnavailableError((error as Error).message);
      }
      return { document, keys: createRemoteJWKSet(jwksUrl, { cooldownDuration: oidc.jwksCooldownMs, timeoutDuration: 5000 }) };
    })();
    this.discovery.catch(() => (this.discovery = undefined));
    return this.discovery;
  }
}

function expiryOf(payload: JWTPayload): number {
  return typeof payload.exp === 'number' ? payload.exp * 1000 : Date.now();
}
