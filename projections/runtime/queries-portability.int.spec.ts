import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '@recert/eventstore';
import { type Clock, type KeyVaultStore, projectRoot } from '@recert/kernel';
import { loadCatalog, loadPolicyBook, PersonalDataVault, PolicyRegistry } from '@recert/renewals';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from '../../test/support/postgres';
import { DashboardQueries } from '../dashboard/dashboard.queries';
import { DeadlineQueries } from '../deadlines/deadlines.queries';
import { HoldingRow, HoldingsProjection, ProfileRow } from '../holdings/holdings.projection';
import { OverrideTargetQueries } from '../holdings/override-targets.queries';
import { RenewalOutcomesStoreProjection } from '../renewal-outcomes/renewal-outcomes.projection';
import { ReportsQueries } from '../reports/reports.queries';
import { PERSON_SEARCH_TABLE, PersonSearchIndex, searchTerms } from '../roster/person-search';
import { ROSTER_SORTS, RosterItem, RosterQueries } from '../roster/roster.queries';
import { PostgresReadStore } from './postgres-read-store';
import type { ProjectionRunner } from './projection-runner';
import { configureReadDb } from './read-db';
import { ReadStore, ReadTx, SqliteReadStore } from './read-store';
import { createRowTableSql } from './rows';
import { createTableStatements } from './table-definition';
import { holdingRow, holdingsModelOf, insertRows } from './testing/holdings-rows';

/**
 * R120: the queries on the holdings read model (dashboard, deadlines, override targets, reports, roster) answer
 * the same on the embedded SQLite read store and on PostgreSQL, given the same rows. Each adapter gets the tables
 * of the model's own definition (SQLite: the projection's set-up; PostgreSQL: the DDL of the same definition in its
 * dialect, #28.3), the same rows, then every query.
 */

const root = projectRoot();
const catalog = loadCatalog(join(root, 'config', 'catalog.json'));
const policies = new PolicyRegistry(loadPolicyBook(join(root, 'config', 'policy.json')));
const NOW = new Date('2026-12-07T12:00:00.000Z');
const clock: Clock = { now: () => NOW } as Clock;
const AZA = 'azure-administrator-associate';
const AZD = 'azure-developer-associate';
const AZF = 'azure-fundamentals';

/** Keys in memory: the vault seals once, both adapters hold the same sealed rows. */
class MemoryKeys implements KeyVaultStore {
  private readonly keys = new Map<string, Buffer>();
  key(subject: string): Promise<Buffer | null> {
    return Promise.resolve(this.keys.get(subject) ?? null);
  }
  keyOrCreate(subject: string, fresh: Buffer): Promise<Buffer | null> {
    if (!this.keys.has(subject)) this.keys.set(subject, fresh);
    return this.key(subject);
  }
  async keysOrCreate(entries: readonly { subject: string; fresh: Buffer }[]): Promise<(Buffer | null)[]> {
    return Promise.all(entries.map((entry) => this.keyOrCreate(entry.subject, entry.fresh)));
  }
  isErased(): Promise<boolean> {
    return Promise.resolve(false);
  }
  erase(subject: string): Promise<void> {
    this.keys.delete(subject);
    return Promise.resolve();
  }
  storedKeys(): Promise<{ subject: string; key: Buffer }[]> {
    return Promise.resolve([]);
  }
  replaceKey(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

const keys = new MemoryKeys();
const vault = new PersonalDataVault(keys);
const projection = new HoldingsProjection(policies.book(), 'portable');
const model = holdingsModelOf(projection);

/** The window opens six months before expiry (config/policy.json), as the projection derives it. */
function holding(profileId: string, code: string, change: Partial<HoldingRow>, position: number): HoldingRow {
  const expiresAt = change.expires_at === undefined ? '2027-09-01T00:00:00.000Z' : change.expires_at;
  const opensAt = expiresAt === null ? null : policies.book().windowOpensAt(new Date(expiresAt)).opensAt.toISOString();
  return holdingRow(profileId, code, {
    level: catalog.get(code)?.level ?? 'associate',
    earned_at: '2025-09-01T00:00:00.000Z',
    expires_at: expiresAt,
    window_opens_at: opensAt,
    window_id: opensAt === null ? null : `${profileId}.${code}:1`,
    verification_id: `v-${profileId}-${code}`,
    cycle_position: position,
    last_position: position,
    ...change,
  });
}

const override = (overrideId: string): string =>
  JSON.stringify({
    overrideId,
    requestedBy: 'a1',
    approvedBy: 'a2',
    kind: 'extend-expiry',
    reason: 'outage',
    at: '2026-11-01T00:00:00.000Z',
    from: '2027-03-01T00:00:00.000Z',
    to: '2027-10-01T00:00:00.000Z',
  });

const HOLDINGS: HoldingRow[] = [
  holding('p1', AZA, { expires_at: '2027-10-01T00:00:00.000Z', last_override: override('ov-1'), verification_private: 1 }, 11),
  holding(
    'p1',
    AZD,
    { expires_at: '2027-01-15T00:00:00.000Z', window_opened: 1, attempts: 1, last_attempt_at: '2026-11-20T00:00:00.000Z' },
    12,
  ),
  holding('p1', AZF, { expires_at: null }, 13),
  holding('p2', AZA, { expires_at: '2026-12-01T00:00:00.000Z', window_opened: 1 }, 21), // expiry due (R9)
  holding('p2', AZD, { expires_at: '2027-02-01T00:00:00.000Z' }, 22), // window due (R3)
  holding('p3', AZA, { expires_at: '2027-03-01T00:00:00.000Z', suspended_since: '2026-11-01T00:00:00.000Z', window_opened: 1 }, 31),
  holding('p3', AZD, { expires_at: '2027-04-01T00:00:00.000Z', revoked: 1, window_opened: 1 }, 32),
  holding('p4', AZA, { expires_at: '2027-01-20T00:00:00.000Z', window_opened: 1, merged_out: 1, last_override: override('ov-1') }, 41),
  holding(
    'p5',
    AZA,
    { expires_at: '2027-01-03T00:00:00.000Z', window_opened: 1, imported_from: JSON.stringify({ system: 'old', sourceId: 's5' }) },
    51,
  ),
  holding('p5', AZD, { expires_at: '2026-11-15T00:00:00.000Z', expired: 1 }, 52),
];

const PEOPLE: Record<string, { displayName: string; email: string }> = {
  p1: { displayName: 'Ada Lovelace', email: 'ada@example.test' },
  p2: { displayName: 'Grace Hopper', email: 'grace@example.test' },
  p3: { displayName: 'Ada Byron', email: 'byron@example.test' },
  p4: { displayName: 'Alan Turing', email: 'alan@example.test' },
  p5: { displayName: 'Émile Borel', email: 'emile@example.test' },
};

async function profileRows(): Promise<ProfileRow[]> {
  return Promise.all(
    Object.entries(PEOPLE).map(async ([profileId, person], i) => ({
      profile_id: profileId,
      account_id: `acc-${profileId}`,
      account_type: 'learn',
      personal_data: JSON.stringify(await vault.seal(profileId, person)),
      status: profileId === 'p4' ? ('merged' as const) : ('active' as const),
      merged_into: profileId === 'p4' ? 'p1' : null,
      linked_learn_profile_id: profileId === 'p1' ? 'learn-1' : null,
      created_at: '2025-01-01T00:00:00.000Z',
      last_position: i + 1,
    })),
  );
}

const OUTCOMES: [string, string, string, string, string][] = [
  ['p1.x', '2026-10-03T00:00:00.000Z', AZA, 'renewed', '2026-09-01T00:00:00.000Z'],
  ['p2.x', '2026-10-20T00:00:00.000Z', AZA, 'expired', '2026-10-20T00:00:00.000Z'],
  ['p3.x', '2026-11-05T00:00:00.000Z', AZD, 'renewed', '2026-10-01T00:00:00.000Z'],
  ['p4.x', '2026-12-01T00:00:00.000Z', AZA, 'renewed', '2026-11-01T00:00:00.000Z'],
  ['p5.x', '2026-12-24T00:00:00.000Z', AZA, 'expired', '2026-12-24T00:00:00.000Z'], // not closed yet at NOW
];

/** Statements outside any projector's unit of work, as a `ReadTx` (the renewal outcomes' set-up takes one). */
const txOf = (store: ReadStore): ReadTx => ({
  dialect: store.kind,
  run: async (sql, params) => void (await store.run(sql, params)),
  runAll: async (writes) => {
    for (const write of writes) await store.run(write.sql, write.params);
  },
  query: (sql, params) => store.query(sql, params),
});

const insert = (store: ReadStore, table: string, row: object): Promise<void> => insertRows(store, table, [row]);

const search = new PersonSearchIndex(undefined as unknown as ReadStore, {} as EventStore, vault, keys);
// The index follows the log under its lease; here its rows are written by hand on each store.
jest.spyOn(search, 'catchUp').mockResolvedValue();

async function fill(store: ReadStore, profiles: ProfileRow[]): Promise<void> {
  await new RenewalOutcomesStoreProjection().setup(txOf(store));
  for (const sql of createTableStatements(PERSON_SEARCH_TABLE, store.kind)) await store.run(sql);
  for (const row of HOLDINGS) await insert(store, projection.holdings, row);
  for (const row of profiles) await insert(store, projection.profiles, row);
  for (const [holding_id, closes_at, code, outcome, at] of OUTCOMES)
    await insert(store, 'rm_window_outcomes', { holding_id, closes_at, code, outcome, at });
  for (const [profileId, person] of Object.entries(PEOPLE))
    for (const term of searchTerms(person))
      await insert(store, 'rm_person_search', { token: await search.token(term), profile_id: profileId });
}

interface Queries {
  dashboard: DashboardQueries;
  deadlines: DeadlineQueries;
  targets: OverrideTargetQueries;
  reports: ReportsQueries;
  roster: RosterQueries;
}

/** The query classes over one store (the log and the runner stubbed: the model is caught up). */
function queriesOver(store: ReadStore): Queries {
  const log = { headPosition: () => Promise.resolve(100) } as unknown as EventStore;
  const caughtUp = { waitFor: () => Promise.resolve(true) } as unknown as ProjectionRunner;
  return {
    dashboard: new DashboardQueries(store, clock, catalog, vault, policies, model, {
      publicBaseUrl: 'https://recert.example',
      issuerName: 'Recert',
    }),
    deadlines: new DeadlineQueries(store, model),
    targets: new OverrideTargetQueries(store, log, caughtUp, model),
    reports: new ReportsQueries(store, clock, catalog, model, policies),
    roster: new RosterQueries(clock, catalog, vault, model, search, store),
  };
}

async function streamed(roster: RosterQueries, filter: Parameters<RosterQueries['stream']>[0]): Promise<RosterItem[][]> {
  const batches: RosterItem[][] = [];
  for await (const batch of roster.stream(filter, 2)) batches.push(batch);
  return batches;
}

const TARGETS = { certificationCode: AZA, from: new Date('2026-12-01T00:00:00.000Z'), to: new Date('2027-02-01T00:00:00.000Z') };

/** Every converted query, by name. */
const QUERIES: [string, (q: Queries) => Promise<unknown>][] = [
  ['dashboard p1', (q) => q.dashboard.dashboard('p1')],
  ['dashboard p2', (q) => q.dashboard.dashboard('p2')],
  ['dashboard p3', (q) => q.dashboard.dashboard('p3')],
  ['dashboard p5', (q) => q.dashboard.dashboard('p5')],
  ['dashboard of nobody', (q) => q.dashboard.dashboard('nobody')],
  ['windows due', (q) => q.deadlines.windowsDue(NOW)],
  ['expiries due', (q) => q.deadlines.expiriesDue(NOW)],
  ['expiries due, limit 1', (q) => q.deadlines.expiriesDue(new Date('2027-12-31T00:00:00.000Z'), 1)],
  ['override targets', (q) => q.targets.holdingsMatching(TARGETS, null)],
  ['override targets of ov-1 resumed', (q) => q.targets.holdingsMatching(TARGETS, 'ov-1')],
  ['summary', (q) => q.reports.summary()],
  ['expiring by week', (q) => q.reports.expiringByWeek(12)],
  ['renewal rate', (q) => q.reports.renewalRate(3)],
  ['renewal rate of one certification', (q) => q.reports.renewalRate(3, AZD)],
  ['expiring', (q) => q.reports.expiring(365, 1, 50)],
  ['expiring, second page of 2', (q) => q.reports.expiring(365, 2, 2)],
  ['expiring, renewal-open of one certification', (q) => q.reports.expiring(365, 1, 50, { certification: AZA, status: 'renewal-open' })],
  [
    'expiring, between instants',
    (q) => q.reports.expiring(30, 1, 50, { expiresFrom: '2027-01-01T00:00:00.000Z', expiresTo: '2027-03-01T00:00:00.000Z' }),
  ],
  ...ROSTER_SORTS.map((sort): [string, (q: Queries) => Promise<unknown>] => [`roster by ${sort}`, (q) => q.roster.page({}, sort, 1, 25)]),
  ['roster page 2 of 3', (q) => q.roster.page({}, 'expires', 2, 3)],
  ['roster, suspended', (q) => q.roster.page({ status: 'suspended' }, 'expires', 1, 25)],
  ['roster, one certification', (q) => q.roster.page({ certification: AZD }, 'profile', 1, 25)],
  ['roster, a name word', (q) => q.roster.page({ q: 'ada' }, 'profile', 1, 25)],
  ['roster, an e-mail', (q) => q.roster.page({ q: 'GRACE@example.test' }, 'profile', 1, 25)],
  ['roster, a profile id', (q) => q.roster.page({ q: 'p5' }, 'profile', 1, 25)],
  ['roster, a query of no words', (q) => q.roster.page({ q: '--' }, 'profile', 1, 25)],
  ['roster, a name and a status', (q) => q.roster.page({ q: 'Ada', status: 'renewal-open', certification: AZD }, 'expires', 1, 25)],
  ['roster stream', (q) => streamed(q.roster, {})],
  ['roster stream, filtered', (q) => streamed(q.roster, { q: 'ada', status: 'active' })],
];

async function answers(store: ReadStore): Promise<Map<string, unknown>> {
  const queries = queriesOver(store);
  const results = new Map<string, unknown>();
  for (const [name, run] of QUERIES) results.set(name, await run(queries));
  return results;
}

function openSqlite(): { store: SqliteReadStore; close: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'recert-queries-'));
  const db = configureReadDb(new Database(join(dir, 'read.db')));
  projection.setup(db);
  return {
    store: new SqliteReadStore(db),
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let sqliteAnswers: Promise<Map<string, unknown>> | undefined;
let sqliteClose: (() => void) | undefined;
let profiles: Promise<ProfileRow[]> | undefined;

/** The answers on SQLite, computed once for the file (the PostgreSQL half compares with them). */
function onSqlite(): Promise<Map<string, unknown>> {
  profiles ??= profileRows();
  sqliteAnswers ??= (async () => {
    const { store, close } = openSqlite();
    sqliteClose = close;
    await fill(store, await profiles);
    return answers(store);
  })();
  return sqliteAnswers;
}

afterAll(() => sqliteClose?.());

describe('R120 the holdings queries on the embedded SQLite read store', () => {
  let got: Map<string, unknown>;
  beforeAll(async () => {
    got = await onSqlite();
  }, 60_000);

  it('R120 the rows exercise every query: each answers something of its own', () => {
    expect(got.get('windows due')).toEqual([{ holdingId: `p2.${AZD}`, profileId: 'p2', code: AZD }]);
    expect(got.get('expiries due')).toEqual([{ holdingId: `p2.${AZA}`, profileId: 'p2', code: AZA }]);
    expect(got.get('override targets')).toEqual([
      { profileId: 'p2', certificationCode: AZA },
      { profileId: 'p5', certificationCode: AZA },
    ]);
    expect(got.get('override targets of ov-1 resumed')).toEqual([
      { profileId: 'p1', certificationCode: AZA },
      { profileId: 'p2', certificationCode: AZA },
      { profileId: 'p5', certificationCode: AZA },
    ]);
    expect(got.get('dashboard of nobody')).toBeUndefined();
    expect(got.get('renewal rate')).toMatchObject({
      months: [
        { month: '2026-10', closed: 2, renewed: 1 },
        { month: '2026-11', closed: 1, renewed: 1 },
        { month: '2026-12', closed: 1, renewed: 1 },
      ],
    });
    expect(got.get('summary')).toMatchObject({
      total: 9,
      byStatus: { active: 1, 'renewal-open': 3, expired: 2, 'never-expires': 1, revoked: 1, suspended: 1 },
    });
    expect((got.get('expiring by week') as { weeks: { count: number }[] }).weeks.map((week) => week.count)).toEqual([
      0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1,
    ]);
    const names = (key: string): string[] => (got.get(key) as { items: RosterItem[] }).items.map((item) => item.holdingId);
    expect(names('roster, a name word')).toEqual([`p1.${AZA}`, `p1.${AZD}`, `p1.${AZF}`, `p3.${AZA}`, `p3.${AZD}`]);
    expect(names('roster, an e-mail')).toEqual([`p2.${AZA}`, `p2.${AZD}`]);
    expect(names('roster, a name and a status')).toEqual([`p1.${AZD}`]);
    expect(names('roster, a profile id')).toEqual([`p5.${AZA}`, `p5.${AZD}`]);
    expect(names('roster, a query of no words')).toEqual([]);
    expect(names('expiring, renewal-open of one certification')).toEqual([`p5.${AZA}`]);
    expect((got.get('roster stream') as RosterItem[][]).map((batch) => batch.length)).toEqual([2, 2, 2, 2, 1]);
  });
});

describeWithPostgres('R120 the holdings queries on the PostgreSQL read store answer as on SQLite', () => {
  const schema = uniqueName('recert_read');
  let store: PostgresReadStore;
  let expected: Map<string, unknown>;
  let got: Map<string, unknown>;

  beforeAll(async () => {
    expected = await onSqlite();
    store = await PostgresReadStore.open(`${PG_TEST_URL}?readStoreSchema=${schema}`);
    for (const table of projection.tables) {
      await store.run(createRowTableSql(table, 'postgres'));
      for (const index of table.indexes ?? []) await store.run(index.create);
    }
    await fill(store, (await profiles) ?? []);
    got = await answers(store);
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await dropSchema(schema);
  }, 30_000);

  it('R120 the same queries ran', () => {
    expect([...got.keys()]).toEqual([...expected.keys()]);
  });

  it.each(QUERIES.map(([name]) => name))('R120 %s', (name) => {
    expect(got.get(name)).toEqual(expected.get(name));
  });
});
