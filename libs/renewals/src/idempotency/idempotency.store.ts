import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type IdempotencyLookup =
  | { kind: 'new' }
  | { kind: 'done'; status: number; body: unknown; sameRequest: boolean }
  | { kind: 'in-progress' };

export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');

/**
 * Answers already given to requests with an Idempotency-Key, per caller. Kept beside the log, not in it:
 * a refused command must store nothing there, and the server's own event-id dedup is not enough (it forgets).
 */
export class IdempotencyStore {
  private readonly db: Database.Database;

  constructor(
    dataDir: string,
    private readonly claimTtlMs = 60_000,
    private readonly retentionMs = 7 * 24 * 3600_000,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'idempotency.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS requests (
      key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, state TEXT NOT NULL, status INTEGER, body TEXT, updated_at INTEGER NOT NULL)`);
  }

  static keyOf(subject: string, idempotencyKey: string): string {
    return createHash('sha256').update(`${subject}\u0000${idempotencyKey}`).digest('hex');
  }

  static hashOf(method: string, path: string, body: unknown): string {
    return createHash('sha256')
      .update(`${method} ${path} ${JSON.stringify(body ?? null)}`)
      .digest('hex');
  }

  /** Looks the key up and, when it is new (or its claim went stale after a crash), claims it atomically. */
  claim(key: string, requestHash: string, nowMs: number): IdempotencyLookup {
    return this.db
      .transaction((): IdempotencyLookup => {
        const row = this.db
          .prepare<
            [string],
            { request_hash: string; state: string; status: number | null; body: string | null; updated_at: number }
          >('SELECT * FROM requests WHERE key = ?')
          .get(key);
        if (row?.state === 'done') {
          return {
            kind: 'done',
            status: row.status ?? 200,
            body: JSON.parse(row.body ?? 'null') as unknown,
            sameRequest: row.request_hash === requestHash,
          };
        }
        if (row && nowMs - row.updated_at < this.claimTtlMs) return { kind: 'in-progress' };
        this.db
          .prepare(
            "INSERT INTO requests (key, request_hash, state, updated_at) VALUES (?, ?, 'claimed', ?) ON CONFLICT(key) DO UPDATE SET request_hash = excluded.request_hash, state = 'claimed', updated_at = excluded.updated_at",
          )
          .run(key, requestHash, nowMs);
        return { kind: 'new' };
      })
      .immediate();
  }

  complete(key: string, status: number, body: unknown, nowMs: number): void {
    this.db
      .prepare("UPDATE requests SET state = 'done', status = ?, body = ?, updated_at = ? WHERE key = ?")
      .run(status, JSON.stringify(body), nowMs, key);
  }

  /** A refused or failed request leaves no answer behind: the same key may be tried again. */
  release(key: string): void {
    this.db.prepare("DELETE FROM requests WHERE key = ? AND state = 'claimed'").run(key);
  }

  purge(nowMs: number): number {
    return this.db.prepare('DELETE FROM requests WHERE updated_at < ?').run(nowMs - this.retentionMs).changes;
  }

  close(): void {
    this.db.close();
  }
}
