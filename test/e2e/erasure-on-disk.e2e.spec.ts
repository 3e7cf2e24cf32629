import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKeyEncryptionKeys } from '@recert/kernel';
import { RecertProcess, startRecertProcess, waitFor } from '../support/processes';
import { signDevelopmentToken } from '@recert/kernel';

const SECRET = 'erasure-on-disk-secret-erasure-on-disk-secret';

/** Every file under `dir`, recursively (WAL and shared-memory files included). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Which of the needles occur in any byte of any file under `dir` (named by label, with the file). */
function findOnDisk(dir: string, needles: Record<string, Buffer>): string[] {
  return filesUnder(dir).flatMap((file) => {
    const bytes = readFileSync(file);
    return Object.entries(needles).flatMap(([label, needle]) => (bytes.includes(needle) ? [`${label} in ${file}`] : []));
  });
}

/**
 * #16.5: erasure reaches every copy recert keeps on disk. A real api process (its own DATA_DIR, embedded stores and
 * shared state, file notifications) creates a holder, notifies them, erases them, and is killed with SIGKILL; then
 * every byte of DATA_DIR is scanned for the name and e-mail (UTF-8 and UTF-16) and for the profile's key.
 */
describe('erasure on disk (#16.5)', () => {
  let dataDir: string;
  let api: RecertProcess | undefined;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'recert-erasure-'));
  });
  afterAll(async () => {
    await api?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('#16.5: after erasure and a SIGKILL, no file of DATA_DIR holds the name, the e-mail or the erased key', async () => {
    api = await startRecertProcess('api', 'api', {
      DATA_DIR: dataDir,
      AUTH_JWT_SECRET: SECRET,
      CLOCK: 'manual',
      CLOCK_START: '2026-01-01T00:00:00Z',
      SCHEDULER_INTERVAL_MS: '0',
      DISPATCH_INTERVAL_MS: '0',
      RATE_LIMIT_PER_MINUTE: '0',
    });
    const tag = randomBytes(4).toString('hex');
    const displayName = `Quintessa Vorhees ${tag}`;
    const email = `quintessa.${tag}@example.org`;
    const profileId = `erase-${tag}`;
    const call = async (method: string, path: string, roles: string[], body?: unknown): Promise<{ status: number; body: unknown }> => {
      const token = signDevelopmentToken({ sub: `${roles.join('+')}-caller`, roles }, SECRET);
      const res = await fetch(`${api?.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    expect(
      (
        await call('POST', '/certification-profiles', ['exam-system'], {
          profileId,
          accountId: `acc-${tag}`,
          accountType: 'personal',
          displayName,
          email,
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call('POST', `/certification-profiles/${profileId}/certifications`, ['exam-system'], {
          certificationCode: 'azure-developer-associate',
        })
      ).status,
    ).toBe(201);
    expect((await call('POST', '/admin/clock', ['admin'], { now: '2026-07-01T00:00:00Z' })).status).toBe(200);
    expect((await call('POST', '/admin/scheduler/run', ['scheduler'])).body).toMatchObject({ windowsOpened: 1, notified: 1 });

    const shared = new Database(join(dataDir, 'shared-state.db'), { readonly: true });
    const stored = shared.prepare<[string], { key: Buffer }>('SELECT key FROM personal_data_keys WHERE subject = ?').get(profileId)?.key;
    shared.close();
    // Stored wrapped under the (development) KEK (#24.3): the raw key is what the vault unwraps from it.
    const keks = readKeyEncryptionKeys(undefined);
    expect(keks.kekIdOf(stored as Buffer)).toBe('development');
    const key = await keks.unwrap(profileId, stored as Buffer);
    expect(key).toHaveLength(32);
    const needles = {
      'name (UTF-8)': Buffer.from(displayName, 'utf8'),
      'name (UTF-16)': Buffer.from(displayName, 'utf16le'),
      'e-mail (UTF-8)': Buffer.from(email, 'utf8'),
      'e-mail (UTF-16)': Buffer.from(email, 'utf16le'),
      key,
      'key (wrapped)': stored as Buffer,
    };
    // The scan sees them before: the notification file holds the name and address, the shared state the wrapped key;
    // the raw key is in no file at any time (R61).
    const before = findOnDisk(dataDir, needles);
    expect(before).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^name \(UTF-8\) in .*\.eml$/),
        expect.stringMatching(/^key \(wrapped\) in .*shared-state\.db/),
      ]),
    );
    expect(before.filter((found) => found.startsWith('key in'))).toEqual([]);

    expect(
      (await call('POST', `/certification-profiles/${profileId}/personal-data-erasure`, ['support'], { reason: 'GDPR art. 17 #16.5' }))
        .status,
    ).toBe(200);
    // The notification artefacts go when the dispatcher next runs (here: the scheduler run, which dispatches).
    await waitFor(
      'the notification file to be forgotten',
      async () => {
        await call('POST', '/admin/scheduler/run', ['scheduler']);
        return findOnDisk(join(dataDir, 'notifications'), needles).length === 0;
      },
      60_000,
    );
    await api.kill();
    expect(findOnDisk(dataDir, needles)).toEqual([]);
  }, 240_000);
});
