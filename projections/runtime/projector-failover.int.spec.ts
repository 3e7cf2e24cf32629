import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NewEvent, SqliteEventStore } from '@recert/eventstore';
import { spawnTypeScript } from '../../test/support/processes';
import { StreamCountsProjection } from '../../test/support/stream-counts.projection';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from '../../test/support/postgres';
import { eventually } from '../../test/support/wait';
import { PostgresReadStore } from './postgres-read-store';
import { configureReadDb } from './read-db';
import { SQLITE_COORDINATION } from './read-store';
import { ProjectionRunner } from './projection-runner';

const NAME = 'stream-counts';
// Long enough that no healthy projector's lease lapses on a busy machine; the take-overs by expiry wait it out.
const LEASE_MS = 5000;

const seen = (n: number): NewEvent => ({
  id: randomUUID(),
  type: 'Seen',
  data: { n },
  metadata: { correlationId: 'c', causationId: 'c', actor: 'spec', occurredAt: '2026-01-01T00:00:00.000Z' },
});

interface Projector {
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

/** Ends every projector still running (paused ones too). */
async function killAll(children: readonly Projector[]): Promise<void> {
  for (const projector of children) {
    if (projector.child.exitCode !== null || projector.child.signalCode !== null) continue;
    projector.child.kill('SIGCONT');
    projector.child.kill('SIGKILL');
    await projector.exited;
  }
}

function startProjector(env: Record<string, string>): Projector {
  return spawnTypeScript(join('test', 'support', 'projector-process.ts'), env);
}

/** Appends one event every few milliseconds, to streams of its own, until stopped; `written` counts them. */
class LiveWriter {
  written = 0;
  private writing = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly store: SqliteEventStore) {}

  start(prefix: string): void {
    this.writing = true;
    this.loop = (async () => {
      for (let n = 0; this.writing; n += 1) {
        await this.store.append(`${prefix}-${n % 7}`, [seen(1_000_000 + this.written)], {
          expectedRevision: n < 7 ? 'no_stream' : Math.floor(n / 7) - 1,
        });
        this.written += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
  }

  async stop(): Promise<void> {
    this.writing = false;
    await this.loop;
  }
}

type Counts = { stream: string; n: number; total: number; last_position: number };

/** Rows as numbers (PostgreSQL's BIGINTs may come as strings), by stream. */
const sortedCounts = (rows: readonly Counts[]): Counts[] =>
  rows
    .map((r) => ({ stream: r.stream, n: Number(r.n), total: Number(r.total), last_position: Number(r.last_position) }))
    .sort((x, y) => (x.stream < y.stream ? -1 : 1));

/**
 * The model rebuilt from zero on `read.db` over the whole log, once nothing more is written; every shared copy must
 * end equal to it (an event applied twice or skipped shows). Checks it counts every event: `seeded` plus `written`.
 */
async function rebuiltCounts(store: SqliteEventStore, events: number): Promise<Counts[]> {
  const head = await store.headPosition();
  const rebuilt = new Database(':memory:');
  try {
    const runner = new ProjectionRunner(store, rebuilt, [new StreamCountsProjection()], { pipelinedRebuild: false });
    runner.start();
    expect(await runner.waitFor(head, 60_000)).toBe(true);
    await runner.stop();
    const rows = sortedCounts(rebuilt.prepare<[], Counts>('SELECT * FROM rm_stream_counts').all());
    expect(rows.length).toBeGreaterThan(60); // the seeded streams (60 or 100) and the live ones
    expect(rows.reduce((sum, r) => sum + r.n, 0)).toBe(events);
    return rows;
  } finally {
    rebuilt.close();
  }
}

/**
 * #23.2: of several processes sharing the read models, one projects each model under a lease (database clock,
 * fencing token). Real processes, real signals: SIGKILL mid-rebuild, SIGSTOP (a paused projector) and SIGKILL while
 * following, all under writes; the end state must equal a rebuild from zero (no event applied twice or skipped).
 */
describe('one projector per read model across processes (#23.2)', () => {
  let dir: string;
  let store: SqliteEventStore;
  const children: Projector[] = [];
  const readDbs: Database.Database[] = [];
  let live: LiveWriter;
  let seededHead = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-failover-'));
    store = new SqliteEventStore({ file: join(dir, 'events.db'), synchronous: 'NORMAL', pollIntervalMs: 10 });
    // A log of 3,600 events over 100 streams (the first 20 get 60 events, the others 30).
    for (let batch = 0; batch < 120; batch += 1) {
      const revision = batch < 100 ? 'no_stream' : 29;
      await store.append(
        `seen-${batch % 100}`,
        Array.from({ length: 30 }, (_, i) => seen(batch * 30 + i)),
        { expectedRevision: revision },
      );
    }
    seededHead = await store.headPosition();
    live = new LiveWriter(store);
  }, 60_000);

  afterAll(async () => {
    await live.stop().catch(() => undefined);
    await killAll(children);
    for (const db of readDbs) db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** A read.db of its own for one scenario, and probes of its lease and checkpoint. */
  const scenario = (name: string) => {
    const file = join(dir, `${name}.db`);
    const readDb = configureReadDb(new Database(file));
    readDb.exec(SQLITE_COORDINATION);
    readDbs.push(readDb);
    const lease = (): { owner: string; token: number } | undefined =>
      readDb.prepare<[string], { owner: string; token: number }>('SELECT owner, token FROM projector_leases WHERE name = ?').get(NAME);
    return {
      readDb,
      lease,
      checkpoint: (): number =>
        readDb.prepare<[string], { position: number }>('SELECT position FROM projection_checkpoints WHERE name = ?').get(NAME)?.position ??
        0,
      ownedBy: (projector: Projector): boolean => lease()?.owner.startsWith(`${hostname()}:${projector.child.pid}:`) ?? false,
      projector: (env: Record<string, string> = {}): Projector => {
        const started = startProjector({ EVENTS_FILE: join(dir, 'events.db'), READ_DB: file, LEASE_MS: String(LEASE_MS), ...env });
        children.push(started);
        return started;
      },
    };
  };

  /** The shared read model against a rebuild from zero of the same log: an event applied twice or skipped shows. */
  const expectSameAsRebuild = async (readDb: Database.Database): Promise<void> => {
    const expected = await rebuiltCounts(store, 3600 + live.written);
    expect(sortedCounts(readDb.prepare<[], Counts>('SELECT * FROM rm_stream_counts').all())).toEqual(expected);
  };

  it('R93 SIGKILL of the projector mid-rebuild and of its successor while following, under writes: a survivor continues, rows equal a rebuild', async () => {
    const { readDb, lease, checkpoint, ownedBy, projector } = scenario('killed');
    live.start('live-killed');
    // A, of "another host" (its lease can only run out), rebuilds slowly; B waits.
    const a = projector({ OWNER: `elsewhere:${process.pid}:a`, READ_DELAY_MS: '40' });
    await eventually('A to hold the lease', () => (lease()?.owner === `elsewhere:${process.pid}:a` ? true : undefined));
    const b = projector();
    await eventually('A to write a first flush', () => (checkpoint() > 0 ? true : undefined));
    a.child.kill('SIGKILL');
    await a.exited;
    expect(checkpoint()).toBeLessThan(seededHead); // half-way through the rebuild
    // Tokens compared, not counted: on a busy machine a lease may lapse and be taken again, each take a larger token.
    const tokenOfA = lease()?.token ?? Infinity;

    // B takes over once A's lease has run out on the database's clock, and goes on from A's last checkpoint.
    await eventually('B to take over', () => (ownedBy(b) ? true : undefined));
    const tokenOfB = lease()?.token ?? -Infinity;
    expect(tokenOfB).toBeGreaterThan(tokenOfA);
    await eventually('B to pass the seeded log', () => (checkpoint() >= seededHead ? true : undefined));

    // B SIGKILLed while following: C, of this machine, sees B gone and takes over at once.
    const c = projector();
    const from = live.written;
    await eventually('writes while B follows', () => (live.written > from + 5 ? true : undefined));
    b.child.kill('SIGKILL');
    await b.exited;
    await eventually('C to take over from the killed B', () => (ownedBy(c) ? true : undefined));
    expect(lease()?.token).toBeGreaterThan(tokenOfB);

    await live.stop();
    const head = await store.headPosition();
    await eventually('C to reach the head', () => (checkpoint() >= head ? true : undefined));
    await expectSameAsRebuild(readDb);
  }, 180_000);

  it('R92 a projector paused mid-rebuild (SIGSTOP) loses its lease; resumed, its writes are refused and it stands down', async () => {
    const { readDb, lease, checkpoint, ownedBy, projector } = scenario('paused');
    live.start('live-paused');
    const a = projector({ OWNER: `elsewhere:${process.pid}:a`, READ_DELAY_MS: '40' });
    await eventually('A to hold the lease', () => (lease()?.owner === `elsewhere:${process.pid}:a` ? true : undefined));
    await eventually('A to write a first flush', () => (checkpoint() > 0 ? true : undefined));
    a.child.kill('SIGSTOP');
    const tokenOfPaused = lease()?.token ?? Infinity;
    const pausedAt = checkpoint();
    expect(pausedAt).toBeLessThan(seededHead);

    const b = projector();
    await eventually('B to take over from the paused A', () => (ownedBy(b) ? true : undefined));
    expect(lease()?.token).toBeGreaterThan(tokenOfPaused);
    await eventually('B to pass the seeded log', () => (checkpoint() >= seededHead ? true : undefined));

    // A resumes with rows folded before its pause: every write it tries is refused by the fence.
    a.child.kill('SIGCONT');
    await eventually('A to stand down', () => (a.output().includes('projector lease lost') ? true : undefined));
    expect(ownedBy(b)).toBe(true);

    await live.stop();
    const head = await store.headPosition();
    await eventually('B to reach the head', () => (checkpoint() >= head ? true : undefined));
    await expectSameAsRebuild(readDb);
  }, 180_000);
});

/**
 * #23.1/#23.2 on PostgreSQL: the read model in the read store's PostgreSQL schema (one per scenario), projected by
 * `StoreProjectionRunner` in each process: SIGKILL mid-rebuild and while following, and SIGSTOP mid-rebuild then
 * SIGCONT once another took over, under writes; the rows end equal to a rebuild of the log on `read.db`. The children
 * open the store with the idle-in-transaction deadline at the lease's time, so a paused unit's session is ended by the
 * server; resumed, the projector must find that out at once and stand down (R170), not wait on the dead connection.
 */
describeWithPostgres('one projector per read model across processes, read store on PostgreSQL (#23.2)', () => {
  let dir: string;
  let store: SqliteEventStore;
  let live: LiveWriter;
  let seededHead = 0;
  const children: Projector[] = [];
  const readStores: PostgresReadStore[] = [];
  const schemas: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-failover-pg-'));
    store = new SqliteEventStore({ file: join(dir, 'events.db'), synchronous: 'NORMAL', pollIntervalMs: 10 });
    // A log of 1,800 events over 60 streams, shared by the scenarios (each has its own read-store schema).
    for (let batch = 0; batch < 60; batch += 1)
      await store.append(
        `seen-${batch}`,
        Array.from({ length: 30 }, (_, i) => seen(batch * 30 + i)),
        { expectedRevision: 'no_stream' },
      );
    seededHead = await store.headPosition();
    live = new LiveWriter(store);
  }, 60_000);

  afterAll(async () => {
    await live.stop().catch(() => undefined);
    await killAll(children);
    for (const readStore of readStores) await readStore.close();
    await store.close();
    for (const schema of schemas) await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** A read-store schema of its own for one scenario, probes of its lease and checkpoint, and its projectors. */
  const scenario = async () => {
    const schema = uniqueName('recert_read');
    schemas.push(schema);
    const url = `${PG_TEST_URL}?readStoreSchema=${schema}`;
    const readStore = await PostgresReadStore.open(url);
    readStores.push(readStore);
    const lease = () => readStore.lease(NAME);
    return {
      lease,
      checkpoint: async (): Promise<number> => (await readStore.checkpoint(NAME))?.position ?? 0,
      ownedBy: async (p: Projector): Promise<true | undefined> =>
        (await lease())?.owner.startsWith(`${hostname()}:${p.child.pid}:`) ? true : undefined,
      projector: (env: Record<string, string> = {}): Projector => {
        const started = startProjector({ EVENTS_FILE: join(dir, 'events.db'), READ_STORE_URL: url, LEASE_MS: String(LEASE_MS), ...env });
        children.push(started);
        return started;
      },
      expectSameAsRebuild: async (): Promise<void> => {
        const expected = await rebuiltCounts(store, 1800 + live.written);
        expect(sortedCounts(await readStore.query<Counts>('SELECT * FROM rm_stream_counts'))).toEqual(expected);
      },
    };
  };

  it('R93 SIGKILL mid-rebuild and while following, under writes: a survivor continues, rows equal a rebuild', async () => {
    const { lease, checkpoint, ownedBy, projector, expectSameAsRebuild } = await scenario();
    live.start('live-killed');
    const a = projector({ OWNER: `elsewhere:${process.pid}:a`, READ_DELAY_MS: '40' });
    await eventually('A to hold the lease', async () => ((await lease())?.owner === `elsewhere:${process.pid}:a` ? true : undefined));
    const b = projector();
    await eventually('A to commit a first page', async () => ((await checkpoint()) > 0 ? true : undefined));
    a.child.kill('SIGKILL');
    await a.exited;
    expect(await checkpoint()).toBeLessThan(seededHead);
    const tokenOfA = (await lease())?.token ?? Infinity;
    await eventually('B to take over', () => ownedBy(b));
    const tokenOfB = (await lease())?.token ?? -Infinity;
    expect(tokenOfB).toBeGreaterThan(tokenOfA);
    await eventually('B to pass the seeded log', async () => ((await checkpoint()) >= seededHead ? true : undefined));

    // B SIGKILLed while following: C, of this machine, sees B gone and takes over at once.
    const c = projector();
    const from = live.written;
    await eventually('writes while B follows', () => (live.written > from + 5 ? true : undefined));
    b.child.kill('SIGKILL');
    await b.exited;
    await eventually('C to take over from the killed B', () => ownedBy(c));
    expect((await lease())?.token).toBeGreaterThan(tokenOfB);

    await live.stop();
    const head = await store.headPosition();
    await eventually('C to reach the head', async () => ((await checkpoint()) >= head ? true : undefined));
    await expectSameAsRebuild();
  }, 180_000);

  it('R92 R170 on PostgreSQL: a projector paused mid-rebuild (SIGSTOP) loses its lease; resumed, its late unit does not commit and it says it lost the lease', async () => {
    const { lease, checkpoint, ownedBy, projector, expectSameAsRebuild } = await scenario();
    live.start('live-paused');
    const a = projector({ OWNER: `elsewhere:${process.pid}:a`, READ_DELAY_MS: '40' });
    await eventually('A to hold the lease', async () => ((await lease())?.owner === `elsewhere:${process.pid}:a` ? true : undefined));
    await eventually('A to commit a first page', async () => ((await checkpoint()) > 0 ? true : undefined));
    a.child.kill('SIGSTOP');
    const tokenOfPaused = (await lease())?.token ?? Infinity;
    expect(await checkpoint()).toBeLessThan(seededHead);

    // B takes over once the paused A's lease has run out on the database's clock.
    const b = projector();
    await eventually('B to take over from the paused A', () => ownedBy(b));
    expect((await lease())?.token).toBeGreaterThan(tokenOfPaused);
    await eventually('B to pass the seeded log', async () => ((await checkpoint()) >= seededHead ? true : undefined));

    // A resumes inside its unit (its session ended by the server meanwhile) or between units: the unit is refused or
    // fails at once, and A says it lost the lease and stands by, rather than waiting on its dead connection (R170).
    a.child.kill('SIGCONT');
    await eventually('A to stand down', () => (a.output().includes(`${NAME}: projector lease lost (token `) ? true : undefined));
    expect(await ownedBy(b)).toBe(true);

    await live.stop();
    const head = await store.headPosition();
    await eventually('B to reach the head', async () => ((await checkpoint()) >= head ? true : undefined));
    expect(await ownedBy(b)).toBe(true); // A stood by: it took nothing back
    // Nothing of A's after B took over: an event applied twice shows here.
    await expectSameAsRebuild();
  }, 180_000);
});
