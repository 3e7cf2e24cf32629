import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnavailableError } from '@eventstore/db-client';
import { EsdbEventStore, EventStore, NewEvent, SqliteEventStore } from '@recert/eventstore';
import { FakeEsdbClient } from '../../libs/eventstore/src/esdb/testing/fake-esdb-client';
import { configureReadDb } from './read-db';
import { SeenProjection } from './testing/seen-projection';
import { ProjectionRunner } from './projection-runner';

const seen = (n: number): NewEvent => ({
  id: randomUUID(),
  type: 'Seen',
  data: { n },
  metadata: { correlationId: 'c', causationId: 'c', actor: 'spec', occurredAt: '2026-01-01T00:00:00.000Z' },
});

async function appendAll(store: EventStore, from: number, to: number): Promise<void> {
  for (let n = from; n < to; n += 1) await store.append('seen-1', [seen(n)], { expectedRevision: n === 0 ? 'no_stream' : n - 1 });
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > 20_000) throw new Error(`not in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('projection runner across stores', () => {
  let dir: string;
  let db: Database.Database;
  const closing: (() => Promise<void>)[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'recert-runner-stores-'));
    db = configureReadDb(new Database(join(dir, 'read.db')));
  });

  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (store: EventStore, options: { retryDelayMs?: number } = {}): ProjectionRunner => {
    const runner = new ProjectionRunner(store, db, [new SeenProjection()], { pipelinedRebuild: false, ...options });
    runner.start();
    closing.push(() => runner.stop());
    return runner;
  };
  const esdb = (client: FakeEsdbClient): EsdbEventStore => {
    const store = new EsdbEventStore({
      client,
      connectionString: 'esdb://esdb1:2113,esdb2:2113?tls=false',
      resubscribe: { initialDelayMs: 1, maxDelayMs: 5, maxAttempts: 1_000_000 },
    });
    closing.push(() => store.close());
    return store;
  };
  const rows = (): number[] =>
    db
      .prepare<[], { n: number }>('SELECT n FROM seen ORDER BY rowid')
      .all()
      .map((row) => row.n);

  it('#12.11 a read model built on SQLite is rebuilt, not resumed, when the app moves to EventStoreDB', async () => {
    const sqlite = new SqliteEventStore({ file: join(dir, 'events.db'), pollIntervalMs: 10 });
    closing.push(() => sqlite.close());
    await appendAll(sqlite, 0, 3);
    const first = run(sqlite);
    expect(await first.waitFor(await sqlite.headPosition(), 20_000)).toBe(true);
    await first.stop();
    expect(rows()).toEqual([0, 1, 2]);

    // The same three facts on a cluster (positions 100, 200, 300 there), then a fourth: SQLite's checkpoint 3
    // would have skipped nothing and applied all four again on top of the old rows.
    const client = new FakeEsdbClient();
    const cluster = esdb(client);
    await appendAll(cluster, 0, 4);
    const second = run(cluster);
    expect(await second.waitFor(await cluster.headPosition(), 20_000)).toBe(true);
    expect(rows()).toEqual([0, 1, 2, 3]);
    expect(db.prepare("SELECT store FROM projection_checkpoints WHERE name = 'seen'").get()).toEqual({
      store: 'eventstoredb:esdb://esdb1:2113,esdb2:2113/',
    });
  }, 30_000);

  it('#12.11 a read database from before the store column is rebuilt once, then resumed', async () => {
    db.exec('CREATE TABLE projection_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL, version INTEGER NOT NULL)');
    db.exec("INSERT INTO projection_checkpoints VALUES ('seen', 999999, 1)");
    const sqlite = new SqliteEventStore({ file: join(dir, 'events.db'), pollIntervalMs: 10 });
    closing.push(() => sqlite.close());
    await appendAll(sqlite, 0, 2);
    const runner = run(sqlite);
    expect(await runner.waitFor(await sqlite.headPosition(), 20_000)).toBe(true);
    expect(rows()).toEqual([0, 1]);
  }, 30_000);

  it('#12.12 lag is counted in events, not in positions (bytes on EventStoreDB)', async () => {
    const client = new FakeEsdbClient();
    const cluster = esdb(client);
    await appendAll(cluster, 0, 5);
    const runner = new ProjectionRunner(cluster, db, [new SeenProjection()], { pipelinedRebuild: false });
    // Not started: the checkpoint stays at 0 while the log holds five events at positions 100..500.
    const [status] = await runner.status();
    expect(status).toMatchObject({ checkpoint: 0, head: 500, lag: 5, lagCapped: false, caughtUp: false });
  });

  it('#12.7 a projection whose store keeps failing shows the error in its status, and clears it once the store is back', async () => {
    const client = new FakeEsdbClient();
    const cluster = esdb(client);
    await appendAll(cluster, 0, 2);
    client.subscriptionsFail = new UnavailableError();
    const runner = run(cluster);
    const lastError = async (): Promise<string | null> => (await runner.status().catch(() => []))[0]?.lastError ?? null;
    await until(async () => /store unreachable, try \d+/.test((await lastError()) ?? ''), 'the error shows');
    client.subscriptionsFail = undefined;
    await until(async () => (await lastError()) === null && rows().length === 2, 'recovered and caught up');
    expect(rows()).toEqual([0, 1]);
  }, 30_000);
});
