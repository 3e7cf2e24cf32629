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
  let writing = false;
  let writer: Promise<void> = Promise.resolve();
  let written = 0;
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
  }, 60_000);

  afterAll(async () => {
    writing = false;
    await writer.catch(() => undefined);
    await killAll(children);
    for (const db of readDbs) db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** Appends one event every few milliseconds, to streams of its own, until told to stop. */
  const startWriting = (prefix: string): void => {
    writing = true;
    writer = (async () => {
      for (let n = 0; writing; n += 1) {
        await store.append(`${prefix}-${n % 7}`, [seen(1_000_000 + written)], {
          expectedRevision: n < 7 ? 'no_stream' : Math.floor(n / 7) - 1,
        });
        written += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
  };
  const stopWriting = async (): Promise<void> => {
    writing = false;
    await writer;
  };

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
    const head = await store.headPosition();
    const rebuilt = new Database(':memory:');
    const runner = new ProjectionRunner(store, rebuilt, [new StreamCountsProjection()], { pipelinedRebuild: false });
    runner.start();
    expect(await runner.waitFor(head, 60_000)).toBe(true);
    await runner.stop();
    const rows = (db: Database.Database): unknown[] => db.prepare('SELECT * FROM rm_stream_counts ORDER BY stream').all();
    expect(rows(rebuilt).length).toBeGreaterThan(100);
    expect(rows(readDb)).toEqual(rows(rebuilt));
    const sum = (db: Database.Database): number | undefined =>
      db.prepare<[], { n: number }>('SELECT sum(n) AS n FROM rm_stream_counts').get()?.n;
    expect(sum(readDb)).toBe(3600 + written);
    rebuilt.close();
  };

  it('R93 SIGKILL of the projector mid-rebuild and of its successor while following, under writes: a survivor continues, rows equal a rebuild', async () => {
    const { readDb, lease, checkpoint, ownedBy, projector } = scenario('killed');
    startWriting('live-killed');
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
    const from = written;
    await eventually('writes while B follows', () => (written > from + 5 ? true : undefined));
    b.child.kill('SIGKILL');
    await b.exited;
    await eventually('C to take over from the killed B', () => (ownedBy(c) ? true : undefined));
    expect(lease()?.token).toBeGreaterThan(tokenOfB);

    await stopWriting();
    const head = await store.headPosition();
    await eventually('C to reach the head', () => (checkpoint() >= head ? true : undefined));
    await expectSameAsRebuild(readDb);
  }, 180_000);

  it('R92 a projector paused mid-rebuild (SIGSTOP) loses its lease; resumed, its writes are refused and it stands down', async () => {
    const { readDb, lease, checkpoint, ownedBy, projector } = scenario('paused');
    startWriting('live-paused');
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

    await stopWriting();
    const head = await store.headPosition();
    await eventually('B to reach the head', () => (checkpoint() >= head ? true : undefined));
    await expectSameAsRebuild(readDb);
  }, 180_000);
});

/**
 * #23.1/#23.2 on PostgreSQL: the read model in the read store's PostgreSQL schema, projected by
 * `StoreProjectionRunner` in each process: SIGKILL mid-rebuild and while following, under writes; the rows end equal
 * to a rebuild of the log on `read.db`. (A paused projector on PostgreSQL: see docs/READ-STORE-STATUS.md.)
 */
describeWithPostgres('one projector per read model across processes, read store on PostgreSQL (#23.2)', () => {
  const schema = uniqueName('recert_read');
  const url = `${PG_TEST_URL}?readStoreSchema=${schema}`;
  let dir: string;
  let store: SqliteEventStore;
  let readStore: PostgresReadStore;
  const children: Projector[] = [];
  let writing = false;
  let writer: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-failover-pg-'));
    store = new SqliteEventStore({ file: join(dir, 'events.db'), synchronous: 'NORMAL', pollIntervalMs: 10 });
    readStore = await PostgresReadStore.open(url);
  }, 60_000);

  afterAll(async () => {
    writing = false;
    await writer.catch(() => undefined);
    await killAll(children);
    await readStore.close();
    await store.close();
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('R93 SIGKILL mid-rebuild and while following, under writes: a survivor continues, rows equal a rebuild', async () => {
    for (let batch = 0; batch < 60; batch += 1)
      await store.append(
        `seen-${batch}`,
        Array.from({ length: 30 }, (_, i) => seen(batch * 30 + i)),
        { expectedRevision: 'no_stream' },
      );
    const seededHead = await store.headPosition();
    let written = 0;
    writing = true;
    writer = (async () => {
      for (let n = 0; writing; n += 1) {
        await store.append(`live-${n % 7}`, [seen(1_000_000 + n)], { expectedRevision: n < 7 ? 'no_stream' : Math.floor(n / 7) - 1 });
        written += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const projector = (env: Record<string, string> = {}): Projector => {
      const started = startProjector({ EVENTS_FILE: join(dir, 'events.db'), READ_STORE_URL: url, LEASE_MS: String(LEASE_MS), ...env });
      children.push(started);
      return started;
    };
    const lease = () => readStore.lease(NAME);
    const checkpoint = async (): Promise<number> => (await readStore.checkpoint(NAME))?.position ?? 0;
    const ownedBy = async (p: Projector): Promise<true | undefined> =>
      (await lease())?.owner.startsWith(`${hostname()}:${p.child.pid}:`) ? true : undefined;

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
    const from = written;
    await eventually('writes while B follows', () => (written > from + 5 ? true : undefined));
    b.child.kill('SIGKILL');
    await b.exited;
    await eventually('C to take over from the killed B', () => ownedBy(c));
    expect((await lease())?.token).toBeGreaterThan(tokenOfB);

    writing = false;
    await writer;
    const head = await store.headPosition();
    await eventually('C to reach the head', async () => ((await checkpoint()) >= head ? true : undefined));

    const rebuilt = new Database(':memory:');
    const runner = new ProjectionRunner(store, rebuilt, [new StreamCountsProjection()], { pipelinedRebuild: false });
    runner.start();
    expect(await runner.waitFor(head, 60_000)).toBe(true);
    await runner.stop();
    type Counts = { stream: string; n: number; total: number; last_position: number };
    const sorted = (rows: Counts[]): Counts[] =>
      rows
        .map((r) => ({ stream: r.stream, n: Number(r.n), total: Number(r.total), last_position: Number(r.last_position) }))
        .sort((x, y) => (x.stream < y.stream ? -1 : 1));
    const expected = sorted(rebuilt.prepare('SELECT * FROM rm_stream_counts').all() as Counts[]);
    expect(expected.reduce((sum, r) => sum + r.n, 0)).toBe(1800 + written);
    expect(sorted(await readStore.query<Counts>('SELECT * FROM rm_stream_counts'))).toEqual(expected);
    rebuilt.close();
  }, 180_000);
});
