import { JWTPayload, SignJWT } from 'jose';

/**
 * A token signed by jose with exactly these claims (no exp added) and this HMAC algorithm: for specs that need a
 * token recert must refuse (expired, no exp, no sub, HS512, a wrong secret). Valid development tokens come from
 * `signDevelopmentToken` (@recert/kernel), as `h.token()` does.
 */
export function signExactly(payload: JWTPayload, secret: string, alg: 'HS256' | 'HS384' | 'HS512' = 'HS256'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}
