import { createHmac } from 'node:crypto';

/** Claims of a development (HS256) token: today's contract claims (API.md, Authentication). */
export interface DevelopmentClaims {
  sub: string;
  roles: string[];
  profileId?: string;
  learnProfileId?: string;
  accountId?: string;
  accountType?: 'personal' | 'work';
  [claim: string]: unknown;
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/**
 * An HS256 token signed with `secret`, valid `expiresInSeconds` from `nowSeconds` (wall time by default). The one
 * minter of development tokens (`npm run dev:token`, the demo's links, the tests): synchronous, because a test's
 * `h.token()` is called in expressions everywhere, which jose's signer (a Promise) cannot serve. The tokens it makes
 * are verified by jose like any other (development-token.unit.spec.ts).
 */
export function signDevelopmentToken(
  claims: DevelopmentClaims,
  secret: string,
  options: { expiresInSeconds?: number; nowSeconds?: number } = {},
): string {
  const iat = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const payload = { ...claims, iat, exp: iat + (options.expiresInSeconds ?? 3600) };
  const signingInput = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(payload))}`;
  return `${signingInput}.${base64url(createHmac('sha256', secret).update(signingInput).digest())}`;
}
