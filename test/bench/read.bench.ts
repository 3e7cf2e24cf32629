/**
 * `npm run bench:read`: seeds >= 1,000,000 events (~100k profiles, in order of occurrence) into a fresh embedded
 * store, rebuilds the dashboard read model from zero in a fresh process as the api or worker would on start
 * (events/s, that process's RSS, its event loop's delay), then starts the api as its own process on that data and
 * drives the dashboard over HTTP (p50/p99, req/s), and reads the api's RSS. The rebuild is judged on its ceiling
 * measured in the same run (#17.5): a raw ordered read + JSON.parse of the same log, also in a fresh process.
 * Targets: rebuild >= 25% of that raw read, dashboard p99 <= 5 ms, RSS <= 300 MB.
 */
import Database from 'better-sqlite3';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { SqliteEventStore } from '@recert/eventstore';
import { loadConfig, projectRoot, signDevelopmentToken } from '@recert/kernel';
import { configureReadDb, HoldingsProjection, holdingsGeneration, ProjectionRunner, recordServingGeneration } from '@recert/projections';
import { rawOrderedRead, RawReadResult, verdictLine } from './ceiling';
import { seedPopulation } from './seed';
import { loadCatalog, loadPolicyBook } from '@recert/renewals';

const TARGET_EVENTS = Number(process.env['BENCH_EVENTS'] ?? 1_000_000);
const DURATION_MS = Number(process.env['BENCH_DURATION_MS'] ?? 10_000);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 8);
const SECRET = 'bench-secret-bench-secret-bench-secret-42';
const NOW = new Date('2026-06-01T00:00:00Z');

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

export async function startApiProcess(
  dataDir: string,
  port: number,
  env: Record<string, string> = {},
  entry = join(projectRoot(), 'dist', 'apps', 'api', 'src', 'main.js'),
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      AUTH_JWT_SECRET: SECRET,
      CLOCK: 'manual',
      CLOCK_START: NOW.toISOString(),
      SCHEDULER_INTERVAL_MS: '0',
      DISPATCH_INTERVAL_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error('the api did not become healthy');
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path: '/health' }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
        .on('error', () => resolve(false));
    });
    if (ok) return child;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export function token(roles: string[], extra: Record<string, string> = {}): string {
  return signDevelopmentToken({ ...extra, sub: 'bench', roles }, SECRET);
}

export interface LoadResult {
  requests: number;
  /** 2xx answers. */
  ok: number;
  byStatus: Map<number, number>;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

/** Closed-loop load on loopback: `connections` keep-alive clients, each sending its next request on an answer. */
export async function load(
  port: number,
  connections: number,
  durationMs: number,
  next: (n: number) => { method: string; path: string; body?: string; headers: Record<string, string> },
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  let ok = 0;
  const byStatus = new Map<number, number>();
  const started = Date.now();
  const client = async (): Promise<void> => {
    while (Date.now() - started < durationMs) {
      const request = next(requests);
      const t0 = process.hrtime.bigint();
      const status = await new Promise<number>((resolve) => {
        const req = http.request(
          { host: '127.0.0.1', port, method: request.method, path: request.path, agent, headers: request.headers },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', () => resolve(0));
        if (request.body) req.write(request.body);
        req.end();
      });
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      requests += 1;
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      if (status >= 200 && status < 300) ok += 1;
      if (status === 0 || status >= 500) errors += 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, client));
  agent.destroy();
  return { requests, ok, byStatus, errors, seconds: (Date.now() - started) / 1000, latenciesMs: latencies.sort((a, b) => a - b) };
}

interface RebuildResult {
  events: number;
  seconds: number;
  rssPeakMb: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

/** In its own process: the dashboard's projection alone, from zero, on a fresh read database of `dataDir`. */
async function rebuildDashboard(dataDir: string): Promise<RebuildResult> {
  const policies = loadPolicyBook(join(projectRoot(), 'config', 'policy.json'));
  const store = new SqliteEventStore({ file: join(dataDir, 'events.db') });
  const db = configureReadDb(new Database(join(dataDir, 'read.db')));
  // The generation the api will serve for this policy book, so it starts on this model instead of rebuilding.
  const generation = holdingsGeneration(policies);
  recordServingGeneration(db, generation);
  // REBUILD_CACHE_ROWS applies here as it would in the api.
  const { rebuildCacheRows } = loadConfig();
  const runner = new ProjectionRunner(store, db, [new HoldingsProjection(policies, generation)], { rebuildCacheRows });
  const head = await store.headPosition();
  // How long a request arriving meanwhile would wait for the event loop.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const started = Date.now();
  runner.start();
  await runner.waitFor(head, 600_000);
  const seconds = (Date.now() - started) / 1000;
  loop.disable();
  await runner.stop();
  db.close();
  await store.close();
  return {
    events: head,
    seconds,
    rssPeakMb: rssMb(process.pid).peak,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMaxMs: loop.max / 1e6,
  };
}

/** Runs this file in a fresh process in `mode` (`rebuild` or `raw-read`) on `dataDir`; resolves with what it printed. */
export function inChild<T>(file: string, mode: string, dataDir: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, mode, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`${mode} exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'recert-bench-read-'));
  const root = projectRoot();
  const catalog = loadCatalog(join(root, 'config', 'catalog.json'));
  const policies = loadPolicyBook(join(root, 'config', 'policy.json'));
  let api: ChildProcess | undefined;
  try {
    const t = Date.now();
    const seeded = await seedPopulation({
      dataDir,
      targetEvents: TARGET_EVENTS,
      catalog,
      policies,
      now: NOW,
      onProgress: (n) => process.stderr.write(`\rseeding ${n.toLocaleString('en-US')} events`),
    });
    process.stderr.write(
      `\rseeded ${seeded.events.toLocaleString('en-US')} events, ${seeded.profiles.toLocaleString('en-US')} profiles in ${((Date.now() - t) / 1000).toFixed(1)} s\n`,
    );

    const raw = await inChild<RawReadResult>(__filename, 'raw-read', dataDir);
    const rebuild = await inChild<RebuildResult>(__filename, 'rebuild', dataDir);

    const port = 3900 + Math.floor(Math.random() * 90);
    api = await startApiProcess(dataDir, port);
    const auth = `Bearer ${token(['support'])}`;
    const pick = (n: number): string => `/certification-profiles/bench-${(n * 7919) % seeded.profiles}/dashboard`;
    await load(port, CONNECTIONS, 2000, (n) => ({ method: 'GET', path: pick(n), headers: { authorization: auth } }));
    const result = await load(port, CONNECTIONS, DURATION_MS, (n) => ({
      method: 'GET',
      path: pick(n + 17),
      headers: { authorization: auth },
    }));
    const memory = rssMb(api.pid as number);

    const rebuildRate = rebuild.events / rebuild.seconds;
    const p50 = percentile(result.latenciesMs, 50);
    const p99 = percentile(result.latenciesMs, 99);
    const verdict = (ok: boolean): string => (ok ? 'MET' : 'MISSED');
    console.log(`recert bench:read  ${new Date().toISOString()}  node ${process.version}  ${cpus().length} cpu  ${cpus()[0]?.model ?? ''}`);
    console.log(
      `population: ${rebuild.events.toLocaleString('en-US')} events in order of occurrence, ${seeded.profiles.toLocaleString('en-US')} profiles`,
    );
    console.log(
      verdictLine({
        label: `dashboard rebuild from zero (${rebuild.seconds.toFixed(1)} s)`,
        figure: rebuildRate,
        ceiling: raw.perSecond,
        ceilingLabel: `raw ordered read + JSON.parse, ${raw.seconds.toFixed(1)} s`,
        unit: 'events/s',
        target: 0.25,
      }),
    );
    console.log(
      `  in a fresh process: RSS peak ${rebuild.rssPeakMb.toFixed(0)} MB, event loop delay p99 ${rebuild.loopDelayP99Ms.toFixed(1)} ms, max ${rebuild.loopDelayMaxMs.toFixed(1)} ms`,
    );
    console.log(
      `dashboard over HTTP, ${CONNECTIONS} connections, ${result.seconds.toFixed(1)} s: ${Math.round(result.requests / result.seconds).toLocaleString('en-US')} req/s, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, errors ${result.errors}  target p99 <= 5 ms  ${verdict(p99 <= 5)}`,
    );
    console.log(
      `api RSS after load: ${memory.rss.toFixed(0)} MB (peak ${memory.peak.toFixed(0)} MB)  target <= 300 MB  ${verdict(memory.peak <= 300)}`,
    );
  } finally {
    api?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module && process.argv[2] === 'raw-read') {
  process.stdout.write(JSON.stringify(rawOrderedRead(join(process.argv[3] as string, 'events.db'))));
} else if (require.main === module && process.argv[2] === 'rebuild') {
  rebuildDashboard(process.argv[3] as string)
    .then((result) => process.stdout.write(JSON.stringify(result)))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
} else if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
