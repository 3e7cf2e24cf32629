import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const READ_DB = Symbol('READ_DB');

/**
 * The read models' database, `DATA_DIR/read.db`, beside the event file (embedded) or rebuilt from the cluster
 * (EventStoreDB). NORMAL sync in WAL mode survives a killed process; a power loss can only drop the newest
 * transactions, and each carries its own checkpoint, so the projection replays them (outbox rows included).
 */
export function openReadDb(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true });
  return configureReadDb(new Database(join(dataDir, 'read.db')));
}

export function configureReadDb(db: Database.Database): Database.Database {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  // 16 MB of page cache: a rebuild touches every holding row, dashboard reads a few pages; RSS stays in budget.
  db.pragma('cache_size = -16384');
  // Fewer, larger WAL checkpoints while projections write in big batches.
  db.pragma('wal_autocheckpoint = 10000');
  return db;
}
