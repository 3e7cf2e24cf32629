import Database from 'better-sqlite3';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PostgresDeadlines } from '../postgres-session';
import { PostgresSharedState } from './postgres-shared-state';
import { KeyEncryptionKeys, wrappingKeyVault } from './key-wrapping';
import type { SharedState } from './shared-state.ports';
import { SqliteSharedState } from './sqlite-shared-state';

/**
 * Opens (and migrates) the shared state a SHARED_STATE_URL names: `file:<path>` or `postgres://...`. With `keks`, its
 * key vault stores personal-data keys only wrapped under them (#24.3): the application still sees raw keys.
 */
export async function openSharedState(
  url: string,
  keks?: KeyEncryptionKeys,
  deadlines: Partial<PostgresDeadlines> & { poolSize?: number } = {},
): Promise<SharedState> {
  const state = url.startsWith('file:')
    ? new SqliteSharedState(url.slice('file:'.length))
    : await PostgresSharedState.open(url, deadlines.poolSize ?? 5, deadlines);
  return keks ? withWrappedKeys(state, keks) : state;
}

/** The same shared state, its key vault wrapping and unwrapping every key under the KEKs. */
export function withWrappedKeys(state: SharedState, keks: KeyEncryptionKeys): SharedState {
  return {
    description: state.description,
    keys: wrappingKeyVault(state.keys, keks),
    idempotency: state.idempotency,
    leases: state.leases,
    rateCounters: state.rateCounters,
    webhooks: state.webhooks,
    sweep: (nowMs) => state.sweep(nowMs),
    close: () => state.close(),
  };
}

/**
 * Round one kept each process's personal-data keys in DATA_DIR/personal-data.db. Moves them into the shared
 * state (an erasure recorded there wins over a key, either way), then deletes the old file with its WAL: left
 * behind, it would be a copy of keys that erasure no longer reaches. Returns how many keys were moved.
 */
export async function importLegacyPersonalDataKeys(dataDir: string, state: SharedState): Promise<number> {
  const file = join(dataDir, 'personal-data.db');
  if (!existsSync(file)) return 0;
  const legacy = new Database(file);
  let moved = 0;
  try {
    const rows = legacy
      .prepare<[], { subject: string; key: Buffer | null; erased_at: string | null }>('SELECT subject, key, erased_at FROM keys')
      .all();
    for (const row of rows) {
      if (row.erased_at || !row.key) await state.keys.erase(row.subject, new Date(row.erased_at ?? Date.now()));
      else if ((await state.keys.keyOrCreate(row.subject, row.key)) !== null) moved += 1;
    }
  } finally {
    legacy.close();
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  return moved;
}
