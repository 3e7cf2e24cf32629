/** The dashboard page's window on the API: the visitor's bearer token, kept for the tab only. */
export type { Dashboard, DashboardCertification, Expiring, ExpiringByWeek, HistoryEvent, ReplayJob, Summary } from './api-types';

const TOKEN_KEY = 'recert.token';

export interface Claims {
  sub: string;
  roles: string[];
  profileId?: string;
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
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signIn(value: string): void {
  sessionStorage.setItem(TOKEN_KEY, value.trim());
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The token's claims, read (not verified: the API verifies) to know whose page this is. */
export function claims(): Claims | null {
  const value = token();
  const payload = value?.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const parsed = JSON.parse(json) as Partial<Claims>;
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
  const body = (await response.json()) as unknown;
  if (!response.ok) throw new ApiError(body as Problem);
  return body as T;
}
