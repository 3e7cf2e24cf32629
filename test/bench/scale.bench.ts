/**
 * `npm run bench:scale` (#23.7): a program's log on the PostgreSQL event store, and what serving it costs.
 *
 * Seeds BENCH_SCALE_EVENTS events (default 20,000: a quick run; ~1 holder per 9 events, in order of occurrence) into
 * a PostgreSQL database at COPY speed (replicate.ts): a template of at most BENCH_SCALE_TEMPLATE_EVENTS (default
 * 50,000) is made by the real deciders, sent once to the server, and replicated there with fresh ids as many times as
 * the size asks, straight into the store's `events` table (replicate-pg.ts; indexes made after the load). The bench
 * checks the app's rebuild counts every copy's holdings. BENCH_SCALE_DB=name keeps the log: the first run seeds that
 * database, later runs with the same BENCH_SCALE_EVENTS reuse it as it is (10M events are seeded once, then measured
 * against each build; BENCH_SCALE_SEED_ONLY=1 seeds it and stops); without it the database is fresh and dropped at
 * the end. Then, each judged MET or MISSED, it
 * prints:
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
 * The read store: BENCH_READ_STORE_URL (a `postgres://` URL, or `same` for the log's database) gives both processes
 * `READ_STORE_URL` with a schema of this run (`readStoreSchema=bench_read_<run>`, dropped after) and each its own empty
 * DATA_DIR, so the new replica is stateless. Without it the replica is a follow replica of today, reading the
 * projecting process's `read.db` in the same DATA_DIR; the output says which. Every run has its own shared-state schema
 * (`bench_shared_<run>`) in the log's database, so a reused log starts with no lease or cursor of an earlier run.
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
import { RawReadResult, verdictLine } from './ceiling';
import { inChild, load, percentile, rssMb, token } from './read.bench';
import { replicateIntoPostgres } from './replicate-pg';
import { benchVerificationId } from './seed';
import { seedTemplate } from './replicate';

const EVENTS = Number(process.env['BENCH_SCALE_EVENTS'] ?? 20_000);
const DURATION_MS = Number(process.env['BENCH_DURATION_MS'] ?? 5_000);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 8);
const ADMIN_URL = process.env['PG_BENCH_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const READ_STORE_URL = process.env['BENCH_READ_STORE_URL'] ?? '';
const READY_DEADLINE_MS = Number(process.env['BENCH_READY_DEADLINE_MS'] ?? 3_600_000);
const SECRET = 'bench-secret-bench-secret-bench-secret-42';
const NOW = new Date('2026-06-01T00:00:00Z');
const TEMPLATE_EVENTS = Number(process.env['BENCH_SCALE_TEMPLATE_EVENTS'] ?? 50_000);
const SCALE_DB = process.env['BENCH_SCALE_DB'] ?? '';
/** With BENCH_SCALE_DB: seed the kept database (if it is not yet) and stop, so a later run measures at once. */
const SEED_ONLY = SCALE_DB !== '' && process.env['BENCH_SCALE_SEED_ONLY'] === '1';

export interface ScaleFigures {
  date: string;
  events: number;
  profiles: number;
  holdings: number;
  seedSeconds: number;
  /** How the log was made: copies of a template seeded by the deciders, and whether this run reused it. */
  seeding?: string;
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

/** What a seeded database holds, kept beside its log (schema `recert_bench`) so a later run can reuse it. */
interface SeededLog {
  targetEvents: number;
  events: number;
  profiles: number;
  holdings: number;
  copies: number;
  templateEvents: number;
  seedSeconds: number;
  seededAt: string;
}

/**
 * Seeds the log: a template of about `EVENTS / copies` events by the real deciders (seed.ts, in order of occurrence),
 * replicated `copies` times with fresh ids (replicate.ts), loaded into the store. A log of 20,000 events (the default)
 * is one copy: the template itself.
 */
async function seedLog(url: string, schema: string): Promise<SeededLog> {
  const started = Date.now();
  const copies = Math.max(1, Math.ceil(EVENTS / TEMPLATE_EVENTS));
  const seedDir = mkdtempSync(join(tmpdir(), 'recert-bench-scale-seed-'));
  try {
    const template = await seedTemplate(seedDir, Math.ceil(EVENTS / copies), NOW, (n) =>
      process.stderr.write(`
seeding the template: ${n.toLocaleString('en-US')} events`),
    );
    const templateFile = join(seedDir, 'events.db');
    const source = new Database(templateFile, { readonly: true });
    const templateHoldings = source
      .prepare<[], number>("SELECT count(DISTINCT stream) FROM events WHERE stream LIKE 'holding-%'")
      .pluck()
      .get() as number;
    source.close();
    process.stderr.write(
      `\rtemplate: ${template.events.toLocaleString('en-US')} events, ${template.profiles.toLocaleString('en-US')} profiles in ${((Date.now() - started) / 1000).toFixed(1)} s; ${copies} copies\n`,
    );
    // The store's schema first (migrations at open), then the rows.
    const store = new PostgresEventStore({ connectionString: `${url}?schema=${schema}` });
    await store.headPosition();
    await store.close();
    const events = await replicateIntoPostgres(url, schema, { file: templateFile, profiles: template.profiles }, copies, (n) =>
      process.stderr.write(`\rreplicated ${n.toLocaleString('en-US')} events`),
    );
    process.stderr.write('\n');
    const holdings = await sizeOf(url, `SELECT count(DISTINCT stream) AS size FROM ${schema}.events WHERE stream LIKE 'holding-%'`);
    if (events !== copies * template.events || holdings !== copies * templateHoldings) {
      throw new Error(
        `replication: ${events} events and ${holdings} holdings, expected ${copies} x ${template.events} and x ${templateHoldings}`,
      );
    }
    return {
      targetEvents: EVENTS,
      events,
      profiles: copies * template.profiles,
      holdings,
      copies,
      templateEvents: template.events,
      seedSeconds: (Date.now() - started) / 1000,
      seededAt: new Date().toISOString(),
    };
  } finally {
    rmSync(seedDir, { recursive: true, force: true });
  }
}

async function readSeeded(url: string): Promise<SeededLog | undefined> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ seeded: SeededLog }>('SELECT seeded FROM recert_bench.seed');
    return rows[0]?.seeded;
  } catch {
    return undefined;
  } finally {
    await client.end();
  }
}

async function writeSeeded(url: string, seeded: SeededLog): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE SCHEMA recert_bench');
    await client.query('CREATE TABLE recert_bench.seed (seeded json NOT NULL)');
    await client.query('INSERT INTO recert_bench.seed (seeded) VALUES ($1)', [JSON.stringify(seeded)]);
  } finally {
    await client.end();
  }
}

/**
 * The database of this run's log. BENCH_SCALE_DB names one to keep: seeded on the first run (a database left by an
 * unfinished seed, without its `recert_bench.seed` row, is seeded again), reused as it is by later runs. Without it,
 * a fresh database, dropped at the end.
 */
async function openLog(admin: Client, schema: string): Promise<{ database: string; url: string; seeded: SeededLog; reused: boolean }> {
  const database = SCALE_DB || `recert_scale_${randomBytes(4).toString('hex')}`;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new Error(`BENCH_SCALE_DB: not a plain database name: ${database}`);
  const url = withDatabase(ADMIN_URL, database);
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1;
  const stored = exists ? await readSeeded(url) : undefined;
  if (stored) {
    if (stored.targetEvents !== EVENTS) {
      throw new Error(`BENCH_SCALE_DB=${database} holds a log seeded for ${stored.targetEvents} events; BENCH_SCALE_EVENTS=${EVENTS}`);
    }
    const head = await sizeOf(url, `SELECT coalesce(max(position), 0) AS size FROM ${schema}.events`);
    if (head !== stored.events) throw new Error(`BENCH_SCALE_DB=${database}: the log has ${head} events, seeded ${stored.events}`);
    process.stderr.write(`reusing ${database}: ${stored.events.toLocaleString('en-US')} events seeded ${stored.seededAt}\n`);
    return { database, url, seeded: stored, reused: true };
  }
  if (exists) await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  const seeded = await seedLog(url, schema);
  if (SCALE_DB) await writeSeeded(url, seeded);
  return { database, url, seeded, reused: false };
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
  // BENCH_SCALE_NODE_ARGS: flags for the api processes' node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see a rebuild.
  const nodeArgs = (process.env['BENCH_SCALE_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(projectRoot(), 'dist', 'apps', 'api', 'src', 'main.js')], {
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
  const schema = 'recert';
  const run = randomBytes(4).toString('hex');
  const projectorDir = mkdtempSync(join(tmpdir(), 'recert-bench-scale-run-'));
  const replicaDir = mkdtempSync(join(tmpdir(), 'recert-bench-scale-follow-'));
  const children: ChildProcess[] = [];
  let log: Awaited<ReturnType<typeof openLog>> | undefined;
  // This run's own shared state and read store (schemas dropped at the end), so a reused log starts from zero too.
  const shared = READ_STORE_URL !== '';
  let readStoreUrl = '';
  try {
    log = await openLog(admin, schema);
    const { url, seeded } = log;
    if (SEED_ONLY) {
      console.log(
        `bench:scale: ${log.database} holds ${seeded.events.toLocaleString('en-US')} events (BENCH_SCALE_SEED_ONLY: nothing measured)`,
      );
      return;
    }
    const storeUrl = `${url}?schema=${schema}`;
    const bytesPerEvent = (await sizeOf(url, `SELECT pg_total_relation_size('${schema}.events') AS size`)) / seeded.events;
    const raw = await inChild<RawReadResult>(__filename, 'raw-read', storeUrl);

    readStoreUrl = shared ? withParameter(READ_STORE_URL === 'same' ? url : READ_STORE_URL, 'readStoreSchema', `bench_read_${run}`) : '';
    const processEnv: Record<string, string> = {
      EVENTSTORE_CONNECTION_STRING: storeUrl,
      SHARED_STATE_URL: withParameter(url, 'sharedStateSchema', `bench_shared_${run}`),
      ...(shared ? { READ_STORE_URL: readStoreUrl } : {}),
    };
    const port = 4100 + Math.floor(Math.random() * 800);
    const projector = await startUntilReady({ ...processEnv, DATA_DIR: projectorDir, PROJECTIONS: 'run' }, port);
    children.push(projector.child);
    const rebuildPerSecond = seeded.events / projector.seconds;

    const replicaPort = port + 1;
    const replica = await startUntilReady(
      { ...processEnv, DATA_DIR: shared ? replicaDir : projectorDir, PROJECTIONS: 'follow' },
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

    // The replicated log is a real one (R150): the app's rebuild counts every copy's holdings.
    const total = await holdingsTotal(port);
    if (total !== seeded.holdings) throw new Error(`the rebuilt read side counts ${total} holdings, the log has ${seeded.holdings}`);

    const readBytes = shared
      ? await sizeOf(
          READ_STORE_URL === 'same' ? url : READ_STORE_URL,
          `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS size FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') AND n.nspname = 'bench_read_${run}'`,
        )
      : ['read.db', 'read.db-wal'].map((f) => join(projectorDir, f)).reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0);

    const figures: ScaleFigures = {
      date: new Date().toISOString(),
      events: seeded.events,
      profiles: seeded.profiles,
      holdings: seeded.holdings,
      seedSeconds: seeded.seedSeconds,
      seeding: `${seeded.copies} ${seeded.copies === 1 ? 'copy' : 'copies'} of ${seeded.templateEvents.toLocaleString('en-US')} events${log.reused ? `, reused from ${log.database} (seeded ${seeded.seededAt})` : ''}`,
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
    if (log && !SCALE_DB) await admin.query(`DROP DATABASE IF EXISTS ${log.database} WITH (FORCE)`).catch(() => undefined);
    else if (log) await dropSchemas(log.url, [`bench_shared_${run}`, ...(READ_STORE_URL === 'same' ? [`bench_read_${run}`] : [])]);
    if (shared && READ_STORE_URL !== 'same') await dropSchemas(READ_STORE_URL, [`bench_read_${run}`]);
    await admin.end();
    for (const dir of [projectorDir, replicaDir]) rmSync(dir, { recursive: true, force: true });
  }
}

function withParameter(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(name, value);
  return parsed.toString();
}

async function dropSchemas(url: string, schemas: string[]): Promise<void> {
  const parsed = new URL(url);
  parsed.search = '';
  const client = new Client({ connectionString: parsed.toString() });
  try {
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } catch (error) {
    console.error(`bench:scale: could not drop ${schemas.join(', ')}: ${String(error)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The holdings the read side counts (`/reports/summary`, every status). */
async function holdingsTotal(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/reports/summary', headers: { authorization: `Bearer ${token(['admin'])}` } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve((JSON.parse(body) as { total: number }).total)
            : reject(new Error(`/reports/summary: ${res.statusCode}`)),
        );
      })
      .on('error', reject);
  });
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
    `log: ${n(f.events)} events on PostgreSQL in order of occurrence, ${n(f.profiles)} holders, ${n(f.holdings)} holdings; seeded in ${f.seedSeconds.toFixed(1)} s (${f.seeding ?? 'seeded by the deciders'})`,
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
