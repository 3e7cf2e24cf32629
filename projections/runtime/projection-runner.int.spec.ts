import Database from 'better-sqlite3';
import { join } from 'node:path';
import { RecordedEvent, SqliteEventStore } from '@recert/eventstore';
import { Harness, linkAsHolder, startApp } from '../../test/support/harness';
import { eventually } from '../../test/support/wait';
import { HoldingsModel } from '../holdings/holdings.model';
import { HoldingsProjection } from '../holdings/holdings.projection';
import { PolicyRegistry } from '@recert/renewals';
import { PolicyBook } from '@recert/domain';
import { OutboxProjection } from '../outbox/outbox.projection';
import { configureReadDb, READ_DB } from './read-db';
import { Projection } from './projection';
import { ProjectionRunner } from './projection-runner';

/** Counts what it is given, on purpose not idempotent: any event applied twice shows. */
class CountingProjection implements Projection {
  readonly name = 'counting';
  readonly version = 1;
  readonly eventTypes = [
    'CertificationEarned',
    'AssessmentAttempted',
    'CertificationRenewed',
    'CertificationExpired',
    'RenewalWindowOpened',
  ];
  setup(db: Database.Database): void {
    db.exec('CREATE TABLE IF NOT EXISTS counted (type TEXT PRIMARY KEY, n INTEGER NOT NULL)');
  }
  reset(db: Database.Database): void {
    db.exec('DROP TABLE IF EXISTS counted');
  }
  apply(db: Database.Database, event: RecordedEvent): void {
    db.prepare('INSERT INTO counted (type, n) VALUES (?, 1) ON CONFLICT(type) DO UPDATE SET n = n + 1').run(event.type);
  }
}

const rows = (db: Database.Database, sql: string): unknown[] => db.prepare(sql).all();
const HOLDINGS = 'SELECT * FROM rm_holdings ORDER BY holding_id';
const PROFILES = 'SELECT * FROM rm_profiles ORDER BY profile_id';
const OUTBOX = 'SELECT id, window_id, holding_id, state FROM rm_notifications ORDER BY id';

async function untilCaughtUp(runner: ProjectionRunner, store: SqliteEventStore | Harness['store']): Promise<void> {
  expect(await runner.waitFor(await store.headPosition(), 60_000)).toBe(true);
}

describe('projection runner', () => {
  let h: Harness;
  let live: Database.Database;
  let book: PolicyBook;

  beforeAll(async () => {
    // A realistic log through the API: profiles, earnings, a window, attempts, a renewal, an expiry, a merge.
    h = await startApp({ clockStart: '2025-01-01T00:00:00Z' });
    const t = (roles: Parameters<Harness['token']>[0]) => `Bearer ${h.token(roles)}`;
    for (let i = 0; i < 8; i += 1) {
      await h.http
        .post('/certification-profiles')
        .set('Authorization', t(['exam-system']))
        .send({ profileId: `pr-${i}`, accountId: `acc-pr-${i}`, accountType: 'personal', displayName: `P${i}`, email: `p${i}@example.com` })
        .expect(201);
      await linkAsHolder(h, `pr-${i}`, `l-${i}`, { accountId: `acc-pr-${i}` }).expect(200);
      await h.http
        .post(`/certification-profiles/pr-${i}/certifications`)
        .set('Authorization', t(['exam-system']))
        .send({ certificationCode: 'azure-administrator-associate' })
        .expect(201);
      await h.http
        .post(`/certification-profiles/pr-${i}/certifications`)
        .set('Authorization', t(['exam-system']))
        .send({ certificationCode: 'azure-fundamentals' })
        .expect(201);
    }
    h.clock.set(new Date('2025-08-01T00:00:00Z'));
    await h.http
      .post('/admin/scheduler/run')
      .set('Authorization', t(['scheduler']))
      .expect(200);
    for (let i = 0; i < 4; i += 1) {
      await h.http
        .post(`/certification-profiles/pr-${i}/certifications/azure-administrator-associate/renewal-attempts`)
        .set('Authorization', t(['assessment-system']))
        .send({ passed: i % 2 === 0, language: 'en' })
        .expect(201);
    }
    h.clock.set(new Date('2026-01-01T00:00:00Z'));
    await h.http
      .post('/admin/scheduler/run')
      .set('Authorization', t(['scheduler']))
      .expect(200);
    await h.http
      .post('/certification-profiles/pr-0/merges')
      .set('Authorization', t(['support']))
      .send({ sourceProfileId: 'pr-7' })
      .expect(200);
    live = h.app.get<Database.Database>(READ_DB);
    // The app serves a generation of the holdings model; alias its tables to the plain names the specs compare.
    const tables = h.app.get(HoldingsModel).tables();
    live.exec(
      `CREATE TEMP VIEW rm_holdings AS SELECT * FROM ${tables.holdings}; CREATE TEMP VIEW rm_profiles AS SELECT * FROM ${tables.profiles};`,
    );
    book = h.app.get(PolicyRegistry).book();
    await untilCaughtUp(h.app.get(ProjectionRunner), h.store);
  }, 120_000); // some forty requests and two scheduler runs: long on a loaded machine
  afterAll(async () => h.close(), 60_000);

  it('R9/R12: a rebuild from zero gives the same read models as the live ones', async () => {
    const db = new Database(':memory:');
    const runner = new ProjectionRunner(h.store, db, [new HoldingsProjection(book), new OutboxProjection()]);
    runner.start();
    await untilCaughtUp(runner, h.store);
    await runner.stop();
    expect(rows(live, HOLDINGS).length).toBeGreaterThan(10);
    expect(rows(db, HOLDINGS)).toEqual(rows(live, HOLDINGS));
    expect(rows(db, PROFILES)).toEqual(rows(live, PROFILES));
    expect(rows(db, OUTBOX)).toEqual(rows(live, OUTBOX));
  });

  // With room for one changed row, every page is written and its rows come back from the database when touched again.
  it.each([
    ['written once at the end', 100_000],
    ['written every page and read back', 1],
  ])('R9/R12: a rebuild from zero on two threads (into a file), %s, gives the same rows as the plain one', async (_, cacheRows) => {
    const file = join(h.dataDir, `pipelined-${cacheRows}.db`);
    const piped = configureReadDb(new Database(file));
    const plain = new Database(':memory:');
    const logged: string[] = [];
    const a = new ProjectionRunner(h.store, piped, [new HoldingsProjection(book)], {
      batchSize: 11,
      rebuildCacheRows: cacheRows,
      log: (message) => logged.push(message),
    });
    const b = new ProjectionRunner(h.store, plain, [new HoldingsProjection(book)], { batchSize: 11 });
    a.start();
    b.start();
    await untilCaughtUp(a, h.store);
    await untilCaughtUp(b, h.store);
    const indexes = (db: Database.Database): unknown[] =>
      db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rm_holdings' ORDER BY name").all();
    // Reaching the head is not the end of the rebuild: when the log's last page is full, one more (empty) read ends it
    // and builds the indexes. Stopping before that leaves them to the next start's setup, so wait for them.
    await eventually('the rebuild built its secondary indexes', () => (indexes(piped).length === 3 ? true : undefined));
    await a.stop();
    await b.stop();
    expect(rows(piped, HOLDINGS).length).toBeGreaterThan(10);
    expect(rows(piped, HOLDINGS)).toEqual(rows(plain, HOLDINGS));
    expect(rows(piped, PROFILES)).toEqual(rows(plain, PROFILES));
    expect(a.checkpoint('holdings')).toBe(await h.store.headPosition());
    // Secondary indexes, left out while rows were written, are there at the end.
    expect(indexes(piped)).toHaveLength(3);
    expect(indexes(piped)).toEqual(indexes(plain));
    // The worker did the writing: no fallback to the one-thread path was needed.
    expect(logged).toEqual([]);
    piped.close();
  });

  it('R9/R12: a rebuild on two threads stopped half-way goes on from its checkpoint to the same rows, indexes included', async () => {
    const file = join(h.dataDir, 'interrupted.db');
    const head = await h.store.headPosition();
    const firstDb = configureReadDb(new Database(file));
    const first = new ProjectionRunner(h.store, firstDb, [new HoldingsProjection(book)], {
      batchSize: 5,
      rebuildCacheRows: 1,
    });
    first.start();
    expect(await first.waitFor(1, 60_000)).toBe(true);
    await first.stop();
    const stoppedAt = first.checkpoint('holdings');
    firstDb.close();
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(head);

    const db = configureReadDb(new Database(file));
    const second = new ProjectionRunner(h.store, db, [new HoldingsProjection(book)]);
    second.start();
    await untilCaughtUp(second, h.store);
    await second.stop();
    expect(rows(db, HOLDINGS)).toEqual(rows(live, HOLDINGS));
    expect(rows(db, PROFILES)).toEqual(rows(live, PROFILES));
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rm_holdings'").get()).toEqual({ n: 3 });
    db.close();
  });

  it('R4/R9: a crash between the read-model writes and the checkpoint loses nothing and applies nothing twice', async () => {
    // Small pages so the log spans many batches; the fault fires inside the third batch's transaction.
    const store = new SqliteEventStore({ file: join(h.dataDir, 'events.db'), batchSize: 7, pollIntervalMs: 10 });
    const db = new Database(':memory:');
    let batches = 0;
    let faults = 0;
    const counting = new CountingProjection();
    const runner = new ProjectionRunner(store, db, [counting, new HoldingsProjection()], {
      batchSize: 7,
      retryDelayMs: 10,
      beforeCheckpoint: (name) => {
        if (name !== 'counting') return;
        batches += 1;
        if (batches === 3) {
          faults += 1;
          throw new Error('injected crash before the checkpoint');
        }
      },
    });
    runner.start();
    await untilCaughtUp(runner, store);
    await runner.stop();
    expect(faults).toBe(1);
    const log = await store.readAll({ maxCount: 100_000, filter: { eventTypes: counting.eventTypes } });
    const expected = new Map<string, number>();
    for (const event of log) expected.set(event.type, (expected.get(event.type) ?? 0) + 1);
    const counted = new Map((db.prepare('SELECT type, n FROM counted').all() as { type: string; n: number }[]).map((r) => [r.type, r.n]));
    expect(counted).toEqual(expected);
    expect(rows(db, HOLDINGS)).toEqual(rows(live, HOLDINGS));
    await store.close();
  });

  it('a projection that keeps failing reports its error and lag while the others carry on', async () => {
    const db = new Database(':memory:');
    const broken: Projection = {
      ...new CountingProjection(),
      name: 'broken',
      setup: () => undefined,
      reset: () => undefined,
      apply: () => {
        throw new Error('poison');
      },
    };
    const runner = new ProjectionRunner(h.store, db, [broken, new HoldingsProjection()], { retryDelayMs: 5 });
    runner.start();
    expect(await runner.waitFor(await h.store.headPosition(), 60_000, ['holdings'])).toBe(true);
    const status = await runner.status();
    await runner.stop();
    expect(status.find((s) => s.name === 'broken')).toMatchObject({ checkpoint: 0, lastError: 'poison' });
    expect(status.find((s) => s.name === 'holdings')).toMatchObject({ lag: 0, lastError: null });
  });

  it('R5/R8: the holdings projection applied twice gives the same rows as applied once (replay-safe)', async () => {
    const events = await h.store.readAll({ maxCount: 100_000 });
    const once = new Database(':memory:');
    const twice = new Database(':memory:');
    const a = new HoldingsProjection();
    const b = new HoldingsProjection();
    a.setup(once);
    b.setup(twice);
    for (const event of events) {
      if (!a.eventTypes.includes(event.type)) continue;
      a.apply(once, event);
      b.apply(twice, event);
      b.apply(twice, event);
    }
    expect(rows(twice, HOLDINGS)).toEqual(rows(once, HOLDINGS));
    expect(rows(twice, PROFILES)).toEqual(rows(once, PROFILES));
    // And a whole second pass over the log changes nothing either.
    for (const event of events) if (b.eventTypes.includes(event.type)) b.apply(twice, event);
    expect(rows(twice, HOLDINGS)).toEqual(rows(once, HOLDINGS));
    expect(rows(twice, PROFILES)).toEqual(rows(once, PROFILES));
    // Nor does a stream's first event again, out of turn: a profile created anew would lose its link.
    const firsts = events.filter((event) => event.revision === 0 && b.eventTypes.includes(event.type));
    expect(firsts.some((event) => event.type === 'CertificationProfileCreated')).toBe(true);
    for (const event of firsts) b.apply(twice, event);
    expect(rows(twice, PROFILES)).toEqual(rows(once, PROFILES));
  });

  it('a new projection version rebuilds from zero on start', async () => {
    const db = new Database(':memory:');
    const v1 = new ProjectionRunner(h.store, db, [new CountingProjection()]);
    v1.start();
    await untilCaughtUp(v1, h.store);
    await v1.stop();
    const before = db.prepare('SELECT sum(n) AS n FROM counted').get() as { n: number };
    // Spoil v1's rows: only a rebuild from zero brings the right counts back.
    db.exec('UPDATE counted SET n = 999');
    const v2projection = Object.assign(new CountingProjection(), { version: 2 });
    const v2 = new ProjectionRunner(h.store, db, [v2projection]);
    v2.start();
    await untilCaughtUp(v2, h.store);
    await v2.stop();
    expect(db.prepare('SELECT sum(n) AS n FROM counted').get()).toEqual(before);
    expect(db.prepare("SELECT version FROM projection_checkpoints WHERE name = 'counting'").get()).toEqual({ version: 2 });
  });
});
