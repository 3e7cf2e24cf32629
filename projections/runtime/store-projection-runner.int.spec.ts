import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent, RecordedEvent } from '@recert/eventstore';
import { SqliteEventStore } from '@recert/eventstore';
import { ProjectorFollower } from './projector-follower';
import { configureReadDb } from './read-db';
import { SqliteReadStore } from './read-store';
import { createRowTableSql, named, Row, RowProjection, RowTable, selectRowSql, upsertSql, writeRows } from './rows';
import { column, defineKeyedTable } from './table-definition';
import { StoreProjectionRunner } from './store-projection-runner';
import { eventually } from '../../test/support/wait';

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
