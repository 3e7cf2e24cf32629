import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const READ_DB = Symbol('READ_DB');

/**
 * The read models' database, `DATA_DIR/read.db`, beside the event file (embedded) or rebuilt from the cluster
 * (EventStoreDB). FULL sync: the outbox in it must not lose a queued notification.
 */
export function openReadDb(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'read.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 10000');
  return db;
}
