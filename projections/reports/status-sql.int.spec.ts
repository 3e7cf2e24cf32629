import Database from 'better-sqlite3';
import { HeldState, holdingStatusAt } from '@recert/domain';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from '../../test/support/postgres';
import { PostgresReadStore } from '../runtime/postgres-read-store';
import { ReadStore, SqliteReadStore } from '../runtime/read-store';
import { STATUS_SQL, statusParams } from './reports.queries';

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

/** Each case on one read store: the SQL's status, through the port, equals the decider's (R20, R121). */
function statusSqlOn(open: () => Promise<ReadStore>): void {
  let store: ReadStore;
  beforeAll(async () => {
    store = await open();
    await store.run(`CREATE TABLE rm_status_cases (revoked INTEGER, expired INTEGER, expires_at TEXT, window_opens_at TEXT,
      suspended_since TEXT, suspended_until TEXT)`);
  }, 30_000);
  afterAll(() => store.close());

  it.each(cases)('R20/R9/R16/R17/R121: %s', async (_name, change, expected) => {
    const facts = { ...base, ...change };
    await store.run('DELETE FROM rm_status_cases');
    await store.run('INSERT INTO rm_status_cases VALUES (?, ?, ?, ?, ?, ?)', [
      Number(facts.revoked),
      Number(facts.expired),
      facts.expiresAt,
      facts.windowOpensAt,
      facts.suspendedSince,
      facts.suspendedUntil,
    ]);
    expect(holdingStatusAt(held(facts), new Date(NOW))).toBe(expected);
    expect(await store.query(`SELECT ${STATUS_SQL} AS status FROM rm_status_cases`, statusParams(NOW))).toEqual([{ status: expected }]);
  });
}

describe('R20/R121 the reports status SQL is holdingStatusAt, on the embedded SQLite read store', () => {
  let db: Database.Database;
  statusSqlOn(() => {
    db = new Database(':memory:');
    return Promise.resolve(new SqliteReadStore(db));
  });
  afterAll(() => db.close());
});

describeWithPostgres('R20/R121 the reports status SQL is holdingStatusAt, on the PostgreSQL read store', () => {
  const schema = uniqueName('recert_read');
  afterAll(() => dropSchema(schema), 30_000);
  statusSqlOn(() => PostgresReadStore.open(`${PG_TEST_URL}?readStoreSchema=${schema}`));
});
