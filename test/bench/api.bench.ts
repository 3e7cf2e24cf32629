/**
 * `npm run bench:api`: the api as its own process on the embedded store (synchronous=FULL), a population whose
 * renewal windows are open, then 50 keep-alive connections of
 *  1. renewal attempts alone (two at once per window, then the 24 h cooldown answers 429),
 *  2. a realistic mix: attempts, earnings, dashboard reads,
 *  3. the ceiling: a no-op POST through the same guards, pipes and filters.
 *  4. the same no-op POST on the same application module served by @nestjs/platform-fastify, beside Express.
 * Prints req/s, p50/p99 per endpoint and the ratio to the ceiling. Targets: attempts >= 50% of the ceiling, p99 < 25 ms.
 * Profiling: BENCH_API_PROFILE_DIR=dir makes the api write a V8 CPU profile of phase 1 alone there (the bench then
 * stops the api after phase 1 and prints nothing else); `node scripts/cpu-profile-summary.mjs dir/*.cpuprofile` sums it.
 */
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '@recert/kernel';
import { verdictLine } from './ceiling';
import { load, LoadResult, percentile, rssMb, startApiProcess, token } from './read.bench';
import { seedPopulation } from './seed';
import { loadCatalog, loadPolicyBook } from '@recert/renewals';

const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const DURATION_MS = Number(process.env['BENCH_DURATION_MS'] ?? 10_000);
const PROFILES_EVENTS = Number(process.env['BENCH_EVENTS'] ?? 400_000);
const NOW = new Date('2026-06-01T00:00:00Z');
/**
 * `run` (default): one api process runs the projections on its own event loop. `follow`: the api serves the read
 * models the worker process keeps up to date (PROJECTIONS=follow), so projections run off the request loop.
 */
const PROJECTIONS = process.env['BENCH_PROJECTIONS'] ?? 'run';
/** STORE_WRITER_THREAD for the api: 0 commits on the request loop, as before #17.4, to compare in one run. */
const WRITER_THREAD = process.env['STORE_WRITER_THREAD'] ?? '1';
const PROFILE_DIR = process.env['BENCH_API_PROFILE_DIR'];

function line(label: string, result: { requests: number; seconds: number; latenciesMs: number[] }, extra = ''): string {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return `${label.padEnd(34)} ${Math.round(result.requests / result.seconds)
    .toLocaleString('en-US')
    .padStart(
      7,
    )} req/s  p50 ${percentile(sorted, 50).toFixed(2).padStart(6)} ms  p99 ${percentile(sorted, 99).toFixed(2).padStart(6)} ms${extra}`;
}

async function main(): Promise<void> {
  const root = projectRoot();
  const dataDir = mkdtempSync(join(tmpdir(), 'recert-bench-api-'));
  const emptyDir = mkdtempSync(join(tmpdir(), 'recert-bench-fastify-'));
  let api: ChildProcess | undefined;
  let fastify: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  try {
    const seeded = await seedPopulation({
      dataDir,
      targetEvents: PROFILES_EVENTS,
      catalog: loadCatalog(join(root, 'config', 'catalog.json')),
      policies: loadPolicyBook(join(root, 'config', 'policy.json')),
      now: NOW,
      layout: 'window-open',
    });
    const port = 3800 + Math.floor(Math.random() * 90);
    const storeEnv = { STORE_SYNCHRONOUS: process.env['STORE_SYNCHRONOUS'] ?? 'FULL', STORE_WRITER_THREAD: WRITER_THREAD };
    if (PROJECTIONS === 'follow') {
      worker = await startApiProcess(dataDir, port + 200, storeEnv, join(root, 'dist', 'apps', 'worker', 'src', 'main.js'));
    }
    api = await startApiProcess(dataDir, port, {
      RATE_LIMIT_PER_MINUTE: '0',
      BENCH_NOOP_ROUTE: '1',
      PROJECTIONS,
      ...storeEnv,
      // Started only once the seeded log is caught up with (below): the profile then holds phase 1 alone.
      ...(PROFILE_DIR ? { BENCH_PROFILE_DIR: PROFILE_DIR } : {}),
    });
    // Let the projections catch up with the seeded log before measuring: until a read at the head answers 200.
    for (const deadline = Date.now() + 600_000; ; ) {
      const probe = await load(port, 1, 1, () => ({
        method: 'GET',
        path: `/certification-profiles/bench-0/dashboard?consistentWith=${seeded.events}`,
        headers: { authorization: `Bearer ${token(['support'])}` },
      }));
      if (probe.ok > 0) break;
      if (Date.now() > deadline) throw new Error('the read models did not catch up with the seeded log');
    }

    const assessment = { authorization: `Bearer ${token(['assessment-system'])}`, 'content-type': 'application/json' };
    const exam = { authorization: `Bearer ${token(['exam-system'])}`, 'content-type': 'application/json' };
    const support = { authorization: `Bearer ${token(['support'])}` };
    const attemptBody = JSON.stringify({ passed: false, language: 'en' });
    const attempt = (i: number) => ({
      method: 'POST',
      path: `/certification-profiles/bench-${i % seeded.profiles}/certifications/azure-administrator-associate/renewal-attempts`,
      body: attemptBody,
      headers: assessment,
    });

    // 1. Attempts alone: profile after profile, so each window takes its two immediate attempts, then 429s.
    if (PROFILE_DIR) api.kill('SIGUSR2');
    const attempts = await load(port, CONNECTIONS, DURATION_MS, (n) => attempt(n));
    if (PROFILE_DIR) {
      api.kill('SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 3000));
      console.log(`attempts alone: ${Math.round(attempts.requests / attempts.seconds)} req/s; CPU profile of phase 1 in ${PROFILE_DIR}`);
      return;
    }

    // 2. The ceiling: the same pipeline, no work.
    const noop = await load(port, CONNECTIONS, DURATION_MS, () => ({
      method: 'POST',
      path: '/bench/noop',
      body: attemptBody,
      headers: assessment,
    }));

    // 3. A realistic mix, each kind measured on its own connections share: 40% attempts, 20% earnings, 40% reads.
    const mixes: Record<'attempt' | 'earn' | 'dashboard', LoadResult> = {} as never;
    const offset = attempts.requests + 1;
    const [mixAttempts, mixEarn, mixRead] = await Promise.all([
      load(port, Math.round(CONNECTIONS * 0.4), DURATION_MS, (n) => attempt(offset + n)),
      load(port, Math.round(CONNECTIONS * 0.2), DURATION_MS, (n) => ({
        method: 'POST',
        path: `/certification-profiles/bench-${n % seeded.profiles}/certifications`,
        body: JSON.stringify({ certificationCode: 'azure-developer-associate' }),
        headers: exam,
      })),
      load(port, Math.round(CONNECTIONS * 0.4), DURATION_MS, (n) => ({
        method: 'GET',
        path: `/certification-profiles/bench-${(n * 7919) % seeded.profiles}/dashboard`,
        headers: support,
      })),
    ]);
    mixes.attempt = mixAttempts;
    mixes.earn = mixEarn;
    mixes.dashboard = mixRead;
    const memory = rssMb(api.pid as number);
    api.kill('SIGTERM');
    api = undefined;
    worker?.kill('SIGTERM');
    worker = undefined;

    // 4. The same module on Fastify, on an empty store (the no-op POST reads none), alone on the machine as 2. was.
    const fastifyPort = port + 100;
    fastify = await startApiProcess(
      emptyDir,
      fastifyPort,
      { RATE_LIMIT_PER_MINUTE: '0', BENCH_NOOP_ROUTE: '1' },
      join(root, 'dist', 'test', 'bench', 'fastify-api.js'),
    );
    const noopBody = { method: 'POST', path: '/bench/noop', body: attemptBody, headers: assessment };
    await load(fastifyPort, CONNECTIONS, 1000, () => noopBody);
    const fastifyNoop = await load(fastifyPort, CONNECTIONS, DURATION_MS, () => noopBody);

    const perSecond = (result: LoadResult): number => result.requests / result.seconds;
    const p99 = percentile(attempts.latenciesMs, 99);
    console.log(
      `recert bench:api  ${new Date().toISOString()}  node ${process.version}  ${cpus().length} cpu  ${CONNECTIONS} connections, ${DURATION_MS / 1000} s per run`,
    );
    console.log(
      `population: ${seeded.events.toLocaleString('en-US')} events, ${seeded.profiles.toLocaleString('en-US')} profiles with an open window; store synchronous=FULL, writer thread ${WRITER_THREAD === '1' ? 'on' : 'off'}; projections ${PROJECTIONS === 'follow' ? 'in the worker process (api PROJECTIONS=follow)' : 'in the api process'}`,
    );
    console.log(
      line(
        'renewal attempts alone',
        attempts,
        `  (2xx ${attempts.ok.toLocaleString('en-US')}, 429 ${attempts.byStatus.get(429) ?? 0}, errors ${attempts.errors})`,
      ),
    );
    console.log(line('no-op POST (ceiling)', noop, `  (2xx ${noop.ok}, errors ${noop.errors})`));
    console.log(
      verdictLine({
        label: 'renewal attempts',
        figure: perSecond(attempts),
        ceiling: perSecond(noop),
        ceilingLabel: 'validated no-op POST, Express',
        unit: 'req/s',
        target: 0.5,
      }),
    );
    console.log(`attempts p99 ${p99.toFixed(2)} ms  target < 25 ms  ${p99 < 25 ? 'MET' : 'MISSED'}`);
    console.log(
      line(
        'no-op POST on Fastify (same module)',
        fastifyNoop,
        `  (2xx ${fastifyNoop.ok}, errors ${fastifyNoop.errors}); ${(perSecond(fastifyNoop) / perSecond(noop)).toFixed(2)}x the Express ceiling`,
      ),
    );
    console.log('mix (40% attempts, 20% earnings, 40% dashboard reads, at once):');
    console.log(line('  renewal attempts', mixes.attempt, `  (2xx ${mixes.attempt.ok}, 429 ${mixes.attempt.byStatus.get(429) ?? 0})`));
    console.log(line('  earnings', mixes.earn, `  (2xx ${mixes.earn.ok}, 409 ${mixes.earn.byStatus.get(409) ?? 0})`));
    console.log(line('  dashboard reads', mixes.dashboard));
    const commands = (mixes.attempt.ok + mixes.earn.ok) / mixes.attempt.seconds;
    console.log(
      `  commands stored: ${Math.round(commands).toLocaleString('en-US')}/s;  errors (5xx or no answer): ${mixes.attempt.errors + mixes.earn.errors + mixes.dashboard.errors}`,
    );
    console.log(`api RSS: ${memory.rss.toFixed(0)} MB (peak ${memory.peak.toFixed(0)} MB)`);
  } finally {
    api?.kill('SIGTERM');
    fastify?.kill('SIGTERM');
    worker?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(emptyDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
