import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonObject, SqliteEventStore } from '@recert/eventstore';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from '../../test/support/postgres';
import { eventually } from '../../test/support/wait';
import { PostgresReadStore } from '../runtime/postgres-read-store';
import { ProjectionRunner } from '../runtime/projection-runner';
import { configureReadDb } from '../runtime/read-db';
import { ReadStore, SqliteReadStore } from '../runtime/read-store';
import { StoreProjectionRunner } from '../runtime/store-projection-runner';
import { RenewalOutcomesProjection, RenewalOutcomesStoreProjection } from './renewal-outcomes.projection';

const meta = { correlationId: 'c', causationId: 'c', actor: 'spec', occurredAt: '2026-01-01T00:00:00.000Z' };
const event = (type: string, data: JsonObject) => ({ id: randomUUID(), type, data, metadata: meta });

/** Holding i: earned, then renewed (even i) or expired (odd i), some extended first; other events in between. */
async function appendHoldings(store: SqliteEventStore, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 1) {
    const holdingId = `p${i}.CX`;
    const expiresAt = new Date(Date.UTC(2026, i % 12, 1 + (i % 27))).toISOString();
    const later = new Date(Date.UTC(2027, i % 12, 1)).toISOString();
    const events = [event('CertificationEarned', { holdingId, expiresAt, certificationCode: 'CX' }), event('Noise', { i })];
    if (i % 5 === 0) events.push(event('HoldingExpiryExtended', { holdingId, to: later }));
    events.push(
      i % 2 === 0
        ? event('CertificationRenewed', {
            holdingId,
            certificationCode: 'CX',
            previousExpiresAt: i % 5 === 0 ? later : expiresAt,
            expiresAt: new Date(Date.UTC(2029, 0, 1)).toISOString(),
            renewedAt: '2026-01-01T00:00:00.000Z',
          })
        : event('CertificationExpired', { holdingId, certificationCode: 'CX', expiredAt: '2027-06-01T00:00:00.000Z' }),
    );
    await store.append(`holding-${holdingId}`, events, { expectedRevision: 'no_stream' });
  }
}

const OUTCOMES = 'SELECT holding_id, closes_at, code, outcome, at FROM rm_window_outcomes ORDER BY holding_id, closes_at';
const HELD = 'SELECT holding_id, expires_at FROM rm_outcome_holdings ORDER BY holding_id';

/**
 * #23.1: the renewal outcomes, the first read model moved behind the read-store port, give the same rows on either
 * adapter as on `read.db` through the synchronous runner; two runners share it, one projects (R90), and when it
 * stops the other takes over from its checkpoint under writes.
 */
function outcomesOnTheReadStore(open: () => Promise<[ReadStore, ReadStore]>): void {
  let dir: string;
  let store: SqliteEventStore;
  let stores: ReadStore[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-outcomes-store-'));
    store = new SqliteEventStore({ file: join(dir, 'events.db'), synchronous: 'NORMAL', pollIntervalMs: 10 });
    await appendHoldings(store, 0, 300);
    stores = await open();
  }, 60_000);

  afterAll(async () => {
    for (const readStore of stores) await readStore.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('R90/R91 one of two runners projects; stopped, the other takes over under writes; rows equal the read.db projection', async () => {
    const [first, second] = stores;
    if (!first || !second) throw new Error('two read stores');
    const a = new StoreProjectionRunner(store, first, [new RenewalOutcomesStoreProjection()], {
      owner: 'elsewhere:1:a',
      leaseMs: 10_000, // long: no lease may lapse on a busy machine; a stop hands it over at once
      batchSize: 97,
      rebuildBatchSize: 97,
    });
    const b = new StoreProjectionRunner(store, second, [new RenewalOutcomesStoreProjection()], {
      owner: 'elsewhere:2:b',
      leaseMs: 10_000, // long: no lease may lapse on a busy machine; a stop hands it over at once
      batchSize: 97,
      rebuildBatchSize: 97,
    });
    a.start();
    await eventually('A to lead', async () => ((await first.lease('renewal-outcomes'))?.owner === 'elsewhere:1:a' ? true : undefined));
    b.start();
    expect(await a.waitFor(await store.headPosition(), 60_000)).toBe(true);
    expect((await first.lease('renewal-outcomes'))?.token).toBe(1);

    const writes = appendHoldings(store, 300, 400);
    await a.stop(); // hands the lease back: B takes over at once
    await eventually('B to lead', async () => ((await first.lease('renewal-outcomes'))?.owner === 'elsewhere:2:b' ? true : undefined));
    await writes;
    expect(await b.waitFor(await store.headPosition(), 60_000)).toBe(true);
    await b.stop();
    expect((await first.lease('renewal-outcomes'))?.token).toBe(2);

    const reference = new Database(':memory:');
    const runner = new ProjectionRunner(store, reference, [new RenewalOutcomesProjection()]);
    runner.start();
    expect(await runner.waitFor(await store.headPosition(), 60_000)).toBe(true);
    await runner.stop();
    const expected = reference.prepare(OUTCOMES).all();
    expect(expected).toHaveLength(400);
    expect(await second.query(OUTCOMES)).toEqual(expected);
    expect(await second.query(HELD)).toEqual(reference.prepare(HELD).all());
    reference.close();
  }, 120_000);
}

describe('renewal outcomes on the read-store port: SQLite', () => {
  const dbs: Database.Database[] = [];
  afterAll(() => dbs.forEach((db) => db.close()));
  outcomesOnTheReadStore(() => {
    const file = join(mkdtempSync(join(tmpdir(), 'recert-outcomes-read-')), 'read.db');
    const connect = (): SqliteReadStore => {
      const db = configureReadDb(new Database(file));
      dbs.push(db);
      return new SqliteReadStore(db);
    };
    return Promise.resolve([connect(), connect()]);
  });
});

describeWithPostgres('renewal outcomes on the read-store port: PostgreSQL', () => {
  const schema = uniqueName('recert_read');
  afterAll(() => dropSchema(schema), 30_000);
  outcomesOnTheReadStore(async () => {
    const url = `${PG_TEST_URL}?readStoreSchema=${schema}`;
    return [await PostgresReadStore.open(url), await PostgresReadStore.open(url)];
  });
});
