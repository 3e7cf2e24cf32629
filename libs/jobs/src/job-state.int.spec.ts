import { Logger } from '@nestjs/common';
import type { Lease, LeaseStore } from '@recert/kernel';
import {
  createTableStatements,
  HOLDER_MESSAGES_TABLE,
  HolderMessageRow,
  NOTIFICATIONS_TABLE,
  NotificationRow,
  PostgresReadStore,
  ReadStore,
} from '@recert/projections';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from '../../../test/support/postgres';
import { describeOnReadStores } from '../../../test/support/store-twin';
import type { MessageSender } from './messages/mail-transport';
import { OutboxTable } from './outbox-table';
import { ReminderMarks } from './reminders/reminder-marks';

const everyLease: LeaseStore = {
  acquire: (names) => Promise.resolve(names.map((name): Lease => ({ name, version: 1 }))),
  holds: () => Promise.resolve(true),
  release: () => Promise.resolve(),
  releaseOwner: () => Promise.resolve(0),
};

/**
 * R133 (#23.1): the jobs' state beside the message models (outbox claims, delivery counters, back-off, forgetting
 * erased rows; reminder marks) through the read-store port: the same SQL on read.db and on PostgreSQL.
 */
describeOnReadStores('job state on the read-store port', (open) => {
  let readStore: ReadStore;

  beforeAll(async () => {
    readStore = await open();
    for (const statement of createTableStatements(HOLDER_MESSAGES_TABLE, readStore.kind)) await readStore.run(statement);
    const insert = `INSERT INTO rm_holder_messages (id, holding_id, profile_id, code, kind, cause_event_id, occurred_at, facts, state, personal_data_erased)
      VALUES (?, ?, ?, 'CX', 'expired', ?, '2026-01-01', '{}', ?, ?)`;
    await readStore.run(insert, ['m-ok', 'h1', 'p1', 'e1', 'pending', 0]);
    await readStore.run(insert, ['m-fail', 'h2', 'p2', 'e2', 'pending', 0]);
    await readStore.run(insert, ['m-done', 'h3', 'p3', 'e3', 'sent', 1]);
  }, 60_000);
  afterAll(async () => readStore?.close(), 60_000);

  it('R133 outbox: delivers what is pending, counts a delivery, backs a failure off for every worker, forgets erased rows once', async () => {
    const forgotten: string[] = [];
    const sender: MessageSender = {
      send: () => Promise.resolve('sent'),
      forget: (id) => {
        forgotten.push(id);
        return Promise.resolve();
      },
    };
    const table = new OutboxTable<HolderMessageRow>(readStore, everyLease, sender, {
      table: 'rm_holder_messages',
      leasePrefix: 'message',
      firstRetryMs: 30_000,
      logger: new Logger('spec', { timestamp: false }),
      what: 'message',
    });
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const seen: string[] = [];
    const before = Date.now();
    const done = await table.dispatch(
      10,
      () => false,
      async (row) => {
        seen.push(row.id);
        if (row.id === 'm-fail') throw new Error('refused for someone@example.com');
        await table.delivered(row.id);
        return 1;
      },
    );
    expect(done).toBe(1);
    expect(seen.sort()).toEqual(['m-fail', 'm-ok']);
    expect(forgotten).toEqual(['m-done']);
    const rows = await readStore.query<{
      id: string;
      deliveries: number;
      last_error: string | null;
      claimed_until: number | null;
      forgotten: number;
    }>('SELECT id, deliveries, last_error, claimed_until, forgotten FROM rm_holder_messages ORDER BY id');
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get('m-ok')).toMatchObject({ deliveries: 1, last_error: null });
    // Handed back after the delivery: to a past instant, so the next run may look at it again.
    expect(byId.get('m-ok')?.claimed_until).toBeLessThanOrEqual(Date.now());
    expect(byId.get('m-fail')).toMatchObject({ deliveries: 1, last_error: 'refused for [email]' });
    expect(byId.get('m-fail')?.claimed_until).toBeGreaterThanOrEqual(before + 30_000);
    expect(byId.get('m-done')).toMatchObject({ forgotten: 1 });
    expect(typeof byId.get('m-fail')?.claimed_until).toBe('number');
    // Backed off: a second run does not see it; the erased row is forgotten only once.
    seen.length = 0;
    await table.dispatch(
      10,
      () => false,
      async (row) => (seen.push(row.id), 0),
    );
    expect(seen).toEqual(['m-ok']);
    expect(forgotten).toEqual(['m-done']);
  });

  it('R133 reminder marks: the table is made once, a mark is found by holding, expiry and offset and updated in place', async () => {
    const marks = new ReminderMarks(readStore);
    await marks.setup();
    await marks.setup();
    expect(await marks.find('h1', '2027-01-01', '30d')).toBeUndefined();
    await marks.mark('h1', '2027-01-01', '30d', '2026-12-01T00:00:00.000Z');
    expect(await marks.find('h1', '2027-01-01', '30d')).toEqual({ retry_at: '2026-12-01T00:00:00.000Z' });
    await marks.mark('h1', '2027-01-01', '30d', null);
    expect(await marks.find('h1', '2027-01-01', '30d')).toEqual({ retry_at: null });
    expect(await marks.find('h1', '2027-01-01', '7d')).toBeUndefined();
    expect(await readStore.query('SELECT count(*) AS n FROM reminder_marks')).toEqual([{ n: 1 }]);
  });

  it('R133 reminder candidates: live holdings expiring in the horizon, paged by holding id, columns named as the dispatcher reads them', async () => {
    await readStore.run(
      'CREATE TABLE IF NOT EXISTS rm_spec_holdings (holding_id TEXT PRIMARY KEY, profile_id TEXT NOT NULL, code TEXT NOT NULL, expires_at TEXT, merged_out INTEGER NOT NULL, expired INTEGER NOT NULL)',
    );
    const rows: [string, string, number, number][] = [
      ['a', '2027-02-01', 0, 0],
      ['b', '2027-03-01', 0, 0],
      ['c', '2027-03-01', 1, 0], // merged out
      ['d', '2027-03-01', 0, 1], // expired
      ['e', '2028-01-01', 0, 0], // beyond the horizon
      ['f', '2027-04-01', 0, 0],
    ];
    for (const [id, expiresAt, mergedOut, expired] of rows)
      await readStore.run('INSERT INTO rm_spec_holdings VALUES (?, ?, ?, ?, ?, ?)', [id, `p-${id}`, 'CX', expiresAt, mergedOut, expired]);
    const marks = new ReminderMarks(readStore);
    const first = await marks.candidates('rm_spec_holdings', '2027-01-01', '2027-06-01', '', 2);
    expect(first).toEqual([
      { holdingId: 'a', profileId: 'p-a', code: 'CX', expiresAt: '2027-02-01' },
      { holdingId: 'b', profileId: 'p-b', code: 'CX', expiresAt: '2027-03-01' },
    ]);
    expect((await marks.candidates('rm_spec_holdings', '2027-01-01', '2027-06-01', 'b', 2)).map((c) => c.holdingId)).toEqual(['f']);
  });
});

const quietSender: MessageSender = { send: () => Promise.resolve('sent'), forget: () => Promise.resolve() };
const ROWS = 120;

describeWithPostgres('outbox claims on the PostgreSQL read store (#23.1)', () => {
  const schema = uniqueName('recert_read');
  const stores: ReadStore[] = [];

  beforeAll(async () => {
    const url = `${PG_TEST_URL}?readStoreSchema=${schema}`;
    stores.push(await PostgresReadStore.open(url), await PostgresReadStore.open(url));
    const [first] = stores;
    if (!first) throw new Error('no read store');
    for (const statement of createTableStatements(NOTIFICATIONS_TABLE, 'postgres')) await first.run(statement);
    for (let i = 0; i < ROWS; i += 1)
      await first.run(
        `INSERT INTO rm_notifications (id, window_id, holding_id, profile_id, code, opens_at, expires_at, state)
         VALUES (?, ?, ?, ?, 'c', '2026-01-01', '2026-06-01', 'pending')`,
        [`n-${i}`, `w-${i}`, `h-${i}`, `p-${i}`],
      );
  }, 60_000);

  afterAll(async () => {
    for (const store of stores) await store.close();
    await dropSchema(schema);
  }, 60_000);

  it('R131 four workers on two connections dispatching at once never claim the same outbox row; each row is delivered once', async () => {
    const delivered: string[] = [];
    const workers = [0, 1, 2, 3].map((i) => {
      const readStore = stores[i % 2];
      if (!readStore) throw new Error('no read store');
      const table = new OutboxTable<NotificationRow>(readStore, everyLease, quietSender, {
        table: 'rm_notifications',
        leasePrefix: 'outbox',
        firstRetryMs: 30_000,
        logger: new Logger('spec'),
        what: 'notification',
      });
      return table.dispatch(
        ROWS,
        () => false,
        async (row) => {
          delivered.push(row.id);
          // Give the others a turn at the same rows while this one is "sending".
          await new Promise((resolve) => setImmediate(resolve));
          // What the projection does once the delivery is recorded.
          await readStore.run("UPDATE rm_notifications SET state = 'sent' WHERE id = ?", [row.id]);
          return 1;
        },
      );
    });
    const counts = await Promise.all(workers);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(ROWS);
    expect(new Set(delivered).size).toBe(ROWS);
    expect(delivered).toHaveLength(ROWS);
    const [first] = stores;
    expect(await first?.query("SELECT count(*) AS n FROM rm_notifications WHERE state = 'pending'")).toEqual([{ n: 0 }]);
  }, 60_000);
});
