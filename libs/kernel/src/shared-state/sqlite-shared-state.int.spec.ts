import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedStateContract } from './testing/shared-state.contract';
import { SqliteSharedState } from './sqlite-shared-state';

describe('shared state on one SQLite file (embedded adapter)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recert-shared-state-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  sharedStateContract(() => Promise.resolve(new SqliteSharedState(join(dir, 'shared-state.db'))));
});
