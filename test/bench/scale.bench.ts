/**
 * `npm run bench:scale` (#23.7): a program's log on the PostgreSQL event store, and what serving it costs.
 *
 * Seeds BENCH_SCALE_EVENTS events (default 20,000: a quick run; ~1 holder per 10 events, made by the real deciders,
 * in order of occurrence) into a fresh PostgreSQL database (multi-row INSERT of 5,000 rows through `unnest`), then
 * prints, each judged MET or MISSED:
 * - the projectors' rebuild from zero (a fresh `PROJECTIONS=run` api, spawn to `/health/ready` with no lag) as a
 *   ratio to a raw ordered read + parse of the same log in the same run (>= 25%);
 * - a new api replica's time to ready (`PROJECTIONS=follow`, spawn to `/health/ready`; <= 10 s);
 * - dashboard and `/verify/:id` p99 over 8 keep-alive connections on loopback (<= 5 ms); the load client runs on the
 *   same cores as the server, so the figures include its own CPU;
 * - that replica's RSS after the load (<= 300 MB);
 * - bytes per event in the event store (the `events` table with its indexes and TOAST) and per holder in the read store.
 * BENCH_SCALE_OUT writes the figures as JSON; BENCH_SCALE_BASELINE names such a file from a smaller run (1M) and
 * adds the ratios a larger run (10M) is held to: time to ready within 1.5x, RSS within 1.2x.
 *
 * The read store: with BENCH_READ_STORE_URL (or `READ_STORE_URL` support in the build: #23.1-3) every process gets
 * `READ_STORE_URL` and its own empty DATA_DIR, so the new replica is stateless. Without it the replica is a follow
 * replica of today, reading the projecting process's `read.db` in the same DATA_DIR; the output says which.
 * PG_BENCH_URL picks the server (default the local `test` database); skipped with one line when it does not answer.
 */
import Database from 'better-sqlite3';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { PostgresEventStore } from '@recert/eventstore';
import { projectRoot } from '@recert/kernel';
import { loadCatalog, loadPolicyBook } from '@recert/renewals';
import { RawReadResult, verdictLine } from './ceiling';
import { inChild, load, percentile, rssMb, token } from './read.bench';
import { benchVerificationId, seedPopulation } from './seed';

const EVENTS = Number(process.env['BENCH_SCALE_EVENTS'] ?? 20_000);
const DURATION_MS = Number(process.env['BENCH_DURATION_MS'] ?? 5_000);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 8);
const ADMIN_URL = process.env['PG_BENCH_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const READ_STORE_URL = process.env['BENCH_READ_STORE_URL'] ?? '';
const READY_DEADLINE_MS = Number(process.env['BENCH_READY_DEADLINE_MS'] ?? 3_600_000);
const SECRET = 'bench-secret-bench-secret-bench-secret-42';
const NOW = new Date('2026-06-01T00:00:00Z');
const BATCH = 5_000;

export interface ScaleFigures {
  date: string;
  events: number;
  profiles: number;
  holdings: number;
  seedSeconds: number;
  rawPerSecond: number;
  rebuildSeconds: number;
  rebuildPerSecond: number;
  replicaReadySeconds: number;
  replicaRssMb: number;
  replicaRssPeakMb: number;
  dashboardP99Ms: number;
  verifyP99Ms: number;
  bytesPerEvent: number;
  bytesPerHolder: number;
  readStore: 'shared PostgreSQL' | 'follow replica of today (read.db in the projecting process DATA_DIR)';
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Copies the seeded embedded log, in its position order, into the PostgreSQL store's `events` table. */
async function copyLog(sqliteFile: string, url: string, schema: string): Promise<number> {
  const source = new Database(sqliteFile, { readonly: true });
  const client = new Client({ connectionString: url });
  await client.connect();
  const insert = `INSERT INTO ${schema}.events (position, stream, revision, id, type, data, metadata, recorded_at)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[], $6::json[], $7::json[], $8::timestamptz[])`;
  let copied = 0;
  try {
    const rows = source
      .prepare('SELECT position, stream, revision, id, type, data, metadata, recorded_at FROM events ORDER BY position')
      .raw(true) as Database.Statement<[], [number, string, number, string, string, string, string, string]>;
    let columns: unknown[][] = Array.from({ length: 8 }, () => []);
    const flush = async (): Promise<void> => {
      if ((columns[0] as unknown[]).length === 0) return;
      await client.query(insert, columns);
      copied += (columns[0] as unknown[]).length;
      columns = Array.from({ length: 8 }, () => []);
      if (copied % 100_000 === 0) process.stderr.write(`\rcopied ${copied.toLocaleString('en-US')} events`);
    };
    await client.query('BEGIN');
    for (const row of rows.iterate()) {
      row.forEach((value, i) => (columns[i] as unknown[]).push(value));
      if ((columns[0] as unknown[]).length >= BATCH) await flush();
    }
    await flush();
    await client.query('COMMIT');
    await client.query(`ANALYZE ${schema}.events`);
  } finally {
    source.close();
    await client.end();
  }
  return copied;
}

/** The ceiling (#17.5): every event read in position order by keyset pages and parsed (pg parses json), nothing else. */
async function rawOrderedReadPg(url: string, schema: string): Promise<RawReadResult> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const started = process.hrtime.bigint();
    let after = 0;
    let events = 0;
    let checksum = 0;
    for (;;) {
      const page = await client.query<{ position: string; data: object; metadata: object }>({
        name: 'raw-read',
        text: `SELECT position, stream, revision, id, type, data, metadata, recorded_at FROM ${schema}.events WHERE position > $1 ORDER BY position LIMIT 1000`,
        values: [after],
      });
      if (page.rows.length === 0) break;
      for (const row of page.rows) {
        if (row.data !== row.metadata) checksum += 1;
        events += 1;
      }
      after = Number(page.rows[page.rows.length - 1]?.position);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (checksum !== events) throw new Error('raw read: a row parsed to the same object twice');
    return { events, seconds, perSecond: events / seconds };
  } finally {
    await client.end();
  }
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', () => resolve(0));
  });
}

/** Spawns an api process; resolves once `/health/ready` answers 200, with the seconds from spawn. */
async function startUntilReady(env: Record<string, string>, port: number): Promise<{ child: ChildProcess; seconds: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [join(projectRoot(), 'dist', 'apps', 'api', 'src', 'main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      AUTH_JWT_SECRET: SECRET,
      CLOCK: 'manual',
      CLOCK_START: NOW.toISOString(),
      SCHEDULER_INTERVAL_MS: '0',
      DISPATCH_INTERVAL_MS: '0',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      READY_MAX_LAG_EVENTS: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));
  for (;;) {
    if (exited !== null) throw new Error(`the api exited (${String(exited)}) before it was ready`);
    if (Date.now() - started > READY_DEADLINE_MS) throw new Error('the api was not ready in time');
    if ((await get(port, '/health/ready')) === 200) return { child, seconds: (Date.now() - started) / 1000 };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function sizeOf(url: string, sql: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ size: string }>(sql)).rows[0]?.size ?? 0);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch {
    console.log(`bench:scale SKIPPED: PostgreSQL does not answer at ${new URL(ADMIN_URL).host}`);
    return;
  }
  const database = `recert_scale_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${database}`);
  const url = withDatabase(ADMIN_URL, database);
  const schema = 'recert';
  const seedDir = mkdtempSync(join(tmpdir(), 'recert-bench-scale-seed-'));
  const projectorDir = mkdtempSync(join(tmpdir(), 'recert-bench-scale-run-'));
  const replicaDir = mkdtempSync(join(tmpdir(), 'recert-bench-scale-follow-'));
  const children: ChildProcess[] = [];
  try {
    const root = projectRoot();
    const catalog = loadCatalog(join(root, 'config', 'catalog.json'));
    const policies = loadPolicyBook(join(root, 'config', 'policy.json'));
    const t0 = Date.now();
    const seeded = await seedPopulation({
      dataDir: seedDir,
      targetEvents: EVENTS,
      catalog,
      policies,
      now: NOW,
      verificationIds: true,
      onProgress: (n) => process.stderr.write(`\rseeding ${n.toLocaleString('en-US')} events`),
    });
    // The store's schema first (migrations at open), then the rows, in the order the embedded seed laid them.
    const store = new PostgresEventStore({ connectionString: `${url}?schema=${schema}` });
    await store.headPosition();
    await store.close();
    const copied = await copyLog(join(seedDir, 'events.db'), url, schema);
    const seedSeconds = (Date.now() - t0) / 1000;
    rmSync(seedDir, { recursive: true, force: true });
    process.stderr.write(
      `\rseeded ${copied.toLocaleString('en-US')} events, ${seeded.profiles.toLocaleString('en-US')} profiles in ${seedSeconds.toFixed(1)} s\n`,
    );
    const holdings = await sizeOf(url, `SELECT count(DISTINCT stream) AS size FROM ${schema}.events WHERE stream LIKE 'holding-%'`);
    const bytesPerEvent = (await sizeOf(url, `SELECT pg_total_relation_size('${schema}.events') AS size`)) / copied;

    const raw = await inChild<RawReadResult>(__filename, 'raw-read', `${url}?schema=${schema}`);

    const storeUrl = `${url}?schema=${schema}`;
    const shared = READ_STORE_URL !== '';
    const readStoreEnv: Record<string, string> = shared ? { READ_STORE_URL: READ_STORE_URL === 'same' ? url : READ_STORE_URL } : {};
    const port = 4100 + Math.floor(Math.random() * 800);
    const projector = await startUntilReady(
      { EVENTSTORE_CONNECTION_STRING: storeUrl, DATA_DIR: projectorDir, PROJECTIONS: 'run', ...readStoreEnv },
      port,
    );
    children.push(projector.child);
    const rebuildPerSecond = copied / projector.seconds;

    const replicaPort = port + 1;
    const replica = await startUntilReady(
      { EVENTSTORE_CONNECTION_STRING: storeUrl, DATA_DIR: shared ? replicaDir : projectorDir, PROJECTIONS: 'follow', ...readStoreEnv },
      replicaPort,
    );
    children.push(replica.child);

    const support = { authorization: `Bearer ${token(['support'])}` };
    const dashboard = (n: number): { method: string; path: string; headers: Record<string, string> } => ({
      method: 'GET',
      path: `/certification-profiles/bench-${(n * 7919) % seeded.profiles}/dashboard`,
      headers: support,
    });
    const verify = (n: number): { method: string; path: string; headers: Record<string, string> } => ({
      method: 'GET',
      path: `/verify/${benchVerificationId((n * 7919) % seeded.profiles)}`,
      headers: { accept: 'application/json' },
    });
    await load(replicaPort, CONNECTIONS, 1_000, dashboard);
    const dashboardLoad = await load(replicaPort, CONNECTIONS, DURATION_MS, (n) => dashboard(n + 17));
    await load(replicaPort, CONNECTIONS, 1_000, verify);
    const verifyLoad = await load(replicaPort, CONNECTIONS, DURATION_MS, (n) => verify(n + 17));
    const memory = rssMb(replica.child.pid as number);

    const readBytes = shared
      ? await sizeOf(
          readStoreEnv['READ_STORE_URL'] as string,
          "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS size FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'recert%events%'",
        )
      : ['read.db', 'read.db-wal'].map((f) => join(projectorDir, f)).reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0);

    const figures: ScaleFigures = {
      date: new Date().toISOString(),
      events: copied,
      profiles: seeded.profiles,
      holdings,
      seedSeconds,
      rawPerSecond: raw.perSecond,
      rebuildSeconds: projector.seconds,
      rebuildPerSecond,
      replicaReadySeconds: replica.seconds,
      replicaRssMb: memory.rss,
      replicaRssPeakMb: memory.peak,
      dashboardP99Ms: percentile(dashboardLoad.latenciesMs, 99),
      verifyP99Ms: percentile(verifyLoad.latenciesMs, 99),
      bytesPerEvent,
      bytesPerHolder: readBytes / seeded.profiles,
      readStore: shared ? 'shared PostgreSQL' : 'follow replica of today (read.db in the projecting process DATA_DIR)',
    };
    report(figures, raw, dashboardLoad, verifyLoad);
    if (process.env['BENCH_SCALE_OUT']) writeFileSync(process.env['BENCH_SCALE_OUT'], JSON.stringify(figures, null, 2));
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))),
    );
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    for (const dir of [seedDir, projectorDir, replicaDir]) rmSync(dir, { recursive: true, force: true });
  }
}

function report(
  f: ScaleFigures,
  raw: RawReadResult,
  dashboard: Awaited<ReturnType<typeof load>>,
  verify: Awaited<ReturnType<typeof load>>,
): void {
  const verdict = (ok: boolean): string => (ok ? 'MET' : 'MISSED');
  const n = (value: number): string => Math.round(value).toLocaleString('en-US');
  console.log(`recert bench:scale  ${f.date}  node ${process.version}  ${cpus().length} cpu  ${cpus()[0]?.model ?? ''}`);
  console.log(
    `log: ${n(f.events)} events on PostgreSQL in order of occurrence, ${n(f.profiles)} holders, ${n(f.holdings)} holdings; seeded in ${f.seedSeconds.toFixed(1)} s`,
  );
  console.log(`read store: ${f.readStore}`);
  console.log(
    verdictLine({
      label: `projectors' rebuild from zero, spawn to ready (${f.rebuildSeconds.toFixed(1)} s)`,
      figure: f.rebuildPerSecond,
      ceiling: raw.perSecond,
      ceilingLabel: `raw ordered read + parse, ${raw.seconds.toFixed(1)} s`,
      unit: 'events/s',
      target: 0.25,
    }),
  );
  console.log(
    `new api replica, spawn to /health/ready: ${f.replicaReadySeconds.toFixed(1)} s  target <= 10 s  ${verdict(f.replicaReadySeconds <= 10)}`,
  );
  const line = (label: string, r: Awaited<ReturnType<typeof load>>, p99: number): string =>
    `${label} over HTTP, ${CONNECTIONS} connections, ${r.seconds.toFixed(1)} s: ${n(r.requests / r.seconds)} req/s, p50 ${percentile(r.latenciesMs, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, 2xx ${n(r.ok)} of ${n(r.requests)}, errors ${r.errors}  target p99 <= 5 ms  ${verdict(p99 <= 5 && r.errors === 0)}`;
  console.log(line('dashboard', dashboard, f.dashboardP99Ms));
  console.log(line('/verify/:id', verify, f.verifyP99Ms));
  console.log('  (the load client shares the 2 cores with the api and PostgreSQL: its own CPU is in these latencies)');
  console.log(
    `api replica RSS after load: ${f.replicaRssMb.toFixed(0)} MB (peak ${f.replicaRssPeakMb.toFixed(0)} MB)  target <= 300 MB  ${verdict(f.replicaRssPeakMb <= 300)}`,
  );
  console.log(`event store: ${n(f.bytesPerEvent)} bytes per event (events table, indexes and TOAST)`);
  console.log(`read store: ${n(f.bytesPerHolder)} bytes per holder`);
  const baselineFile = process.env['BENCH_SCALE_BASELINE'];
  if (baselineFile) {
    const base = JSON.parse(readFileSync(baselineFile, 'utf8')) as ScaleFigures;
    const ready = f.replicaReadySeconds / base.replicaReadySeconds;
    const rss = f.replicaRssPeakMb / base.replicaRssPeakMb;
    console.log(
      `against ${n(base.events)} events (${base.date}): time to ready x${ready.toFixed(2)}  target <= 1.5  ${verdict(ready <= 1.5)}; RSS x${rss.toFixed(2)}  target <= 1.2  ${verdict(rss <= 1.2)}`,
    );
  }
}

function exitOnError(error: unknown): void {
  console.error(error);
  process.exit(1);
}

if (require.main === module && process.argv[2] === 'raw-read') {
  // The ceiling's child: the store's URL with its schema, as the api processes get it.
  const url = new URL(process.argv[3] as string);
  const schema = url.searchParams.get('schema') ?? 'recert';
  url.searchParams.delete('schema');
  rawOrderedReadPg(url.toString(), schema).then((result) => process.stdout.write(JSON.stringify(result)), exitOnError);
} else if (require.main === module) {
  main().catch(exitOnError);
}
