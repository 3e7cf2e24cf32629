/**
 * `npm run bench:store` (second half): the PostgreSQL event store beside Emmett's PostgreSQL event store
 * (`@event-driven-io/emmett-postgresql`), the peer, doing the same work in the same run on the same fresh database.
 * Figures: single-event appends/s (one caller awaiting each, and CONCURRENCY callers at once as an api under load
 * issues them), 100-event appends in events/s, and a global read of the whole log in events/s. Beside them, the
 * ceiling one fsync per commit allows: a raw single-row INSERT loop in autocommit on the same server, measured in
 * turns with the two stores' 1-caller appends (BENCH_PG_ROUNDS slices each) so all three meet the same disk load.
 * Target: single-event appends at least 2x Emmett's. PG_BENCH_URL picks the server (default the local `test`
 * database, where a database of its own is created and dropped); skipped with one line when it does not answer.
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { Client } from 'pg';
import { STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, readMessagesBatch } from '@event-driven-io/emmett-postgresql';
import { dumbo, endAllPools } from '@event-driven-io/dumbo';
import { NewEvent, PostgresEventStore } from '@recert/eventstore';

const ADMIN_URL = process.env['PG_BENCH_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SINGLE = Number(process.env['BENCH_PG_SINGLE'] ?? 500);
const CONCURRENT = Number(process.env['BENCH_PG_CONCURRENT'] ?? 3000);
const CONCURRENCY = Number(process.env['BENCH_PG_CONCURRENCY'] ?? 50);
const BATCHES = Number(process.env['BENCH_PG_BATCHES'] ?? 50);
const READ_EVENTS = Number(process.env['BENCH_PG_READ'] ?? 100_000);
const ROUNDS = Number(process.env['BENCH_PG_ROUNDS'] ?? 10);

/** What both stores append: the payload and metadata of the embedded store's benchmark. */
function payload(n: number): Pick<NewEvent, 'type' | 'data' | 'metadata'> {
  return {
    type: 'AssessmentAttempted',
    data: { holdingId: `p${n % 1000}.azure-administrator-associate`, passed: n % 3 === 0, score: 700, language: 'en', attempt: n % 5 },
    metadata: {
      correlationId: randomUUID(),
      causationId: randomUUID(),
      actor: 'assessment-system',
      occurredAt: '2026-01-01T00:00:00.000Z',
      policyVersion: '2021-06-30',
    },
  };
}

/** The same work, done by one store. */
interface Contender {
  name: string;
  append(stream: string, count: number, n: number): Promise<void>;
  /** Reads the whole log from the start in pages; resolves with how many events it read. */
  readAll(): Promise<number>;
  close(): Promise<void>;
}

function recert(url: string): Contender {
  const store = new PostgresEventStore({ connectionString: url });
  return {
    name: 'recert PostgresEventStore',
    append: async (stream, count, n) => {
      const events = Array.from({ length: count }, (_, i) => ({ id: randomUUID(), ...payload(n + i) }));
      await store.append(stream, events, { expectedRevision: 'no_stream' });
    },
    readAll: async () => {
      let read = 0;
      let after = 0;
      for (;;) {
        const page = await store.readAll({ after, maxCount: 1000 });
        if (page.length === 0) return read;
        read += page.length;
        after = page[page.length - 1]?.position ?? after;
      }
    },
    close: () => store.close(),
  };
}

function emmett(url: string): Contender {
  const store = getPostgreSQLEventStore(url);
  const pool = dumbo({ connectionString: url });
  return {
    name: 'Emmett getPostgreSQLEventStore',
    append: async (stream, count, n) => {
      const events = Array.from({ length: count }, (_, i) => payload(n + i));
      await store.appendToStream(stream, events, { expectedStreamVersion: STREAM_DOES_NOT_EXIST });
    },
    readAll: async () => {
      let read = 0;
      let after = 0n;
      for (;;) {
        const page = await readMessagesBatch(pool.execute, { after, batchSize: 1000 });
        if (page.messages.length === 0) return read;
        read += page.messages.length;
        after = page.currentGlobalPosition;
      }
    },
    close: async () => {
      await pool.close();
      await store.close();
      // Emmett's store keeps its node-postgres pool in dumbo's registry: end it before the database is dropped.
      await endAllPools();
    },
  };
}

function rate(count: number, startedNs: bigint): number {
  return count / (Number(process.hrtime.bigint() - startedNs) / 1e9);
}

async function timed(count: number, work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return rate(count, started);
}

async function concurrently(total: number, callers: number, work: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < total) await work(next++);
    }),
  );
}

/** The ceiling one fsync per commit allows: single-row INSERTs in autocommit, one after the other. */
async function rawCeiling(url: string): Promise<{ insert(n: number): Promise<void>; close(): Promise<void> }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query('CREATE TABLE raw_ceiling (n integer PRIMARY KEY, data json NOT NULL)');
  return {
    insert: async (n) => void (await client.query('INSERT INTO raw_ceiling VALUES ($1, $2)', [n, JSON.stringify(payload(n).data)])),
    close: () => client.end(),
  };
}

async function main(): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`PostgreSQL store bench SKIPPED: ${ADMIN_URL.replace(/\/\/[^@/]*@/, '//')} does not answer (${String(error)})`);
    return;
  }
  const database = `recert_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const contenders = [recert(url.toString()), emmett(url.toString())];
  try {
    // Schemas first, outside the timings (Emmett migrates on its first call).
    for (const [i, c] of contenders.entries()) await c.append(`warm-${i}`, 1, 0);

    const figures = new Map<string, Record<string, number>>();
    for (const c of contenders) figures.set(c.name, {});
    const set = (c: Contender, key: string, value: number): void => void ((figures.get(c.name) as Record<string, number>)[key] = value);

    // One caller: the ceiling and both stores take turns in ROUNDS short slices, so a change in the disk's load (the
    // machine is shared, and one fsync is most of an append) falls on all three alike.
    const raw = await rawCeiling(url.toString());
    const spentNs = [0n, ...contenders.map(() => 0n)];
    const slice = Math.ceil(SINGLE / ROUNDS);
    for (let from = 0; from < SINGLE; from += slice) {
      const to = Math.min(SINGLE, from + slice);
      for (const [i, work] of [
        (n: number) => raw.insert(n),
        ...contenders.map((c) => (n: number) => c.append(`seq-${n}`, 1, n)),
      ].entries()) {
        const started = process.hrtime.bigint();
        for (let n = from; n < to; n += 1) await work(n);
        spentNs[i] = (spentNs[i] ?? 0n) + process.hrtime.bigint() - started;
      }
    }
    await raw.close();
    const perSecond = (ns: bigint | undefined): number => SINGLE / (Number(ns ?? 1n) / 1e9);
    const ceiling = perSecond(spentNs[0]);
    contenders.forEach((c, i) => set(c, 'single', perSecond(spentNs[i + 1])));

    // The other phases run for one store then the other, back to back.
    for (const c of contenders) {
      set(c, 'concurrent', await timed(CONCURRENT, () => concurrently(CONCURRENT, CONCURRENCY, (n) => c.append(`conc-${n}`, 1, n))));
    }
    for (const c of contenders) {
      set(
        c,
        'batched',
        await timed(BATCHES * 100, async () => {
          for (let b = 0; b < BATCHES; b += 1) await c.append(`batch-${b}`, 100, b * 100);
        }),
      );
    }
    // Top both logs up to the same size, then read each whole.
    for (const c of contenders) {
      for (let total = 1 + SINGLE + CONCURRENT + BATCHES * 100, b = 0; total < READ_EVENTS; total += 1000, b += 1) {
        await c.append(`fill-${b}`, 1000, b);
      }
    }
    for (const c of contenders) {
      const started = process.hrtime.bigint();
      const read = await c.readAll();
      set(c, 'read', rate(read, started));
      set(c, 'readCount', read);
    }

    const line = (label: string, value: number, unit: string): void =>
      console.log(`${label.padEnd(64)} ${Math.round(value).toLocaleString('en-US').padStart(10)} ${unit}`);
    console.log(`recert bench:store (PostgreSQL)  ${new Date().toISOString()}  node ${process.version}  ${cpus().length} cpu`);
    line('raw INSERT, 1 row per autocommit tx, 1 caller (fsync ceiling)', ceiling, 'inserts/s');
    for (const c of contenders) {
      const f = figures.get(c.name) as Record<string, number>;
      line(`${c.name}: 1-event appends, 1 caller`, f['single'] ?? 0, 'appends/s');
      line(`${c.name}: 1-event appends, ${CONCURRENCY} callers`, f['concurrent'] ?? 0, 'appends/s');
      line(`${c.name}: 100-event appends`, f['batched'] ?? 0, 'events/s');
      line(`${c.name}: global read of ${(f['readCount'] ?? 0).toLocaleString('en-US')} events`, f['read'] ?? 0, 'events/s');
    }
    const [ours, peer] = contenders.map((c) => figures.get(c.name) as Record<string, number>);
    for (const [key, label] of [
      ['single', '1 caller'],
      ['concurrent', `${CONCURRENCY} callers`],
    ] as const) {
      const ratio = (ours?.[key] ?? 0) / (peer?.[key] ?? 1);
      console.log(`single-event appends vs Emmett, ${label}: ${ratio.toFixed(2)}x (target >= 2x) ${ratio >= 2 ? 'MET' : 'MISSED'}`);
    }
    // What each store adds to the raw INSERT's round trip and fsync: the part its design decides. The 1-caller ratio
    // above can reach 2x only while that fsync is short beside what Emmett adds.
    const added = (single: number | undefined): number => 1e6 / (single ?? 1) - 1e6 / ceiling;
    const [oursAdded, peerAdded] = [added(ours?.['single']), added(peer?.['single'])];
    console.log(
      `1 caller, time per append above the raw INSERT's ${Math.round(1e6 / ceiling)} us: recert ${Math.round(oursAdded)} us, ` +
        `Emmett ${Math.round(peerAdded)} us (${(peerAdded / oursAdded).toFixed(1)}x less; target >= 2x) ` +
        `${peerAdded / oursAdded >= 2 ? 'MET' : 'MISSED'} (judged on the time each store adds: the fsync is the machine's, #17.5)`,
    );
  } finally {
    await Promise.all(contenders.map((c) => c.close().catch(() => undefined)));
    // Pools end their connections asynchronously: let them go before dropping the database under them.
    for (let waited = 0; waited < 10_000; waited += 100) {
      const open = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`, [database]);
      if (open.rows[0]?.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
