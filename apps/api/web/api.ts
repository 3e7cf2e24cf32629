/** The dashboard page's window on the API: the visitor's bearer token, kept for the tab only. */
import { rolesAt } from './oidc';

export type {
  Dashboard,
  DashboardCertification,
  Expiring,
  ExpiringByWeek,
  HistoryEvent,
  ImportReport,
  OverrideRequest,
  PagedReplayJob,
  Preferences,
  RenewalRate,
  ReplayJob,
  Roster,
  Summary,
  WebhookDelivery,
  WebhookEndpoint,
} from './api-types';

const TOKEN_KEY = 'recert.token';

export interface Claims {
  sub: string;
  roles: string[];
  profileId?: string;
  exp?: number;
  /** From the identity provider: the learning account the holder signed in with (proves a link, API.md). */
  learnProfileId?: string;
}

/** Why the visitor was sent back to the sign-in form, shown there. */
export type SignedOutReason = 'expired' | 'rejected';
const SIGNED_OUT = 'recert:signed-out';

/** With an issuer (R69) the token lives in this tab's memory only; a pasted development token stays for the tab. */
let inMemory: string | null = null;
let issuerSession: { rolesClaim: string } | null = null;

/** Switches to the issuer's sign-in: tokens in memory, roles read at the configured claim path. */
export function useIssuerSession(rolesClaim: string): void {
  issuerSession = { rolesClaim };
  sessionStorage.removeItem(TOKEN_KEY);
}

export function setToken(value: string): void {
  if (issuerSession) inMemory = value;
  else sessionStorage.setItem(TOKEN_KEY, value);
}

export function takeTokenFromLocation(): void {
  const match = /(?:^|&)token=([^&]+)/.exec(window.location.hash.slice(1));
  if (match?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    // Keep the token out of the address bar and history.
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
}

export function token(): string | null {
  return issuerSession ? inMemory : sessionStorage.getItem(TOKEN_KEY);
}

/** Keeps the token when it reads as one (three parts, claims with sub and roles, not expired); else says why not. */
export function signIn(value: string): 'notAToken' | 'expiredToken' | null {
  const candidate = value.trim();
  const read = readClaims(candidate);
  if (!read) return 'notAToken';
  if (read.exp !== undefined && read.exp * 1000 <= Date.now()) return 'expiredToken';
  sessionStorage.setItem(TOKEN_KEY, candidate);
  return null;
}

/** Ends the visit's sign-in and tells the page why, so it can show the form again instead of a dead end. */
export function signOutBecause(reason: SignedOutReason): void {
  signOut();
  window.dispatchEvent(new CustomEvent<SignedOutReason>(SIGNED_OUT, { detail: reason }));
}

export function onSignedOut(listener: (reason: SignedOutReason) => void): () => void {
  const handler = (event: Event): void => listener((event as CustomEvent<SignedOutReason>).detail);
  window.addEventListener(SIGNED_OUT, handler);
  return () => window.removeEventListener(SIGNED_OUT, handler);
}

export function signOut(): void {
  inMemory = null;
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The token's claims, read (not verified: the API verifies) to know whose page this is. */
export function claims(): Claims | null {
  return readClaims(token());
}

function readClaims(value: string | null): Claims | null {
  const parts = value?.split('.') ?? [];
  const payload = parts[1];
  if (parts.length !== 3 || !payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const parsed = JSON.parse(json) as Partial<Claims> & Record<string, unknown>;
    // An issuer's access token carries recert's roles where OIDC_ROLES_CLAIM says, and none for a holder.
    if (issuerSession && typeof parsed.sub === 'string')
      return { ...parsed, sub: parsed.sub, roles: rolesAt(parsed, issuerSession.rolesClaim) };
    return typeof parsed.sub === 'string' && Array.isArray(parsed.roles) ? (parsed as Claims) : null;
  } catch {
    return null;
  }
}

export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

export async function get<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token() ?? ''}`, Accept: 'application/json' } });
  // An expired or revoked token: back to the sign-in form with the reason, not an error with no way on.
  if (response.status === 401) signOutBecause('expired');
  const body = (await response.json()) as unknown;
  if (!response.ok) throw new ApiError(body as Problem);
  return body as T;
}

export async function post<T>(path: string, body: unknown, method: 'POST' | 'PUT' = 'POST'): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${token() ?? ''}`, Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status === 401) signOutBecause('expired');
  const answer = (await response.json()) as unknown;
  if (!response.ok) throw new ApiError(answer as Problem);
  return answer as T;
}

/** Fetches a file with the visitor's token (a plain link could not send it) and hands it to the browser to save. */
export async function download(path: string, filename: string): Promise<void> {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token() ?? ''}` } });
  if (response.status === 401) signOutBecause('expired');
  if (!response.ok) throw new ApiError((await response.json()) as Problem);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  URL.revokeObjectURL(url);
}
