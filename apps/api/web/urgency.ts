/**
 * How urgent a holding is for its holder (R104) and how far away an instant is (R105): one place for the threshold
 * and one function for every day count on the holder page, so no two numbers on a screen disagree. No DOM, no Intl.
 */
import type { DashboardCertification } from './api-types';

/**
 * R104: an open renewal window is "closing soon" from this many days before the expiry (the policy's last reminder
 * before expiry is P30D or later; a month is the time a holder needs to book and pass the assessment).
 */
export const CLOSING_SOON_DAYS = 30;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * R105: the distance from `now` to `iso` in whole units, truncated toward zero (3 days 20 hours is 3 days, 50
 * minutes is 50 minutes): the card's "days left" and every "in 3 days" come from this, so they agree. `days` is
 * 0 under a day; `past` when the instant has gone.
 */
export interface Remaining {
  past: boolean;
  unit: 'day' | 'hour' | 'minute';
  /** Whole units, at least 1 (a past or present instant within a minute counts as 1 minute). */
  count: number;
  /** Whole days (0 under a day). */
  days: number;
}

export function remaining(iso: string, now: string): Remaining {
  const ms = Date.parse(iso) - Date.parse(now);
  const abs = Math.abs(ms);
  const days = Math.floor(abs / DAY);
  const past = ms < 0;
  if (days >= 1) return { past, unit: 'day', count: days, days };
  const hours = Math.floor(abs / HOUR);
  if (hours >= 1) return { past, unit: 'hour', count: hours, days: 0 };
  return { past, unit: 'minute', count: Math.max(1, Math.floor(abs / MINUTE)), days: 0 };
}

/** What the "Needs your attention" band says of a holding, most urgent first; expired ones have their own section. */
export type Urgency = 'closing' | 'renewable' | 'cooldown';
export const URGENCY_ORDER: readonly Urgency[] = ['closing', 'renewable', 'cooldown'];

type Cert = Pick<DashboardCertification, 'status' | 'expiresAt' | 'canAttemptNow' | 'blockedBy'>;

/** R104: within CLOSING_SOON_DAYS of the expiry (whole days, as R105 counts them), its window open. */
export function closingSoon(cert: Cert, now: string): boolean {
  if (cert.status !== 'renewal-open' || !cert.expiresAt) return false;
  const left = remaining(cert.expiresAt, now);
  return !left.past && left.days < CLOSING_SOON_DAYS;
}

/**
 * R104: closing soon (whatever else blocks it: the holder must act now), then renewable now, then waiting out a
 * retake cool-down; null for everything else (not yet open, never expires, expired, revoked, suspended).
 */
export function urgencyOf(cert: Cert, now: string): Urgency | null {
  if (closingSoon(cert, now)) return 'closing';
  if (cert.status !== 'renewal-open') return null;
  if (cert.canAttemptNow) return 'renewable';
  if (cert.blockedBy.includes('RETAKE_COOLDOWN')) return 'cooldown';
  return null;
}

/** The holdings that no longer count (R9, R15): shown in their own section with the way back. */
export function lapsed(cert: Pick<DashboardCertification, 'status'>): boolean {
  return cert.status === 'expired' || cert.status === 'revoked';
}

/** A suspended or revoked holding offers no sharing (R106): nothing a third party could read as in good standing. */
export function mayShare(cert: Pick<DashboardCertification, 'status'>): boolean {
  return cert.status !== 'suspended' && cert.status !== 'revoked' && cert.status !== 'expired';
}
