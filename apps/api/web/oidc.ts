/**
 * Sign-in through the OpenID Connect issuer (R69): authorization code with PKCE (S256) for the pages' public client.
 * Only the one-use verifier, state and nonce outlive the redirect (sessionStorage, removed on return); the tokens
 * live in this tab's memory only, so a reload signs in again (silently while the issuer's session lasts).
 */
import type { AuthPagesConfig } from '../src/web/auth-config.view';

export type AuthConfig = AuthPagesConfig;
type OidcConfig = Extract<AuthConfig, { mode: 'oidc' }>;

const PENDING_KEY = 'recert.oidc.pending';
interface Pending {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
}

export async function loadAuthConfig(): Promise<AuthConfig> {
  const response = await fetch('/auth/config', { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`auth config: ${response.status}`);
  return (await response.json()) as AuthConfig;
}

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const randomText = (): string => base64url(crypto.getRandomValues(new Uint8Array(32)));
/** The pages' one redirect URI: the holder's page (a return to the program page is kept in `returnTo`). */
const redirectUri = (): string => `${window.location.origin}/dashboard`;

/** Leaves for the issuer's sign-in page, with a fresh PKCE verifier, state and nonce kept for the return. */
export async function beginSignIn(config: OidcConfig, prompt?: 'none'): Promise<void> {
  const pending: Pending = {
    verifier: randomText(),
    state: randomText(),
    nonce: randomText(),
    returnTo: window.location.pathname + window.location.search,
  };
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pending.verifier))));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(config.authorizationEndpoint);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: config.scope,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(prompt ? { prompt } : {}),
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  window.location.assign(url.toString());
}

export interface SignedIn {
  accessToken: string;
  idToken: string | undefined;
}

/** Why a return from the issuer was not a sign-in. */
export type SignInFailure = 'state' | 'nonce' | 'issuer' | 'refused';

function payloadOf(jwt: string | undefined): Record<string, unknown> | null {
  const part = jwt?.split('.')[1];
  if (!part) return null;
  try {
    return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * On the return from the issuer (`?code&state` or `?error`): checks the state, redeems the code with the verifier,
 * checks the ID token's nonce, issuer and audience (it came straight from the token endpoint over TLS, which
 * OpenID Connect Core 3.1.3.7 accepts in place of its signature), and cleans the address bar. Null when this is
 * not a return.
 */
export async function completeSignIn(config: OidcConfig): Promise<SignedIn | SignInFailure | null> {
  const query = new URLSearchParams(window.location.search);
  const code = query.get('code');
  const returnedState = query.get('state');
  if (!returnedState || (!code && !query.get('error'))) return null;
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const pending = raw ? (JSON.parse(raw) as Pending) : null;
  history.replaceState(null, '', pending?.returnTo ?? window.location.pathname);
  if (!pending || pending.state !== returnedState) return 'state';
  if (!code) return 'refused';
  const response = await fetch(config.tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri(),
      client_id: config.clientId,
      code_verifier: pending.verifier,
    }).toString(),
  });
  if (!response.ok) return 'refused';
  const tokens = (await response.json()) as { access_token?: string; id_token?: string };
  if (!tokens.access_token) return 'refused';
  const id = payloadOf(tokens.id_token);
  if (tokens.id_token !== undefined || config.scope.split(' ').includes('openid')) {
    if (!id || id['nonce'] !== pending.nonce) return 'nonce';
    const audience = id['aud'];
    const audiences = Array.isArray(audience) ? audience : [audience];
    if (id['iss'] !== config.issuer || !audiences.includes(config.clientId)) return 'issuer';
  }
  return { accessToken: tokens.access_token, idToken: tokens.id_token };
}

/** Ends the issuer's session too when it offers end_session_endpoint (RP-initiated logout); else only ours. */
export function signOutAtIssuer(config: OidcConfig, idToken: string | undefined): void {
  if (!config.endSessionEndpoint) return;
  const url = new URL(config.endSessionEndpoint);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('post_logout_redirect_uri', redirectUri());
  if (idToken) url.searchParams.set('id_token_hint', idToken);
  window.location.assign(url.toString());
}

/** recert's roles from the access token, by the configured claim path (`realm_access.roles`). */
export function rolesAt(claims: Record<string, unknown>, path: string): string[] {
  let value: unknown = path in claims ? claims[path] : claims;
  if (!(path in claims)) {
    for (const part of path.split('.'))
      value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  return Array.isArray(value)
    ? value.filter((role): role is string => typeof role === 'string')
    : typeof value === 'string'
      ? value.split(' ')
      : [];
}
