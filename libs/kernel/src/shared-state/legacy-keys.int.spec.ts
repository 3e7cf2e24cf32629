import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importLegacyPersonalDataKeys } from './open-shared-state';
import { SqliteSharedState } from './sqlite-shared-state';

describe('round-one keys in DATA_DIR/personal-data.db', () => {
  it('#11.2/#16.5: are moved into the shared state at start (erasures kept), and the old file with its WAL is deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recert-legacy-'));
    try {
      const legacy = new Database(join(dir, 'personal-data.db'));
      legacy.pragma('journal_mode = WAL');
      legacy.exec('CREATE TABLE keys (subject TEXT PRIMARY KEY, key BLOB, erased_at TEXT)');
      const kept = randomBytes(32);
      legacy.prepare('INSERT INTO keys VALUES (?, ?, NULL)').run('p-kept', kept);
      legacy.prepare('INSERT INTO keys VALUES (?, NULL, ?)').run('p-erased', '2026-02-01T00:00:00.000Z');
      legacy.close();
      const state = new SqliteSharedState(join(dir, 'shared-state.db'));
      try {
        expect(await importLegacyPersonalDataKeys(dir, state)).toBe(1);
        expect(await state.keys.key('p-kept')).toEqual(kept);
        expect(await state.keys.isErased('p-erased')).toBe(true);
        for (const suffix of ['', '-wal', '-shm']) expect(existsSync(join(dir, `personal-data.db${suffix}`))).toBe(false);
        expect(await importLegacyPersonalDataKeys(dir, state)).toBe(0);
      } finally {
        await state.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
