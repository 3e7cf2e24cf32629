import { ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '@recert/kernel';

export interface RecertProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  /** What the process wrote to stdout and stderr, for failure messages. */
  output(): string;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), then waits for the exit. */
  stop(): Promise<void>;
}

/** A port free right now (the process is told it; it listens on it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, pauseMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return (async () => {
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  })();
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/health' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      })
      .on('error', () => resolve(false));
  });
}

/**
 * Runs a TypeScript file of the repository (`file`, from its root) in a child process of its own, through
 * `ts-register.js`, keeping the last 20,000 characters of its stdout and stderr.
 */
export function spawnTypeScript(
  file: string,
  env: Record<string, string>,
): { child: ChildProcess; output: () => string; exited: Promise<void> } {
  const root = projectRoot();
  const child = spawn(process.execPath, ['-r', join(root, 'test', 'support', 'ts-register.js'), join(root, file)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, output: () => output, exited };
}

/**
 * Starts the api (`apps/api/src/main.ts`) or the worker (`apps/worker/src/main.ts`) from the TypeScript sources in a
 * child process of its own, and waits until its /health answers 200.
 */
export async function startRecertProcess(
  name: string,
  entry: 'api' | 'worker',
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<RecertProcess> {
  const port = await freePort();
  const { child, output, exited } = spawnTypeScript(join('apps', entry, 'src', 'main.ts'), {
    NODE_ENV: 'test',
    ...env,
    PORT: String(port),
  });
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  try {
    await waitFor(
      `${name} to answer /health`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output()}`);
        return healthy(port);
      },
      timeoutMs,
    );
  } catch (error) {
    await end('SIGKILL');
    throw error;
  }
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    output,
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  };
}
