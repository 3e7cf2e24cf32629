import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, describeWithPostgres } from '../../../../test/support/postgres';
import { readKeyEncryptionKeys, rewrapKeys } from './key-wrapping';
import { openSharedState } from './open-shared-state';
import type { SharedState } from './shared-state.ports';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    return stat?.isDirectory() ? filesUnder(path) : stat?.isFile() ? [path] : [];
  });
}

/** Files under `dir` holding `needle`, relative to `dir` (a file removed while scanned is skipped). */
function filesHolding(dir: string, needle: Buffer): string[] {
  return filesUnder(dir).filter((file) => {
    try {
      return readFileSync(file).includes(needle);
    } catch {
      return false;
    }
  });
}

const dataDirectoryReason = (dir: string): string | undefined => {
  try {
    accessSync(join(dir, 'pg_wal'), constants.R_OK);
    return undefined;
  } catch (error) {
    return `the server's data directory ${dir} is not readable here (${error instanceof Error ? error.message : String(error)})`;
  }
};

/**
 * #24.3 done-when: keys are stored only wrapped under a KEK held outside the database, so after an erasure no raw
 * personal-data key is in any relation file, WAL segment or `pg_dump` of the shared state, and no raw key ever was:
 * the bytes scanned for are the raw key the test unwraps from the stored row before the erasure. The wrapped bytes
 * are found in the same files before it, so the scan would find a raw key stored as the build before #24.3 stored it.
 */
describeWithPostgres('erasure on PostgreSQL: no raw personal-data key on disk (#24.3)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recert-kek-'));
  const kekFile = join(dir, 'keks');
  let database: { url: string; drop: () => Promise<void> };
  let state: SharedState | undefined;
  let admin: Client;

  beforeAll(async () => {
    writeFileSync(kekFile, `# oldest first\n2026-11 ${randomBytes(32).toString('hex')}\n`);
    database = await createTestDatabase('recert_erasure');
    admin = new Client({ connectionString: database.url });
    await admin.connect();
  }, 30_000);

  afterAll(async () => {
    await state?.close();
    await admin.end();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('R61: before the erasure the wrapped key is in the table file, WAL and pg_dump and the raw one nowhere; after it the raw key is still nowhere', async () => {
    const dataDirectory = String((await admin.query<{ data_directory: string }>('SHOW data_directory')).rows[0]?.data_directory);
    const unreadable = dataDirectoryReason(dataDirectory);
    if (unreadable) {
      process.stdout.write(`R61 data-directory scan SKIPPED: ${unreadable}\n`);
      return;
    }
    const keks = readKeyEncryptionKeys(kekFile);
    state = await openSharedState(database.url, keks);
    const subject = `p-erase-${randomBytes(4).toString('hex')}`;
    const raw = randomBytes(32);
    expect(await state.keys.keyOrCreate(subject, raw)).toEqual(raw);

    const stored = (
      await admin.query<{ key: Buffer }>('SELECT key FROM recert_shared_state.recert_personal_data_keys WHERE subject = $1', [subject])
    ).rows[0]?.key as Buffer;
    expect(keks.kekIdOf(stored)).toBe('2026-11');
    // The test knows the raw key as the service would: unwrapped from the stored row under the KEK.
    expect(await keks.unwrap(subject, stored)).toEqual(raw);

    const dump = (): Buffer => {
      const run = spawnSync('pg_dump', ['--dbname', database.url, '--schema', 'recert_shared_state', '--format', 'plain'], {
        maxBuffer: 64 * 1024 * 1024,
      });
      expect(run.status).toBe(0);
      return run.stdout;
    };
    // pg_dump writes bytea as \x followed by hex.
    const inDump = (dumped: Buffer, bytes: Buffer): boolean =>
      dumped.includes(bytes) || dumped.includes(Buffer.from(bytes.toString('hex')));
    const scan = async (bytes: Buffer): Promise<string[]> => {
      await admin.query('CHECKPOINT');
      return filesHolding(dataDirectory, bytes).map((file) => file.slice(dataDirectory.length + 1));
    };

    const table = String(
      (await admin.query<{ path: string }>("SELECT pg_relation_filepath('recert_shared_state.recert_personal_data_keys') AS path")).rows[0]
        ?.path,
    );
    // The write's WAL segment, named now: a busy server (other tests, a bench) may recycle it at the scan's CHECKPOINT.
    const segment = (await admin.query<{ name: string }>('SELECT pg_walfile_name(pg_current_wal_lsn()) AS name')).rows[0]?.name ?? '';
    const wrappedBefore = await scan(stored);
    expect(wrappedBefore).toContain(table);
    // The positive control that the scan reads WAL: asked while the segment is still there.
    if (existsSync(join(dataDirectory, 'pg_wal', segment)))
      expect(wrappedBefore).toEqual(expect.arrayContaining([expect.stringMatching(/^pg_wal\//)]));
    expect(inDump(dump(), stored)).toBe(true);
    expect(await scan(raw)).toEqual([]);
    expect(inDump(dump(), raw)).toBe(false);

    await state.keys.erase(subject, new Date('2026-12-07T00:00:00Z'));
    await admin.query('VACUUM FREEZE recert_shared_state.recert_personal_data_keys');
    expect(await state.keys.key(subject)).toBeNull();
    expect(await scan(raw)).toEqual([]);
    expect(inDump(dump(), raw)).toBe(false);
    expect(inDump(dump(), stored)).toBe(false);
  }, 120_000);

  it('R61: KEK rotation: a new newest KEK wraps new keys, keys:rewrap moves the old ones to it, and without the old KEK they all still open', async () => {
    state ??= await openSharedState(database.url, readKeyEncryptionKeys(kekFile));
    const before = readKeyEncryptionKeys(kekFile);
    const kept = randomBytes(32);
    await state.keys.keyOrCreate('p-rotated', kept);
    await state.close();

    const oldLine = readFileSync(kekFile, 'utf8');
    writeFileSync(kekFile, `${oldLine}2026-12 ${randomBytes(32).toString('hex')}\n`);
    const rotated = readKeyEncryptionKeys(kekFile);
    expect(rotated.currentId).toBe('2026-12');
    const raw = await openSharedState(database.url);
    try {
      expect(before.kekIdOf((await raw.keys.key('p-rotated')) as Buffer)).toBe('2026-11');
      const result = await rewrapKeys(raw.keys, rotated, 1);
      expect(result.rewrapped).toBeGreaterThanOrEqual(1);
      expect(rotated.kekIdOf((await raw.keys.key('p-rotated')) as Buffer)).toBe('2026-12');
      expect(await rewrapKeys(raw.keys, rotated)).toMatchObject({ rewrapped: 0 });
    } finally {
      await raw.close();
    }

    // The old KEK destroyed: every live key still opens; a copy wrapped under the old one no longer would.
    writeFileSync(kekFile, `2026-12 ${(/2026-12 ([0-9a-f]{64})/.exec(readFileSync(kekFile, 'utf8')) as RegExpExecArray)[1]}\n`);
    state = await openSharedState(database.url, readKeyEncryptionKeys(kekFile));
    expect(await state.keys.key('p-rotated')).toEqual(kept);
    await expect(readKeyEncryptionKeys(kekFile).unwrap('p-rotated', await before.wrap('p-rotated', kept))).rejects.toThrow(
      /KEK "2026-11", which is no longer held/,
    );
  }, 60_000);
});
