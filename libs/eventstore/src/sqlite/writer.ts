import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { ConcurrencyError, PartialDuplicateError } from '../errors';
import type { AppendResult, ExpectedRevision } from '../event-store.port';

/** One append as the writer receives it: payloads already serialised on the caller's thread. */
export interface WireAppend {
  stream: string;
  expected: ExpectedRevision;
  recordedAt: string;
  events: { id: string; type: string; data: string; metadata: string }[];
}

/** What became of one append of a group: stored (or found stored), or refused on its own. */
export type WireOutcome =
  | { ok: true; result: AppendResult }
  | { ok: false; kind: 'concurrency'; stream: string; expected: ExpectedRevision; actual: number }
  | { ok: false; kind: 'partial-duplicate'; stream: string }
  | { ok: false; kind: 'error'; message: string };

/** Commits a group of appends in one transaction (one fsync) and says what became of each. */
export type Committer = (appends: readonly WireAppend[]) => WireOutcome[];

/**
 * The write transaction of the embedded store. It runs on the writer thread, so this function must stay
 * self-contained (no imports, no helpers from outside its body): its source text is what the thread evaluates.
 * The expected revision is checked inside the transaction, which takes the write lock up front (IMMEDIATE), so
 * the check holds across threads and processes sharing the file.
 */
export function createCommitter(db: Database.Database): Committer {
  const lastRevision = db.prepare<[string], { revision: number | null }>('SELECT max(revision) AS revision FROM events WHERE stream = ?');
  const findById = db.prepare<[string, string], { position: number; revision: number }>(
    'SELECT position, revision FROM events WHERE stream = ? AND id = ?',
  );
  const insert = db.prepare<[string, number, string, string, string, string, string]>(
    'INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const refused = (outcome: WireOutcome): Error => Object.assign(new Error('refused'), { outcome });

  const appendOne = (append: WireAppend): AppendResult => {
    const current = lastRevision.get(append.stream)?.revision ?? -1;
    // Idempotent retry: every id already stored in this stream means the append already happened.
    const stored = append.events.map((event) => findById.get(append.stream, event.id));
    const storedCount = stored.filter((row) => row !== undefined).length;
    if (storedCount === append.events.length) {
      const rows = stored as { position: number; revision: number }[];
      const positions = rows.map((row) => row.position);
      return { nextExpectedRevision: current, position: positions[positions.length - 1] as number, positions, duplicate: true };
    }
    if (storedCount > 0) throw refused({ ok: false, kind: 'partial-duplicate', stream: append.stream });
    const expected = append.expected;
    const matches =
      expected === 'any' ||
      (expected === 'no_stream' && current === -1) ||
      (expected === 'stream_exists' && current >= 0) ||
      expected === current;
    if (!matches) throw refused({ ok: false, kind: 'concurrency', stream: append.stream, expected, actual: current });
    const positions: number[] = [];
    let revision = current;
    for (const event of append.events) {
      revision += 1;
      const info = insert.run(append.stream, revision, event.id, event.type, event.data, event.metadata, append.recordedAt);
      positions.push(Number(info.lastInsertRowid));
    }
    return {
      nextExpectedRevision: revision,
      position: positions[positions.length - 1] as number,
      positions,
      duplicate: false,
      recordedAt: append.recordedAt,
    };
  };

  // Each append runs in its own savepoint (a nested transaction): a refused one rolls back alone.
  const one = db.transaction(appendOne);
  const group = db.transaction((appends: readonly WireAppend[]): WireOutcome[] =>
    appends.map((append): WireOutcome => {
      try {
        return { ok: true, result: one(append) };
      } catch (error) {
        const outcome = (error as { outcome?: WireOutcome }).outcome;
        return outcome ?? { ok: false, kind: 'error', message: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  // IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading a read lock.
  return (appends) => group.immediate(appends);
}

/** The error an append's caller sees for a refused outcome. */
export function outcomeError(outcome: Exclude<WireOutcome, { ok: true }>): Error {
  switch (outcome.kind) {
    case 'concurrency':
      return new ConcurrencyError(outcome.stream, outcome.expected, outcome.actual);
    case 'partial-duplicate':
      return new PartialDuplicateError(outcome.stream);
    default:
      return new Error(outcome.message);
  }
}

interface WriterData {
  file: string;
  synchronous: 'FULL' | 'NORMAL';
  /** Resolved path of better-sqlite3, so the thread loads the same driver wherever it runs from. */
  driver: string;
}
type WriterRequest = { id: number; appends: WireAppend[] } | { close: true };
type WriterReply = { id: number; outcomes: WireOutcome[] } | { id: number; failure: string };

/** The writer thread's body; self-contained like createCommitter, which it receives as an argument. */
function writerThread(makeCommitter: typeof createCommitter): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const threads = require('node:worker_threads') as typeof import('node:worker_threads');
  const parentPort = threads.parentPort;
  const data = threads.workerData as WriterData;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Driver = require(data.driver) as typeof Database;
  const db = new Driver(data.file);
  db.pragma('journal_mode = WAL');
  // Per connection: this is the connection that commits, so this is where FULL makes an acknowledged append durable.
  db.pragma(`synchronous = ${data.synchronous}`);
  db.pragma('busy_timeout = 10000');
  const commit = makeCommitter(db);
  const port = parentPort as NonNullable<typeof parentPort>;
  port.on('message', (request: WriterRequest) => {
    if ('close' in request) {
      db.close();
      port.close();
      return;
    }
    let reply: WriterReply;
    try {
      reply = { id: request.id, outcomes: commit(request.appends) };
    } catch (error) {
      // The commit itself failed (disk full, lock timeout): nothing of the group was stored.
      reply = { id: request.id, failure: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply);
  });
}

// `__name` is a no-op shim: some TypeScript runners (tsx, esbuild's keepNames) wrap functions in it.
const WRITER_SOURCE = `"use strict";\nconst __name = (target) => target;\n(${writerThread.toString()})(${createCommitter.toString()});\n`;

/**
 * Commits on a thread of its own: the fsync of synchronous=FULL no longer holds the event loop that serves
 * requests. One group is in flight at a time; the caller gathers the appends arriving meanwhile into the next one.
 */
export class ThreadWriter {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (outcomes: WireOutcome[]) => void; reject: (error: Error) => void }>();
  private failure: Error | undefined;
  private readonly exited: Promise<void>;

  constructor(file: string, synchronous: 'FULL' | 'NORMAL') {
    const workerData: WriterData = { file, synchronous, driver: require.resolve('better-sqlite3') };
    this.worker = new Worker(WRITER_SOURCE, { eval: true, workerData });
    this.worker.on('message', (reply: WriterReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      // Idle, the thread must not keep the process alive on its own.
      if (this.waiting.size === 0) this.worker.unref();
      if ('failure' in reply) waiter?.reject(new Error(reply.failure));
      else waiter?.resolve(reply.outcomes);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    void this.exited.then(() => this.fail(new Error('The event store writer thread has stopped')));
    this.worker.unref();
  }

  commit(appends: WireAppend[]): Promise<WireOutcome[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, appends } satisfies WriterRequest);
    });
  }

  /** Closes the thread's connection (checkpointing the WAL) once the groups in flight are answered. */
  async close(): Promise<void> {
    if (!this.failure) this.worker.postMessage({ close: true } satisfies WriterRequest);
    this.worker.ref();
    await this.exited;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
