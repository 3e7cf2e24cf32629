import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent, RecordedEvent } from '@recert/eventstore';
import { SqliteEventStore } from '@recert/eventstore';
import { ProjectorFollower } from './projector-follower';
import { configureReadDb } from './read-db';
import { ReadTx, SqliteReadStore } from './read-store';
import { PostgresReadStore } from './postgres-read-store';
import type { StoreProjection } from './projection';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from '../../test/support/postgres';
import { eventually } from '../../test/support/wait';
import { createRowTableSql, named, Row, RowProjection, RowTable, selectRowSql, upsertSql, writeRows } from './rows';
import { column, defineKeyedTable } from './table-definition';
import { StoreProjectionRunner } from './store-projection-runner';

const SEEN = defineKeyedTable('rm_seen_rows', 'stream', { columns: { stream: column.text(), n: column.integer(), at: column.bigint() } });
const TABLE: RowTable = named(SEEN, 'rm_seen_rows');

/** Specs only: per stream, the last `n` seen and its position. */
class SeenRows implements RowProjection {
  readonly name = 'seen-rows';
  readonly version = 1;
  readonly eventTypes = ['Seen'];
  readonly tables = [TABLE];
  setup(db: Database.Database): void {
    db.exec(createRowTableSql(TABLE, 'sqlite'));
  }
  reset(db: Database.Database): void {
    db.exec(`DROP TABLE IF EXISTS ${TABLE.name}`);
  }
  fold(events: readonly RecordedEvent[]): Map<string, Map<string, Row>> {
    return new Map([[TABLE.name, new Map(events.map((e) => [e.stream, { stream: e.stream, n: Number(e.data['n']), at: e.position }]))]]);
  }
  apply(db: Database.Database, event: RecordedEvent): void {
    db.prepare(selectRowSql(TABLE)).get(event.stream);
    writeRows(this.fold([event]), () => db.prepare(upsertSql(TABLE)));
  }
}

const seen = (type: string, n: number): NewEvent => ({
  id: randomUUID(),
  type,
  data: { n },
  metadata: { correlationId: 'c', causationId: 'c', actor: 'spec', occurredAt: '2026-01-01T00:00:00.000Z' },
});

/** #23.1, #24.2 (R138, R139, R171): the runner over the read-store port, as the holdings model, health and `consistentWith` use it. */
describe('StoreProjectionRunner: status, waitFor, remove, rewound log, follower, renewal (R138, R139, R171)', () => {
  let dir: string;
  let file: string;
  let store: SqliteEventStore;
  let db: Database.Database;
  let readStore: SqliteReadStore;
  const running: { stop(): Promise<void> }[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-store-runner-'));
    file = join(dir, 'events.db');
    store = new SqliteEventStore({ file, pollIntervalMs: 10 });
    db = configureReadDb(new Database(join(dir, 'read.db')));
    readStore = new SqliteReadStore(db);
    for (let n = 0; n < 9; n += 1)
      await store.append(`s-${n}`, [seen(n % 3 === 2 ? 'Other' : 'Seen', n)], { expectedRevision: 'no_stream' });
  });

  afterEach(async () => {
    for (const runner of running.splice(0)) await runner.stop();
    await store.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const runner = (options: { owner?: string; rewoundLog?: 'rebuild' | 'stop'; logs?: string[] } = {}): StoreProjectionRunner => {
    const started = new StoreProjectionRunner(store, readStore, [new SeenRows()], {
      owner: options.owner ?? 'host:1:a',
      leaseMs: 60_000,
      pollMs: 10,
      rewoundLog: options.rewoundLog,
      log: (message) => options.logs?.push(message),
    });
    started.start();
    running.push(started);
    return started;
  };
  const rows = (): unknown[] => db.prepare(`SELECT stream, n FROM ${TABLE.name} ORDER BY stream`).all();

  it("R139 status gives each model's checkpoint and lag to the head; waitFor by name; a follower answers from the shared checkpoints", async () => {
    const follower = new ProjectorFollower(store, readStore, [new SeenRows()]);
    const [before] = await follower.status();
    expect(before).toMatchObject({ name: 'seen-rows', checkpoint: 0, head: 9, lag: 9, caughtUp: false });
    expect(await follower.waitFor(9, 50)).toBe(false);
    const a = runner();
    expect(await a.waitFor(9, 10_000, ['seen-rows'])).toBe(true);
    expect(await follower.waitFor(9, 10_000)).toBe(true);
    expect(await a.status()).toEqual([
      expect.objectContaining({ checkpoint: 9, lag: 0, lagCapped: false, caughtUp: true, lastError: null }),
    ]);
    // Another runner standing by (the lease is held) waits on the same checkpoint.
    const b = runner({ owner: 'host:1:b' });
    await store.append('s-9', [seen('Seen', 9)], { expectedRevision: 'no_stream' });
    expect(await b.waitFor(10, 10_000)).toBe(true);
    expect(rows()).toHaveLength(7);
  });

  it('R171 a projector whose units keep coming (writes without pause) still renews its lease', async () => {
    const a = new StoreProjectionRunner(store, readStore, [new SeenRows()], { owner: 'host:1:a', leaseMs: 1500, pollMs: 10 });
    a.start();
    running.push(a);
    expect(await a.waitFor(9, 10_000)).toBe(true);
    const first = await readStore.lease('seen-rows');
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing; n += 1) {
        await store.append('live', [seen('Seen', n)], { expectedRevision: n === 0 ? 'no_stream' : n - 1 });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      // A unit per look at the log: a commit used to put the renewal off, so under steady writes it never came.
      await eventually('the lease renewed under steady writes', async () => {
        const now = await readStore.lease('seen-rows');
        return now && first && now.token === first.token && now.expiresAt > first.expiresAt ? true : undefined;
      });
      expect(await a.checkpoint('seen-rows')).toBeGreaterThan(9);
    } finally {
      writing = false;
      await writer;
    }
  }, 90_000);

  it('R139 remove stops the model and drops its tables, checkpoint and lease', async () => {
    const a = runner();
    expect(await a.waitFor(9, 10_000)).toBe(true);
    await a.remove('seen-rows');
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'rm_seen_rows'").all()).toEqual([]);
    expect(await readStore.checkpoint('seen-rows')).toBeUndefined();
    expect(await readStore.lease('seen-rows')).toBeUndefined();
    expect(await a.status()).toEqual([]);
  });

  it('R138 a checkpoint the log no longer holds (restored to an earlier point, then written again) is rebuilt, never resumed', async () => {
    const logs: string[] = [];
    const a = runner({ logs });
    expect(await a.waitFor(9, 10_000)).toBe(true);
    await a.stop();
    const raw = new Database(file);
    raw.prepare('DELETE FROM events WHERE position > 4').run();
    raw.close();
    for (let n = 5; n < 12; n += 1) await store.append(`t-${n}`, [seen('Seen', 100 + n)], { expectedRevision: 'no_stream' });
    const again = runner({ logs });
    expect(await again.waitFor(11, 10_000)).toBe(true);
    expect(logs.join('\n')).toMatch(/seen-rows: rewound log: position 9 names event .*; rebuilding from zero/);
    const expected = [
      { stream: 's-0', n: 0 },
      { stream: 's-1', n: 1 },
      { stream: 's-3', n: 3 },
      ...[5, 6, 7, 8, 9, 10, 11].map((n) => ({ stream: `t-${n}`, n: 100 + n })),
    ].sort((x, y) => (x.stream < y.stream ? -1 : 1));
    expect(rows()).toEqual(expected);
  });

  it('R138 with REWOUND_LOG=stop the model stops, says why, and proves nothing to a waiter', async () => {
    const a = runner();
    expect(await a.waitFor(9, 10_000)).toBe(true);
    await a.stop();
    const raw = new Database(file);
    raw.prepare('DELETE FROM events WHERE position > 3').run();
    raw.close();
    const stopped = runner({ rewoundLog: 'stop' });
    let status = (await stopped.status())[0];
    for (let i = 0; i < 500 && !status?.lastError; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      status = (await stopped.status())[0];
    }
    expect(status).toMatchObject({ caughtUp: false, lastError: expect.stringMatching(/^rewound log: position 9 beyond the head 3/) });
    expect(await stopped.waitFor(1, 50)).toBe(false);
  });
});

/** Specs only: records the positions of each page it is given, in a table of its own. */
class RecordedPages implements StoreProjection {
  readonly name = 'recorded-pages';
  readonly version = 1;
  readonly eventTypes = ['Seen'];
  readonly pages: number[][] = [];
  /** While set, a unit of work waits for it (inside its transaction, or before it with `prepare`). */
  gate?: Promise<void>;
  entered = 0;

  constructor(private readonly prepare = false) {}

  async setup(tx: ReadTx): Promise<void> {
    await tx.run('CREATE TABLE IF NOT EXISTS rm_recorded_pages (position BIGINT PRIMARY KEY)');
  }
  async reset(tx: ReadTx): Promise<void> {
    await tx.run('DROP TABLE IF EXISTS rm_recorded_pages');
  }
  async applyPage(tx: ReadTx, events: readonly RecordedEvent[]): Promise<void> {
    if (!this.prepare) await this.wait();
    await this.write(tx, events);
  }
  get preparePage(): StoreProjection['preparePage'] {
    if (!this.prepare) return undefined;
    return async (events) => {
      await this.wait();
      return (tx) => this.write(tx, events);
    };
  }
  private async wait(): Promise<void> {
    this.entered += 1;
    await this.gate;
  }
  private async write(tx: ReadTx, events: readonly RecordedEvent[]): Promise<void> {
    this.pages.push(events.map((event) => event.position));
    await tx.runAll(events.map((event) => ({ sql: 'INSERT INTO rm_recorded_pages (position) VALUES (?)', params: [event.position] })));
  }
}

/** A gate the spec opens. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** #23.7: a rebuild's units of work on the port: larger pages while behind, the lease kept through a long unit. */
describe('StoreProjectionRunner rebuild pages (R163)', () => {
  let dir: string;
  let store: SqliteEventStore;
  let db: Database.Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-store-runner-pages-'));
    store = new SqliteEventStore({ file: join(dir, 'events.db'), pollIntervalMs: 10 });
    db = configureReadDb(new Database(join(dir, 'read.db')));
    for (let n = 0; n < 23; n += 1) await store.append(`s-${n}`, [seen('Seen', n)], { expectedRevision: 'no_stream' });
  });

  afterEach(async () => {
    await store.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('R163 while more than a page behind, pages of rebuildBatchSize (read ahead of the unit in flight); following, pages of batchSize; every event once, in order', async () => {
    const model = new RecordedPages();
    const runner = new StoreProjectionRunner(store, new SqliteReadStore(db), [model], {
      owner: 'host:1:a',
      leaseMs: 60_000,
      pollMs: 10,
      batchSize: 2,
      rebuildBatchSize: 5,
    });
    runner.start();
    try {
      expect(await runner.waitFor(23, 10_000)).toBe(true);
      expect(model.pages.map((page) => page.length)).toEqual([5, 5, 5, 5, 3]);
      await store.append('t-1', [seen('Seen', 100)], { expectedRevision: 'no_stream' });
      expect(await runner.waitFor(24, 10_000)).toBe(true);
      await store.append('t-2', [seen('Seen', 101), seen('Seen', 102)], { expectedRevision: 'no_stream' });
      expect(await runner.waitFor(26, 10_000)).toBe(true);
      expect(model.pages.slice(5).every((page) => page.length <= 2)).toBe(true);
      const positions = model.pages.flat();
      expect(positions).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
      expect(db.prepare('SELECT count(*) AS n FROM rm_recorded_pages').get()).toEqual({ n: 26 });
    } finally {
      await runner.stop();
    }
  });
});

/**
 * #23.7 on PostgreSQL: a unit may take longer than the lease (a large page on a busy server) without losing it, and
 * work that waits on other I/O (the key vault) runs before the unit's transaction opens, so the server's
 * idle-in-transaction deadline never ends it.
 */
describeWithPostgres('StoreProjectionRunner long units and rebuilt tables on PostgreSQL (R164-R166)', () => {
  const schema = uniqueName('recert_read_units');
  let dir: string;
  let store: SqliteEventStore;
  const opened: PostgresReadStore[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-store-runner-pg-'));
    store = new SqliteEventStore({ file: join(dir, 'events.db'), pollIntervalMs: 10 });
    for (let n = 0; n < 5; n += 1) await store.append(`s-${n}`, [seen('Seen', n)], { expectedRevision: 'no_stream' });
  }, 60_000);

  afterAll(async () => {
    for (const readStore of opened) await readStore.close();
    await store.close();
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const open = async (idleInTransactionTimeoutMs?: number): Promise<PostgresReadStore> => {
    const readStore = await PostgresReadStore.open(
      `${PG_TEST_URL}?readStoreSchema=${schema}`,
      3,
      idleInTransactionTimeoutMs ? { idleInTransactionTimeoutMs } : {},
    );
    opened.push(readStore);
    return readStore;
  };

  it('R166 a rebuild from zero ends with its tables analysed: the planner sees their real size, not an empty table', async () => {
    const readStore = await open();
    const runner = new StoreProjectionRunner(store, readStore, [new SeenRows()], { owner: 'host:1:a', leaseMs: 60_000, pollMs: 10 });
    runner.start();
    try {
      expect(await runner.waitFor(5, 30_000)).toBe(true);
      const [stats] = await readStore.query<{ reltuples: number }>(
        'SELECT reltuples::int AS reltuples FROM pg_class WHERE oid = to_regclass(?)',
        [`${schema}.${TABLE.name}`],
      );
      // -1 until a table is first analysed or vacuumed (PostgreSQL 14 on).
      expect(stats?.reltuples).toBe(5);
    } finally {
      await runner.stop();
      await readStore.run(`DROP TABLE IF EXISTS ${TABLE.name}`);
      await readStore.run('DELETE FROM projection_checkpoints');
      await readStore.run('DELETE FROM projector_leases');
    }
  });

  it('R164 a unit that outlasts the lease keeps it: renewed while the unit runs, same token, committed', async () => {
    const LEASE_MS = 3000;
    const readStore = await open();
    const model = new RecordedPages();
    const { promise, open: release } = gate();
    model.gate = promise;
    // Every renewal while the unit waits answers with the lease's token (null would be a lost lease).
    const renewals: (number | undefined)[] = [];
    const acquire = readStore.acquire.bind(readStore);
    const watched = Object.assign(Object.create(readStore) as PostgresReadStore, {
      acquire: async (name: string, owner: string, ttlMs: number) => {
        const lease = await acquire(name, owner, ttlMs);
        if (model.entered > 0 && name === model.name) renewals.push(lease?.token);
        return lease;
      },
    });
    const runner = new StoreProjectionRunner(store, watched, [model], { owner: 'host:1:a', leaseMs: LEASE_MS, pollMs: 10 });
    runner.start();
    try {
      await eventually('the unit to start', () => (model.entered > 0 ? true : undefined));
      const token = (await readStore.lease(model.name))?.token;
      // Four renewals a third of the lease apart: the unit has outlived the lease it started with.
      await eventually('four renewals during the unit', () => (renewals.length >= 4 ? true : undefined), 60_000);
      expect(await readStore.acquire(model.name, 'host:2:b', LEASE_MS)).toBeNull();
      release();
      expect(await runner.waitFor(5, 30_000)).toBe(true);
      expect(new Set(renewals)).toEqual(new Set([token]));
      expect((await readStore.lease(model.name))?.token).toBe(token);
      expect(model.pages.flat()).toEqual([1, 2, 3, 4, 5]);
    } finally {
      release();
      await runner.stop();
      await readStore.run('DROP TABLE IF EXISTS rm_recorded_pages');
      await readStore.run('DELETE FROM projection_checkpoints');
      await readStore.run('DELETE FROM projector_leases');
    }
  }, 120_000);

  it("R165 work before the unit (preparePage) may wait past the server's idle-in-transaction deadline; the same wait inside the unit ends its session", async () => {
    const IDLE_MS = 300;
    const waitPastDeadline = async (model: RecordedPages): Promise<void> => {
      const { promise, open: release } = gate();
      model.gate = promise;
      await eventually('the wait to start', () => (model.entered > 0 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 4));
      release();
    };
    const logs: string[] = [];
    const inside = new RecordedPages(false);
    const insideRunner = new StoreProjectionRunner(store, await open(IDLE_MS), [inside], {
      owner: 'host:1:inside',
      leaseMs: 60_000,
      pollMs: 10,
      log: (message) => logs.push(message),
    });
    insideRunner.start();
    try {
      await waitPastDeadline(inside);
      // Its session ended by the server: the unit fails, nothing of it is committed.
      await eventually('the unit inside the transaction to fail', () =>
        logs.some((l) => /recorded-pages: /.test(l) && !/lease lost/.test(l)) ? true : undefined,
      );
    } finally {
      await insideRunner.stop();
    }

    const readStore = await open(IDLE_MS);
    await readStore.run('DROP TABLE IF EXISTS rm_recorded_pages');
    await readStore.run('DELETE FROM projection_checkpoints');
    await readStore.run('DELETE FROM projector_leases');
    const prepared = new RecordedPages(true);
    const preparedRunner = new StoreProjectionRunner(store, readStore, [prepared], {
      owner: 'host:1:prepared',
      leaseMs: 60_000,
      pollMs: 10,
    });
    preparedRunner.start();
    try {
      await waitPastDeadline(prepared);
      expect(await preparedRunner.waitFor(5, 30_000)).toBe(true);
      expect(await readStore.query('SELECT position FROM rm_recorded_pages ORDER BY position')).toEqual(
        [1, 2, 3, 4, 5].map((position) => ({ position })),
      );
    } finally {
      await preparedRunner.stop();
    }
  }, 120_000);
});
