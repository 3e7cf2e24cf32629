// `npm run start:cluster`: recert as several processes on PostgreSQL, locally: two apis (ports 3000 and 3001) and a
// worker (3002), each with its own DATA_DIR under ./data/cluster, sharing the PostgreSQL event store and the shared
// state (keys, idempotency answers, leases, rate counters, webhook deliveries). Put a load balancer in front of 3000 and 3001.
// CLUSTER_POSTGRES_URL (or EVENTSTORE_CONNECTION_STRING) names the database; Ctrl-C stops all three.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const url = process.env.CLUSTER_POSTGRES_URL ?? process.env.EVENTSTORE_CONNECTION_STRING ?? 'postgres://postgres@127.0.0.1:5432/postgres';
if (!/^postgres(ql)?:\/\//.test(url)) {
  console.error('start:cluster needs a PostgreSQL URL (CLUSTER_POSTGRES_URL=postgres://user@host/db)');
  process.exit(2);
}
const base = Number(process.env.CLUSTER_BASE_PORT ?? 3000);
const root = resolve(process.env.CLUSTER_DATA_DIR ?? join('data', 'cluster'));
const processes = [
  // Dispatch only in the worker: the apis' in-process dispatchers would be safe too (leases), just redundant.
  { name: 'api-a', main: 'dist/apps/api/src/main.js', port: base, env: { DISPATCH_INTERVAL_MS: '0', SCHEDULER_INTERVAL_MS: '0' } },
  { name: 'api-b', main: 'dist/apps/api/src/main.js', port: base + 1, env: { DISPATCH_INTERVAL_MS: '0', SCHEDULER_INTERVAL_MS: '0' } },
  { name: 'worker', main: 'dist/apps/worker/src/main.js', port: base + 2, env: {} },
];
const children = processes.map(({ name, main, port, env }) => {
  const dataDir = join(root, name);
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, ...env, EVENTSTORE_CONNECTION_STRING: url, PORT: String(port), DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`[${name}] ${line}\n`);
    });
  }
  child.on('exit', (code, signal) => {
    process.stdout.write(`[${name}] exited (${signal ?? code})\n`);
    stop();
  });
  process.stdout.write(`[${name}] http://localhost:${port} (DATA_DIR ${dataDir})\n`);
  return child;
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
