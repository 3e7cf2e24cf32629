import Database from 'better-sqlite3';
import { HeldState, holdingStatusAt } from '@recert/domain';
import { STATUS_SQL } from './reports.queries';

/**
 * R20 (and R9, R16, R17): the reports count and filter holdings by a status computed in SQL; it must be the status
 * `holdingStatusAt` gives for the same facts at the same instant. Each row is a case, checked on both sides.
 */
type Facts = {
  revoked: boolean;
  expired: boolean;
  expiresAt: string | null;
  windowOpensAt: string | null;
  suspendedSince: string | null;
  suspendedUntil: string | null;
};
const base: Facts = {
  revoked: false,
  expired: false,
  expiresAt: '2027-01-01T00:00:00.000Z',
  windowOpensAt: '2026-10-01T00:00:00.000Z',
  suspendedSince: null,
  suspendedUntil: null,
};
const NOW = '2026-12-07T12:00:00.000Z';
const suspended = { suspendedSince: '2026-12-01T00:00:00.000Z' };

const cases: [string, Partial<Facts>, string][] = [
  ['window open', {}, 'renewal-open'],
  ['window not yet open', { windowOpensAt: '2026-12-08T00:00:00.000Z' }, 'active'],
  ['window opens at this instant', { windowOpensAt: NOW }, 'renewal-open'],
  ['never expires', { expiresAt: null, windowOpensAt: null }, 'never-expires'],
  ['expiry at this instant, not recorded (R9)', { expiresAt: NOW }, 'expired'],
  ['expiry recorded', { expired: true }, 'expired'],
  ['expiry one ms ahead', { expiresAt: '2026-12-07T12:00:00.001Z' }, 'renewal-open'],
  ['revoked before expired (R20)', { revoked: true, expired: true }, 'revoked'],
  ['revoked before suspended (R20)', { revoked: true, ...suspended }, 'revoked'],
  ['expired before suspended (R16, R20)', { expiresAt: '2026-12-05T00:00:00.000Z', ...suspended }, 'expired'],
  ['suspended until reinstated', { ...suspended }, 'suspended'],
  ['suspended until later', { ...suspended, suspendedUntil: '2026-12-08T00:00:00.000Z' }, 'suspended'],
  ['suspension ended by itself at its until (R17)', { ...suspended, suspendedUntil: NOW }, 'renewal-open'],
  ['suspended, never expires', { ...suspended, expiresAt: null, windowOpensAt: null }, 'suspended'],
];

function held(f: Facts): HeldState {
  return {
    status: 'held',
    holdingId: 'p1.x',
    profileId: 'p1',
    certificationCode: 'x',
    mergeIds: [],
    level: 'associate',
    cycle: 1,
    earnedAt: '2025-01-01T00:00:00.000Z',
    expiresAt: f.expiresAt,
    expired: f.expired,
    revoked: f.revoked,
    suspension: f.suspendedSince ? { since: f.suspendedSince, until: f.suspendedUntil } : null,
    window:
      f.expiresAt && f.windowOpensAt
        ? {
            id: 'w',
            opensAt: f.windowOpensAt,
            expiresAt: f.expiresAt,
            opened: false,
            notified: false,
            attempts: 0,
            lastAttemptAt: null,
            attemptIds: [],
          }
        : null,
  };
}

describe('R20 the reports status SQL is holdingStatusAt', () => {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE holdings (revoked INTEGER, expired INTEGER, expires_at TEXT, window_opens_at TEXT,
    suspended_since TEXT, suspended_until TEXT)`);
  const insert = db.prepare('INSERT INTO holdings VALUES (?, ?, ?, ?, ?, ?)');
  const status = db.prepare<{ now: string }, { status: string }>(`SELECT ${STATUS_SQL} AS status FROM holdings`);
  afterAll(() => db.close());

  it.each(cases)('R20/R9/R16/R17: %s', (_name, change, expected) => {
    const facts = { ...base, ...change };
    db.exec('DELETE FROM holdings');
    insert.run(
      Number(facts.revoked),
      Number(facts.expired),
      facts.expiresAt,
      facts.windowOpensAt,
      facts.suspendedSince,
      facts.suspendedUntil,
    );
    expect(holdingStatusAt(held(facts), new Date(NOW))).toBe(expected);
    expect(status.get({ now: NOW })?.status).toBe(expected);
  });
});
