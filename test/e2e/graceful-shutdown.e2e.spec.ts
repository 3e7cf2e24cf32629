import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@recert/eventstore';
import { projectRoot, signDevelopmentToken } from '@recert/kernel';
import { TEST_SECRET } from '../support/harness';

/**
 * #12 graceful shutdown, on a real process: the api runs from its sources in a child (test/support/ts-register.cjs),
 * takes steady command load, gets SIGTERM mid-load, and must finish what it accepted, lose nothing and exit 0.
 * Timeouts below are generous bounds for a busy machine, never timing assertions.
 */
const CLIENTS = 6;
const root = projectRoot();

interface Outcome {
  profileId: string;
  status: number;
  /** The client error when no answer came (ECONNREFUSED once the listener is closed). */
  error?: string;
  eventIds: string[];
}

function createProfile(
  port: number,
  profileId: string,
  auth: string,
  body?: { connected: () => void; beforeEnd: () => Promise<void> },
): Promise<Outcome> {
  const payload = JSON.stringify({
    profileId,
    accountId: `acc-${profileId}`,
    accountType: 'personal',
    displayName: 'Grace Hopper',
    email: `${profileId}@example.com`,
  });
  return new Promise((resolve) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/certification-profiles',
        // One connection per request: a request is either accepted on its own connection or refused, never sent on a
        // keep-alive socket the server is closing as idle (a client-side race no server can prevent).
        agent: false,
        headers: { authorization: auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const eventIds = status === 201 ? (JSON.parse(text) as { events: { id: string }[] }).events.map((event) => event.id) : [];
          resolve({ profileId, status, eventIds });
        });
        response.on('error', (error) => resolve({ profileId, status: 0, error: error.message, eventIds: [] }));
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ profileId, status: 0, error: error.code ?? error.message, eventIds: [] }),
    );
    if (!body) {
      request.end(payload);
      return;
    }
    // Headers and half the body now; the rest once the caller says so (after SIGTERM): a request surely in flight.
    request.on('socket', (socket) => socket.once('connect', body.connected));
    request.flushHeaders();
    request.write(payload.slice(0, 20));
    void body.beforeEnd().then(() => request.end(payload.slice(20)));
  });
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', () => resolve(0));
  });
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Started {
  child: ChildProcess;
  port: number;
  /** Standard output and error so far. */
  output: () => string;
  /** The exit, or 'hung' if none within `ms` of the call (a bound generous for a busy machine, not a timing check). */
  exitWithin: (ms: number) => Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'hung'>;
}

/** An app (`apps/<app>/src/main.ts`) from its sources in a child process on a random port, once it is ready. */
async function startFromSources(app: 'api' | 'worker', env: Record<string, string>): Promise<Started> {
  const port = 4100 + Math.floor(Math.random() * 800);
  const child = spawn(
    process.execPath,
    ['-r', join(root, 'test', 'support', 'ts-register.cjs'), join(root, 'apps', app, 'src', 'main.ts')],
    {
      cwd: root,
      env: { ...process.env, PORT: String(port), AUTH_JWT_SECRET: TEST_SECRET, LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const started: Started = {
    child,
    port,
    output: () => output,
    exitWithin: (ms) => Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ms).unref())]),
  };
  await until(async () => child.exitCode !== null || (await get(port, '/health/ready')) === 200, 120_000, `the ${app} to be ready`);
  if (child.exitCode !== null) throw new Error(`the ${app} exited at start-up: ${output}`);
  return started;
}

describe('#12 graceful shutdown: SIGTERM under load', () => {
  let dataDir: string;
  let api: ChildProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'recert-sigterm-'));
  });

  afterAll(() => {
    // Only the child this spec started, by its own handle.
    if (api && api.exitCode === null) api.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('#12: requests in flight finish (2xx), every acknowledged command is in the store, unanswered ones stored nothing, exit code 0', async () => {
    const started = await startFromSources('api', {
      DATA_DIR: dataDir,
      RATE_LIMIT_PER_MINUTE: '0',
      SCHEDULER_INTERVAL_MS: '0',
      DISPATCH_INTERVAL_MS: '200',
      // Far above what a request needs, so the drain never cuts one off on a busy machine.
      SHUTDOWN_TIMEOUT_MS: '60000',
    });
    const { child, port } = started;
    api = child;

    const auth = `Bearer ${signDevelopmentToken({ sub: 'exam', roles: ['exam-system'] }, TEST_SECRET)}`;
    const outcomes: Outcome[] = [];
    let running = true;
    let sequence = 0;
    const client = async (c: number): Promise<void> => {
      while (running) {
        const outcome = await createProfile(port, `gs-${c}-${(sequence += 1)}`, auth);
        outcomes.push(outcome);
        // Refused: the listener is closed; stop, as a client behind a load balancer would go elsewhere.
        if (outcome.status === 0) return;
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
    await until(async () => outcomes.filter((o) => o.status === 201).length >= 30, 120_000, 'steady load');

    // Requests surely in flight at SIGTERM: headers and half a body sent, the rest only once the listener is closed.
    let finishBodies!: () => void;
    const bodiesMayEnd = new Promise<void>((resolve) => (finishBodies = resolve));
    const connected: Promise<void>[] = [];
    const inFlight = Array.from({ length: 3 }, (_, n) => {
      let onConnect!: () => void;
      connected.push(new Promise<void>((resolve) => (onConnect = resolve)));
      return createProfile(port, `gs-slow-${n}`, auth, { connected: onConnect, beforeEnd: () => bodiesMayEnd });
    });
    await Promise.all(connected);
    // One more round trip after they connected: their headers have reached the server too.
    await until(async () => (await get(port, '/health/live')) === 200, 30_000, 'the slow requests to be accepted');
    child.kill('SIGTERM');
    // Stopping: no new connection is accepted (refused), while the slow requests are still being received.
    await until(async () => (await get(port, '/health/live')) === 0, 60_000, 'the listener to close');
    finishBodies();
    const slow = await Promise.all(inFlight);
    running = false;
    await Promise.all(clients);

    expect(await started.exitWithin(90_000)).toEqual({ code: 0, signal: null });

    // Every request the server took in was answered, and with a success: nothing cut off, no 5xx.
    expect(slow.map((o) => o.status)).toEqual([201, 201, 201]);
    const answered = outcomes.filter((o) => o.status !== 0);
    expect(answered.filter((o) => o.status !== 201)).toEqual([]);
    // Requests with no answer never got in: refused, or reset by the OS while still in the listener's accept queue when
    // it closed (the app never saw them; the store check below proves none of them was stored). No other failure.
    expect(outcomes.filter((o) => o.status === 0 && !['ECONNREFUSED', 'ECONNRESET'].includes(o.error ?? ''))).toEqual([]);

    // Reopen DATA_DIR: every acknowledged command's events are there, and nothing of a command that got no answer.
    const store = new SqliteEventStore({ file: join(dataDir, 'events.db') });
    try {
      const log = await store.readAll({ maxCount: Number.MAX_SAFE_INTEGER });
      const stored = new Set(log.map((event) => event.id));
      const acknowledged = [...answered, ...slow].flatMap((o) => o.eventIds);
      expect(acknowledged.length).toBeGreaterThanOrEqual(33);
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      const unanswered = outcomes.filter((o) => o.status === 0).map((o) => `profile-${o.profileId}`);
      expect(log.filter((event) => unanswered.includes(event.stream))).toEqual([]);
    } finally {
      await store.close();
    }
  }, 400_000);

  it('#12: the worker alone, its timers running, stops on SIGTERM with exit code 0', async () => {
    const workerDir = mkdtempSync(join(tmpdir(), 'recert-sigterm-worker-'));
    const worker = await startFromSources('worker', { DATA_DIR: workerDir, SCHEDULER_INTERVAL_MS: '50', DISPATCH_INTERVAL_MS: '50' });
    try {
      worker.child.kill('SIGTERM');
      expect(await worker.exitWithin(90_000)).toEqual({ code: 0, signal: null });
      expect(worker.output()).toContain('SIGTERM: accepting no new connections');
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      rmSync(workerDir, { recursive: true, force: true });
    }
  }, 300_000);
});
